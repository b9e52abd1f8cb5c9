package bc

// Member is an NP Retail member as the NP Retail REST API
// (/membership/member) reads and writes it. Birthday is YYYY-MM-DD. Gender is
// NOT_SPECIFIED, MALE, FEMALE or OTHER; Newsletter is NOT_SPECIFIED, YES or NO.
type Member struct {
	ID                string `json:"memberId,omitempty"` // SystemId (GUID)
	MemberNumber      string `json:"memberNumber,omitempty"`
	FirstName         string `json:"firstName,omitempty"`
	MiddleName        string `json:"middleName,omitempty"`
	LastName          string `json:"lastName,omitempty"`
	Email             string `json:"email,omitempty"`
	PhoneNo           string `json:"phoneNo,omitempty"`
	Birthday          string `json:"birthday,omitempty"`
	Gender            string `json:"gender,omitempty"`
	Address           string `json:"address,omitempty"`
	PostCode          string `json:"postCode,omitempty"`
	City              string `json:"city,omitempty"`
	Country           string `json:"country,omitempty"` // country code, Code[10]
	Newsletter        string `json:"newsletter,omitempty"`
	GDPRConsent       string `json:"gdprConsent,omitempty"`
	PreferredLanguage string `json:"preferredLanguage,omitempty"`
	// Blocked is NP Retail's flag of a blocked member (read only; its
	// search answers blocked members too).
	Blocked bool `json:"blocked,omitempty"`
}

// Maximum lengths (in characters) of NP Retail member fields (table
// "NPR MM Member").
const (
	MaxMemberFirstName  = 50  // "First Name" Text[50]
	MaxMemberMiddleName = 50  // "Middle Name" Text[50]
	MaxMemberLastName   = 50  // "Last Name" Text[50]
	MaxMemberEmail      = 80  // "E-Mail Address" Text[80]
	MaxMemberPhoneNo    = 30  // "Phone No." Text[30]
	MaxMemberAddress    = 100 // Address Text[100]
	MaxMemberPostCode   = 20  // "Post Code Code" Code[20]
	MaxMemberCity       = 50  // City Text[50]
	MaxMemberCountry    = 10  // "Country Code" Code[10]
)
