package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/bcvipps/bcvipps/config"
)

// direct makes, without the connector, the upstream calls that the
// connector's POST /v1/customer-info-requests makes: the BC customer
// lookup by number and the Vipps CIBA backchannel authentication request,
// one after the other, with the same credentials (read from the
// configuration the simulators wrote).
type direct struct {
	c           *http.Client
	customerURL string // BC …/companies(id)/customers
	bcToken     string
	cibaURL     string
	vippsHeader http.Header
	scope       string
	expiry      string // requested_expiry, seconds
	binding     bool
}

// newDirect reads the tenant's configuration and fetches a BC token from
// the simulated Entra ID authority (TLS with the sandbox's CA) once, as
// the connector caches its token too.
func newDirect(ctx context.Context, c *http.Client, cfg *config.Config) (*direct, error) {
	t := cfg.Tenants[0]
	su := t.Vipps.SalesUnits[0]
	d := &direct{
		c: c,
		customerURL: t.BusinessCentral.BaseURL + "/" + url.PathEscape(t.BusinessCentral.TenantID) + "/" +
			url.PathEscape(t.BusinessCentral.Environment) + "/api/v2.0/companies(" + url.PathEscape(t.BusinessCentral.CompanyID) + ")/customers",
		cibaURL:     t.Vipps.BaseURL + "/vipps-login-ciba/api/backchannel/authentication",
		vippsHeader: http.Header{},
		scope:       "openid name email address phoneNumber",
		expiry:      strconv.Itoa(int(cfg.Login.DefaultExpiry.Seconds())),
		binding:     cfg.Login.BindingMessage,
	}
	for _, u := range []string{d.customerURL, d.cibaURL, t.BusinessCentral.Auth.AuthorityHost} {
		if err := loopbackOnly(u); err != nil {
			return nil, err
		}
	}
	d.vippsHeader.Set("Ocp-Apim-Subscription-Key", su.SubscriptionKey)
	d.vippsHeader.Set("Merchant-Serial-Number", su.MSN)
	d.vippsHeader.Set("Vipps-System-Name", t.Vipps.System.Name)
	d.vippsHeader.Set("Vipps-System-Version", t.Vipps.System.Version)
	d.vippsHeader.Set("Content-Type", "application/x-www-form-urlencoded")
	d.vippsHeader.Set("Authorization", basicAuth(su.ClientID, su.ClientSecret))

	pem, err := os.ReadFile(cfg.Upstream.CAFile)
	if err != nil {
		return nil, fmt.Errorf("direct calls: read the authority's CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("direct calls: no certificate in %s", cfg.Upstream.CAFile)
	}
	tc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer tc.CloseIdleConnections()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {t.BusinessCentral.Auth.ClientID},
		"client_secret": {t.BusinessCentral.Auth.ClientSecret}, "scope": {"https://api.businesscentral.dynamics.com/.default"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		t.BusinessCentral.Auth.AuthorityHost+"/"+url.PathEscape(t.BusinessCentral.TenantID)+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("direct calls: BC token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := decodeResponse(tc, req, &tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("direct calls: BC token: %w", err)
	}
	d.bcToken = tok.AccessToken
	return d, nil
}

// call does one BC customer lookup and one backchannel request for phone.
func (d *direct) call(ctx context.Context, customerNo, phone string) error {
	q := url.Values{"$filter": {"number eq '" + strings.ReplaceAll(customerNo, "'", "''") + "'"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.customerURL+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.bcToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Prefer", "odata.maxpagesize=2")
	var list struct {
		Value []struct {
			Number string `json:"number"`
		} `json:"value"`
	}
	if err := decodeResponse(d.c, req, &list); err != nil {
		return fmt.Errorf("BC customer lookup: %w", err)
	}
	if len(list.Value) != 1 {
		return fmt.Errorf("BC customer lookup: %d customers numbered %s", len(list.Value), customerNo)
	}
	form := url.Values{"login_hint": {"urn:msisdn:" + phone}, "scope": {d.scope}}
	if d.expiry != "0" {
		form.Set("requested_expiry", d.expiry)
	}
	if d.binding {
		form.Set("binding_message", "LOAD-01")
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, d.cibaURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header = d.vippsHeader.Clone()
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
