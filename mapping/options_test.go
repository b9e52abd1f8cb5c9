package mapping

import (
	"errors"
	"testing"
)

// TestValidate checks that each bad option is named.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(o *Options)
		option string // "" = valid
	}{
		{"defaults are valid", func(o *Options) {}, ""},
		{"zero options are valid", func(o *Options) { *o = Options{} }, ""},
		{"full configuration is valid", func(o *Options) {
			o.NameFormat = NameLastFirst
			o.CountryCodes = map[string]string{"NO": "NOR"}
			o.UpdatePolicy = map[string]Policy{"email": PolicyAlways, "address": PolicyNever, "gdprConsent": PolicyIfEmpty}
			o.ImplicitPhonePrefix = "+358"
			o.CustomerConsentFields = map[string]string{"sms": "smsOk"}
		}, ""},
		{"unknown name format", func(o *Options) { o.NameFormat = "first" }, "NameFormat"},
		{"unknown default policy", func(o *Options) { o.DefaultPolicy = "sometimes" }, "DefaultPolicy"},
		{"unknown policy", func(o *Options) { o.UpdatePolicy = map[string]Policy{"email": "Always"} }, "UpdatePolicy[email]"},
		{"unknown policy field", func(o *Options) { o.UpdatePolicy = map[string]Policy{"mail": PolicyAlways} }, "UpdatePolicy[mail]"},
		{"address fields share one key", func(o *Options) { o.UpdatePolicy = map[string]Policy{"city": PolicyAlways} }, "UpdatePolicy[city]"},
		{"country key must be ISO", func(o *Options) { o.CountryCodes = map[string]string{"nor": "NO"} }, "CountryCodes[nor]"},
		{"country value too long", func(o *Options) { o.CountryCodes = map[string]string{"NO": "NORWAY-LONG"} }, "CountryCodes[NO]"},
		{"prefix without plus", func(o *Options) { o.ImplicitPhonePrefix = "47" }, "ImplicitPhonePrefix"},
		{"prefix unknown", func(o *Options) { o.ImplicitPhonePrefix = "+999" }, "ImplicitPhonePrefix"},
		{"newsletter consent unknown", func(o *Options) { o.NewsletterConsent = "mail" }, "NewsletterConsent"},
		{"gdpr consent unknown", func(o *Options) { o.GDPRConsent = "all" }, "GDPRConsent"},
		{"consent field unknown id", func(o *Options) { o.CustomerConsentFields = map[string]string{"fax": "x"} }, "CustomerConsentFields[fax]"},
		{"consent field without name", func(o *Options) { o.CustomerConsentFields = map[string]string{"sms": ""} }, "CustomerConsentFields[sms]"},
		{"name mismatch skip", func(o *Options) { o.OnNameMismatch = NameMismatchSkip }, ""},
		{"name mismatch unknown", func(o *Options) { o.OnNameMismatch = "ignore" }, "OnNameMismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			tc.mod(&o)
			err := o.Validate()
			if tc.option == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want *OptionError", err)
			}
			if oe.Option != tc.option {
				t.Errorf("Option = %q, want %q", oe.Option, tc.option)
			}
		})
	}
}
