package vipps

// UserInfo is the profile Vipps returns from the userinfo endpoints
// (GET /vipps-userinfo-api/userinfo with the user's token after a login, and
// GET /vipps-userinfo-api/userinfo/{sub} for profile sharing). Only the claims
// of the consented scopes are present; absent claims are zero values.
//
// It holds personal data: never log it or put it in an error.
type UserInfo struct {
	Sub                 string             `json:"sub"`
	SID                 string             `json:"sid,omitempty"`
	Name                string             `json:"name,omitempty"`
	GivenName           string             `json:"given_name,omitempty"`
	FamilyName          string             `json:"family_name,omitempty"`
	BirthDate           string             `json:"birthdate,omitempty"` // YYYY-MM-DD
	Email               string             `json:"email,omitempty"`
	EmailVerified       *bool              `json:"email_verified,omitempty"`
	PhoneNumber         string             `json:"phone_number,omitempty"` // MSISDN, digits with country code
	PhoneNumberVerified *bool              `json:"phone_number_verified,omitempty"`
	NIN                 string             `json:"nin,omitempty"`
	Gender              string             `json:"gender,omitempty"`
	Address             *Address           `json:"address,omitempty"`
	OtherAddresses      []Address          `json:"other_addresses,omitempty"`
	DelegatedConsents   *DelegatedConsents `json:"delegatedConsents,omitempty"`
	Accounts            []Account          `json:"accounts,omitempty"`
}

// Address is a postal address claim. StreetAddress may hold a second line
// (unit, floor) after a "\n". Vipps puts the town in Region.
type Address struct {
	StreetAddress string `json:"street_address"`
	PostalCode    string `json:"postal_code"`
	Region        string `json:"region"`
	Country       string `json:"country"` // ISO 3166-1 alpha-2
	Formatted     string `json:"formatted,omitempty"`
	AddressType   string `json:"address_type,omitempty"` // home | work | other
	Default       *bool  `json:"default,omitempty"`
}

// IsEmpty reports whether the address carries no usable data (a user
// without an address gets one with empty strings).
func (a *Address) IsEmpty() bool {
	return a == nil || (a.StreetAddress == "" && a.PostalCode == "" && a.Region == "" && a.Country == "")
}

// DelegatedConsents is the marketing-consent claim (scope delegatedConsents).
type DelegatedConsents struct {
	Language                 string            `json:"language,omitempty"`
	Heading                  string            `json:"heading,omitempty"`
	Text                     string            `json:"text,omitempty"`
	TermsDescription         string            `json:"termsDescription,omitempty"`
	ConfirmConsentButtonText string            `json:"confirmConsentButtonText,omitempty"`
	Links                    map[string]string `json:"links,omitempty"`
	TimeOfConsent            string            `json:"timeOfConsent,omitempty"`
	Consents                 []Consent         `json:"consents,omitempty"`
}

// Consent is one marketing consent: ID is email, sms, digital or personal.
type Consent struct {
	ID                  string `json:"id"`
	Accepted            bool   `json:"accepted"`
	Required            bool   `json:"required"`
	TextDisplayedToUser string `json:"textDisplayedToUser,omitempty"`
}

// Account is the deprecated bank-account claim.
type Account struct {
	AccountName   string `json:"account_name,omitempty"`
	AccountNumber string `json:"account_number,omitempty"`
	BankName      string `json:"bank_name,omitempty"`
}
