package connector

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// upstreamRoutes classify outbound calls for metrics by path fragment, so
// labels never carry ids, phone numbers or hosts.
var upstreamRoutes = []struct{ fragment, api, endpoint string }{
	{"/accesstoken/get", "vipps", "accesstoken"},
	{"/vipps-login-ciba/api/backchannel", "vipps", "login.backchannel"},
	{"/vipps-login-ciba/api/v1/user-exists", "vipps", "login.user-exists"},
	{"/access-management-1.0/access/oauth2/token", "vipps", "login.token"},
	{"/access-management-1.0/access/.well-known", "vipps", "login.discovery"},
	{"/vipps-userinfo-api/userinfo", "vipps", "userinfo"},
	{"/qr/v1/exchange", "vipps", "qr.exchange"},
	{"/point-of-sale/v1/loyalty-check-in", "vipps", "checkin"},
	{"/epayment/v1/", "vipps", "epayment"},
	{"/webhooks/v1/", "vipps", "webhooks"},
	{"/report/v2/", "vipps", "report"},
	{"/oauth2/v2.0/token", "entra", "token"},
	{"/.well-known/openid-configuration", "entra", "discovery"},
	{"/membership", "npretail", "members"},
	{"/customers", "bc", "customers"},
	{"/$batch", "bc", "batch"},
	{"/companies", "bc", "companies"},
}

func classifyUpstream(path string) (api, endpoint string) {
	for _, r := range upstreamRoutes {
		if strings.Contains(path, r.fragment) {
			return r.api, r.endpoint
		}
	}
	return "other", "other"
}

// metricsTransport times every outbound attempt by API, endpoint and
// status ("error" when no answer came).
type metricsTransport struct {
	next http.RoundTripper
	m    *metrics
}

func (t metricsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := t.next.RoundTrip(req)
	api, endpoint := classifyUpstream(req.URL.Path)
	status := "error"
	if err == nil {
		status = strconv.Itoa(res.StatusCode)
	}
	t.m.upstreamTime.WithLabelValues(api, endpoint, status).Observe(time.Since(start).Seconds())
	return res, err
}

// instrument returns a copy of hc whose transport feeds m.
func instrument(hc *http.Client, m *metrics) *http.Client {
	out := *hc
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out.Transport = metricsTransport{next: next, m: m}
	return &out
}

// CloseIdleConnections passes the call on, so http.Client.CloseIdleConnections
// reaches the real transport.
func (t metricsTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
