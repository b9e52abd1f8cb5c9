package vippstest

import (
	"testing"
	"time"
)

func TestLoginApproveFlow(t *testing.T) {
	e := start(t)
	a := e.do("POST", "/vipps-login-ciba/api/backchannel/authentication",
		form("login_hint", "urn:msisdn:"+PersonaApprove, "scope", "openid name address", "binding_message", "AB-123"), basic()...)
	if a.status != 200 {
		t.Fatalf("backchannel: %d %s", a.status, a.body)
	}
	id := a.json(t)["auth_req_id"].(string)
	poll := func() answer {
		return e.do("POST", "/access-management-1.0/access/oauth2/token", form("grant_type", cibaGrantType, "auth_req_id", id), basic()...)
	}
	if p := poll(); p.status != 400 || p.json(t)["error"] != "authorization_pending" {
		t.Fatalf("first poll: %d %s", p.status, p.body)
	}
	e.clock.Advance(5 * time.Second)
	p := poll()
	if p.status != 200 {
		t.Fatalf("poll after approval: %d %s", p.status, p.body)
	}
	tok := p.json(t)["access_token"].(string)
	u := e.do("GET", "/vipps-userinfo-api/userinfo", "", "Authorization", "Bearer "+tok)
	if u.status != 200 {
		t.Fatalf("userinfo: %d %s", u.status, u.body)
	}
	m := u.json(t)
	if m["given_name"] != "Åse Ærlig" || m["email"] != nil || m["address"] == nil {
		t.Fatalf("userinfo claims: %s", u.body)
	}
}
