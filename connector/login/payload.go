package login

import (
	"encoding/json"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/mapping"
	"github.com/bcvipps/bcvipps/vipps"
)

// input is what the caller asked for, stored in Request.Input (personal
// data: purged after delivery).
type input struct {
	CustomerNo string `json:"customerNo,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
	MSISDN     string `json:"msisdn"`
	MemberID   string `json:"memberId,omitempty"`
	ViaQR      bool   `json:"viaQR,omitempty"`
}

// meta is the non-personal part of a request, kept after the purge.
type meta struct {
	CustomerNo     string `json:"customerNo,omitempty"`
	CustomerID     string `json:"customerId,omitempty"`
	MemberID       string `json:"memberId,omitempty"`
	BindingMessage string `json:"bindingMessage,omitempty"`
	ViaQR          bool   `json:"viaQR,omitempty"`
	// MembershipCode (enrollment) is the membership the member joins, and
	// MembershipItem its sales item, from which NP Retail creates it.
	MembershipCode string `json:"membershipCode,omitempty"`
	MembershipItem string `json:"membershipItem,omitempty"`
	// LastError says why the last attempt was deferred (no personal data).
	LastError string `json:"lastError,omitempty"`
}

// secret is what Request.Profile holds between consent and delivery: first
// the user's login token (so that a crash between the token and userinfo
// loses nothing; it lives 300 s), then the consented profile.
type secret struct {
	Token   *vipps.LoginToken `json:"token,omitempty"`
	Profile *vipps.UserInfo   `json:"profile,omitempty"`
}

// plan is a BC write announced before it is sent: the PATCH computed from
// the customer as read at ETag. After a crash, the customer's ETag tells
// whether the PATCH was sent (ETag changed and the values are there) or not
// (ETag unchanged), so it is sent at most once.
type plan struct {
	ETag     string            `json:"etag"`
	Patch    map[string]any    `json:"patch"`
	Changes  []mapping.Change  `json:"changes"`
	Warnings []mapping.Warning `json:"warnings"`
}

// result is Request.Result: the answer for BC (personal data), plus the
// plan while the request is applying.
type result struct {
	Customer *customerView     `json:"customer,omitempty"`
	Member   *memberView       `json:"member,omitempty"`
	Changes  []mapping.Change  `json:"changes,omitempty"`
	Warnings []mapping.Warning `json:"warnings,omitempty"`
	Plan     *plan             `json:"plan,omitempty"`
	// MembershipID (enrollment) is the membership created for the new
	// member, stored before the member is added to it.
	MembershipID string `json:"membershipId,omitempty"`
	// AddSentAt (enrollment) is when the member was last sent to NP
	// Retail: after an unknown outcome the member is looked for, not sent
	// again, until addSettle has passed.
	AddSentAt time.Time `json:"addSentAt,omitzero"`
}

// customerView is the Customer as written, with BC API v2.0 names.
type customerView struct {
	ID           string `json:"id"`
	Number       string `json:"number"`
	DisplayName  string `json:"displayName"`
	AddressLine1 string `json:"addressLine1"`
	AddressLine2 string `json:"addressLine2"`
	City         string `json:"city"`
	State        string `json:"state"`
	PostalCode   string `json:"postalCode"`
	Country      string `json:"country"`
	PhoneNumber  string `json:"phoneNumber"`
	Email        string `json:"email"`
}

func viewCustomer(c *bc.Customer) *customerView {
	return &customerView{
		ID: c.ID, Number: c.Number, DisplayName: c.DisplayName,
		AddressLine1: c.AddressLine1, AddressLine2: c.AddressLine2, City: c.City, State: c.State,
		PostalCode: c.PostalCode, Country: c.Country, PhoneNumber: c.PhoneNumber, Email: c.Email,
	}
}

// memberView is the member for the POS dialog, with NP Retail's names.
type memberView struct {
	MemberID    string `json:"memberId,omitempty"`
	FirstName   string `json:"firstName"`
	MiddleName  string `json:"middleName"`
	LastName    string `json:"lastName"`
	Email       string `json:"email"`
	PhoneNo     string `json:"phoneNo"`
	Birthday    string `json:"birthday"`
	Gender      string `json:"gender"`
	Address     string `json:"address"`
	PostCode    string `json:"postCode"`
	City        string `json:"city"`
	Country     string `json:"country"`
	Newsletter  string `json:"newsletter"`
	GDPRConsent string `json:"gdprConsent"`
}

func viewMember(m bc.Member) *memberView {
	return &memberView{
		MemberID: m.ID, FirstName: m.FirstName, MiddleName: m.MiddleName, LastName: m.LastName,
		Email: m.Email, PhoneNo: m.PhoneNo, Birthday: m.Birthday, Gender: m.Gender,
		Address: m.Address, PostCode: m.PostCode, City: m.City, Country: m.Country,
		Newsletter: m.Newsletter, GDPRConsent: m.GDPRConsent,
	}
}

// mustJSON marshals values the connector built itself; they cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("connector: marshal own payload: " + err.Error())
	}
	return b
}

func decodeJSON[T any](raw []byte) (T, error) {
	var v T
	if len(raw) == 0 {
		return v, nil
	}
	err := json.Unmarshal(raw, &v)
	return v, err
}
