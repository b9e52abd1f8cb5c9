package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

var (
	guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// domainRe is a DNS name with at least two labels, e.g.
	// contoso.onmicrosoft.com (Entra accepts a verified domain as tenant).
	domainRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
)

// CheckGoLive checks what a production deployment needs beyond Validate:
// a publicBaseURL that Business Central online and Vipps can call (HTTPS,
// not localhost or a loopback, private or link-local address) and Business
// Central tenant and company ids in the form BC and Entra use (GUIDs; the
// tenant id may also be a domain such as contoso.onmicrosoft.com). It
// returns a *ValidationError listing every problem, or nil.
//
// serve and the sandbox do not call it: the sandbox and tests run against
// simulators on http://127.0.0.1 with placeholder ids. `bcvipps config
// check` does, unless --sandbox is given.
func (c *Config) CheckGoLive() error {
	v := &validator{}
	v.publicBaseURL("server.publicBaseURL", c.Server.PublicBaseURL)
	for i, t := range c.Tenants {
		p := fmt.Sprintf("tenants[%d].businessCentral", i)
		bc := t.BusinessCentral
		// On-premises BC (basic auth) has its own tenant names ("default").
		if bc.Auth.Method != AuthBasic && bc.TenantID != "" && !guidRe.MatchString(bc.TenantID) && !domainRe.MatchString(bc.TenantID) {
			v.add(p+".tenantId", "must be the Entra tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47) or its domain name (contoso.onmicrosoft.com)")
		}
		if bc.CompanyID != "" && !guidRe.MatchString(bc.CompanyID) {
			v.add(p+".companyId", "must be the company's id, a GUID (the id field of GET …/api/v2.0/companies), not its name")
		}
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// publicBaseURL reports a URL that BC online or Vipps cannot call. An empty
// value is allowed (no webhooks: payments are polled); a URL that does not
// parse is Validate's problem.
func (v *validator) publicBaseURL(key, val string) {
	if val == "" {
		return
	}
	u, err := url.Parse(val)
	if err != nil || u.Host == "" {
		return
	}
	if u.Scheme != "https" {
		v.add(key, "must be an https URL: Business Central online and Vipps call only public HTTPS endpoints (put the connector behind TLS)")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		v.add(key, "must not point at localhost: Business Central online and Vipps cannot reach it; use the public host name")
		return
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return // a host name; not resolved here
	}
	ip := net.IP(addr.Unmap().AsSlice())
	switch {
	case ip.IsLoopback(), ip.IsUnspecified():
		v.add(key, "must not be a loopback address: Business Central online and Vipps cannot reach it; use the public host name")
	case ip.IsPrivate(), addr.Unmap().Is4() && isCGNAT(addr.Unmap()):
		v.add(key, "must not be a private address: Business Central online and Vipps cannot reach it; use the public host name")
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(), ip.IsMulticast():
		v.add(key, "must not be a link-local or multicast address: Business Central online and Vipps cannot reach it; use the public host name")
	}
}

// isCGNAT reports 100.64.0.0/10 (carrier-grade NAT, not reachable from the
// internet).
func isCGNAT(a netip.Addr) bool {
	return netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}
