package bc

import "time"

// Customer is a BC API v2.0 customer (page "APIV2 - Customers"), with the
// API's JSON field names. Field lengths come from the BaseApp Customer table;
// see Limits*.
type Customer struct {
	ODataETag             string     `json:"@odata.etag,omitempty"`
	ID                    string     `json:"id,omitempty"`
	Number                string     `json:"number,omitempty"`
	DisplayName           string     `json:"displayName,omitempty"`
	Type                  string     `json:"type,omitempty"`
	AddressLine1          string     `json:"addressLine1"`
	AddressLine2          string     `json:"addressLine2"`
	City                  string     `json:"city"`
	State                 string     `json:"state"`
	Country               string     `json:"country"`
	PostalCode            string     `json:"postalCode"`
	PhoneNumber           string     `json:"phoneNumber"`
	Email                 string     `json:"email"`
	Website               string     `json:"website"`
	SalespersonCode       string     `json:"salespersonCode,omitempty"`
	BalanceDue            float64    `json:"balanceDue,omitempty"`
	CreditLimit           float64    `json:"creditLimit,omitempty"`
	TaxLiable             bool       `json:"taxLiable,omitempty"`
	TaxAreaID             string     `json:"taxAreaId,omitempty"`
	TaxRegistrationNumber string     `json:"taxRegistrationNumber,omitempty"`
	CurrencyCode          string     `json:"currencyCode,omitempty"`
	Blocked               string     `json:"blocked,omitempty"`
	LastModifiedDateTime  *time.Time `json:"lastModifiedDateTime,omitempty"`
}

// Maximum lengths (in characters) of the writable customer fields, from the
// BaseApp Customer table. A longer value is refused by BC with
// Application_StringExceededLength.
const (
	MaxCustomerNumber       = 20  // "No." Code[20]
	MaxCustomerDisplayName  = 100 // Name Text[100]
	MaxCustomerAddressLine1 = 100 // Address Text[100]
	MaxCustomerAddressLine2 = 50  // "Address 2" Text[50]
	MaxCustomerCity         = 30  // City Text[30]
	MaxCustomerState        = 30  // County Text[30]
	MaxCustomerCountry      = 10  // "Country/Region Code" Code[10]
	MaxCustomerPostalCode   = 20  // "Post Code" Code[20]
	MaxCustomerPhoneNumber  = 30  // "Phone No." Text[30]
	MaxCustomerEmail        = 80  // "E-Mail" Text[80]
	MaxCustomerWebsite      = 80  // "Home Page" Text[80]
)
