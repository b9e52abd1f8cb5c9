package config_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bcvipps/bcvipps/config"
)

func ExampleFromReader() {
	doc := `
tenants:
  - id: cronus-no
    apiKeys: [{id: bc-prod, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
    businessCentral:
      tenantId: tid
      environment: production
      companyId: cid
      auth: {method: clientSecret, clientId: app, clientSecret: s3cret}
    vipps:
      salesUnits: [{msn: "12", clientId: c, clientSecret: s, subscriptionKey: k}]
`
	_, err := config.FromReader(strings.NewReader(doc))
	var ve *config.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Printf("%s: %s\n", p.Key, p.Reason)
		}
	}
	// Output:
	// tenants[0].vipps.salesUnits[0].msn: must be a merchant serial number of 4 to 6 digits
}
