package connector

import (
	"log/slog"
	"strings"
)

// sensitiveKeys are attribute names whose values are masked in every log
// line, whoever logged them.
var sensitiveKeys = []string{
	"phone", "msisdn", "email", "e-mail", "name", "nin", "birth", "address", "street",
	"token", "secret", "password", "authorization", "apikey", "api_key", "subscription", "profile", "qr",
}

// redactAttr masks attributes named like personal data or secrets.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindGroup {
		return a
	}
	k := strings.ToLower(a.Key)
	if k == "msg" || k == "level" || k == "time" || k == "source" || k == "route" || k == "method" || k == "status" {
		return a
	}
	for _, s := range sensitiveKeys {
		if strings.Contains(k, s) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}
