package api

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// openapiYAML is the API's contract; a test keeps it true to the routes.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPIYAML is the document as written (openapi.yaml).
func OpenAPIYAML() []byte { return append([]byte(nil), openapiYAML...) }

// OpenAPIJSON converts the embedded document to JSON for /openapi.json.
func OpenAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml to json: %w", err)
	}
	return b, nil
}
