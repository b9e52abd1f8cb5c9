package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bcvipps/bcvipps/config"
)

// memberScope is the scope of the pos-member-registration use case, which
// the connector sends for a member-info request.
const memberScope = "openid name email address birthDate phoneNumber delegatedConsents"

// direct makes, without the connector, the one upstream call that the
// connector's POST /v1/member-info-requests makes: the Vipps CIBA
// backchannel authentication request, with the same credentials, headers
// and form fields (read from the configuration the simulators wrote).
type direct struct {
	c       *http.Client
	cibaURL string
	header  http.Header
	expiry  string // requested_expiry, seconds
	binding bool
}

func newDirect(c *http.Client, cfg *config.Config) (*direct, error) {
	t := cfg.Tenants[0]
	su := t.Vipps.SalesUnits[0]
	d := &direct{
		c:       c,
		cibaURL: t.Vipps.BaseURL + "/vipps-login-ciba/api/backchannel/authentication",
		header:  http.Header{},
		expiry:  strconv.Itoa(int(cfg.Login.DefaultExpiry.Seconds())),
		binding: cfg.Login.BindingMessage,
	}
	if err := loopbackOnly(d.cibaURL); err != nil {
		return nil, err
	}
	d.header.Set("Ocp-Apim-Subscription-Key", su.SubscriptionKey)
	d.header.Set("Merchant-Serial-Number", su.MSN)
	d.header.Set("Vipps-System-Name", t.Vipps.System.Name)
	d.header.Set("Vipps-System-Version", t.Vipps.System.Version)
	d.header.Set("Content-Type", "application/x-www-form-urlencoded")
	d.header.Set("Accept", "application/json")
	d.header.Set("Authorization", basicAuth(su.ClientID, su.ClientSecret))
	return d, nil
}

// backchannel sends one CIBA backchannel authentication request for phone.
func (d *direct) backchannel(ctx context.Context, phone string) error {
	form := url.Values{"login_hint": {"urn:msisdn:" + phone}, "scope": {memberScope}}
	if d.expiry != "0" {
		form.Set("requested_expiry", d.expiry)
	}
	if d.binding {
		form.Set("binding_message", "LOAD-01")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cibaURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header = d.header.Clone()
	var start struct {
		AuthReqID string `json:"auth_req_id"`
	}
	if err := decodeResponse(d.c, req, &start); err != nil {
		return fmt.Errorf("vipps backchannel: %w", err)
	}
	if start.AuthReqID == "" {
		return errors.New("vipps backchannel: no auth_req_id")
	}
	return nil
}
