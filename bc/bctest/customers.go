package bctest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/google/uuid"
)

type fieldKind int

const (
	kindString fieldKind = iota
	kindCode             // uppercased on write, like an AL Code field
	kindNumber
	kindBool
	kindGUID
	kindEnum
)

// fieldDef describes one field of the simulated "APIV2 - Customers" page.
type fieldDef struct {
	name     string
	kind     fieldKind
	max      int // 0 = no length check
	readOnly bool
	enum     []string
	def      any
}

const zeroGUID = "00000000-0000-0000-0000-000000000000"

// customerFields are the APIV2 customer fields with the BaseApp lengths.
var customerFields = []fieldDef{
	{name: "id", kind: kindGUID, readOnly: true},
	{name: "number", kind: kindCode, max: bc.MaxCustomerNumber},
	{name: "displayName", kind: kindString, max: bc.MaxCustomerDisplayName},
	{name: "type", kind: kindEnum, enum: []string{"Company", "Person"}, def: "Company"},
	{name: "addressLine1", kind: kindString, max: bc.MaxCustomerAddressLine1},
	{name: "addressLine2", kind: kindString, max: bc.MaxCustomerAddressLine2},
	{name: "city", kind: kindString, max: bc.MaxCustomerCity},
	{name: "state", kind: kindString, max: bc.MaxCustomerState},
	{name: "country", kind: kindCode, max: bc.MaxCustomerCountry},
	{name: "postalCode", kind: kindCode, max: bc.MaxCustomerPostalCode},
	{name: "phoneNumber", kind: kindString, max: bc.MaxCustomerPhoneNumber},
	{name: "email", kind: kindString, max: bc.MaxCustomerEmail},
	{name: "website", kind: kindString, max: bc.MaxCustomerWebsite},
	{name: "salespersonCode", kind: kindCode, max: 20},
	{name: "balanceDue", kind: kindNumber, readOnly: true, def: 0.0},
	{name: "creditLimit", kind: kindNumber, def: 0.0},
	{name: "taxLiable", kind: kindBool, def: false},
	{name: "taxAreaId", kind: kindGUID, def: zeroGUID},
	{name: "taxAreaDisplayName", kind: kindString, readOnly: true},
	{name: "taxRegistrationNumber", kind: kindString, max: 20},
	{name: "currencyId", kind: kindGUID, def: zeroGUID},
	{name: "currencyCode", kind: kindCode, max: 10},
	{name: "paymentTermsId", kind: kindGUID, def: zeroGUID},
	{name: "shipmentMethodId", kind: kindGUID, def: zeroGUID},
	{name: "paymentMethodId", kind: kindGUID, def: zeroGUID},
	{name: "blocked", kind: kindEnum, enum: []string{" ", "Ship", "Invoice", "All"}, def: " "},
	{name: "lastModifiedDateTime", kind: kindString, readOnly: true},
}

var customerFieldIndex = func() map[string]*fieldDef {
	m := make(map[string]*fieldDef, len(customerFields))
	for i := range customerFields {
		m[customerFields[i].name] = &customerFields[i]
	}
	return m
}()

// countries is the simulated Country/Region table (BC codes of a CRONUS
// company; mostly ISO 3166 alpha-2).
var countries = map[string]string{
	"AT": "Austria", "AU": "Australia", "BE": "Belgium", "BG": "Bulgaria", "BR": "Brazil",
	"CA": "Canada", "CH": "Switzerland", "CN": "China", "CY": "Cyprus", "CZ": "Czech Republic",
	"DE": "Germany", "DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland",
	"FO": "Faroe Islands", "FR": "France", "GB": "Great Britain", "GL": "Greenland", "GR": "Greece",
	"HR": "Croatia", "HU": "Hungary", "IE": "Ireland", "IS": "Iceland", "IT": "Italy",
	"JP": "Japan", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta",
	"MX": "Mexico", "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand", "PL": "Poland",
	"PT": "Portugal", "RO": "Romania", "SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia",
	"US": "USA", "ZA": "South Africa",
}

// newCustomerFields returns a customer with every field at its default.
func newCustomerFields(id string) map[string]any {
	f := make(map[string]any, len(customerFields))
	for _, d := range customerFields {
		switch {
		case d.def != nil:
			f[d.name] = d.def
		case d.kind == kindGUID:
			f[d.name] = zeroGUID
		default:
			f[d.name] = ""
		}
	}
	f["id"] = id
	return f
}

// applyCustomer validates body against the customer page and writes it into
// fields, as BC's page validation would: unknown properties, wrong types,
// too-long values, unknown countries, invalid e-mail and phone numbers are
// refused and nothing is written.
func applyCustomer(fields map[string]any, body map[string]any, creating bool) *apiError {
	next := deepCopy(fields).(map[string]any)
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		d, ok := customerFieldIndex[k]
		if !ok {
			return errf(http.StatusBadRequest, CodeBadRequest,
				"The property '%s' does not exist on type 'Microsoft.NAV.customer'. Make sure to only use property names that are defined by the type.", k)
		}
		if d.readOnly {
			continue
		}
		val, err := convertField(d, v)
		if err != nil {
			return err
		}
		next[k] = val
	}
	if e := validateCustomer(next, body, creating); e != nil {
		return e
	}
	for k, v := range next {
		fields[k] = v
	}
	return nil
}

func convertField(d *fieldDef, v any) (any, *apiError) {
	typeErr := func(edm string) *apiError {
		return errf(http.StatusBadRequest, CodeBadRequest,
			"Cannot convert a primitive value to the expected type '%s'. See the inner exception for more details.", edm)
	}
	switch d.kind {
	case kindNumber:
		n, ok := v.(float64)
		if !ok {
			return nil, typeErr("Edm.Decimal")
		}
		return n, nil
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, typeErr("Edm.Boolean")
		}
		return b, nil
	}
	s, ok := v.(string)
	if !ok {
		if v == nil {
			s = ""
		} else {
			return nil, typeErr("Edm.String")
		}
	}
	switch d.kind {
	case kindGUID:
		if _, err := uuid.Parse(s); err != nil {
			return nil, typeErr("Edm.Guid")
		}
		return strings.ToLower(s), nil
	case kindEnum:
		for _, e := range d.enum {
			if strings.EqualFold(e, s) {
				return e, nil
			}
		}
		if s == "" && d.name == "blocked" {
			return " ", nil
		}
		return nil, errf(http.StatusBadRequest, CodeBadRequest,
			"Cannot convert the literal '%s' to the expected type 'Microsoft.NAV.%s'.", s, d.name)
	}
	if d.max > 0 {
		if n := utf8.RuneCountInString(s); n > d.max {
			return nil, errf(http.StatusBadRequest, CodeStringExceededLength,
				"%s: The length of the string is %d, but it must be less than or equal to %d characters.", d.name, n, d.max)
		}
	}
	if d.kind == kindCode {
		s = strings.ToUpper(s)
	}
	return s, nil
}

func validateCustomer(next, body map[string]any, creating bool) *apiError {
	_, named := body["displayName"]
	if (creating || named) && strings.TrimSpace(next["displayName"].(string)) == "" {
		return errf(http.StatusBadRequest, CodeDialogException, "displayName: Name must have a value in Customer.")
	}
	if c := next["country"].(string); c != "" {
		if _, ok := countries[c]; !ok {
			return errf(http.StatusBadRequest, CodeDialogException,
				"country: The field Country/Region Code of table Customer contains a value (%s) that cannot be found in the related table (Country/Region).", c)
		}
	}
	if e := next["email"].(string); e != "" && !validEmail(e) {
		return errf(http.StatusBadRequest, CodeDialogException, "email: The email address is not valid.")
	}
	for _, r := range next["phoneNumber"].(string) {
		if unicode.IsLetter(r) {
			return errf(http.StatusBadRequest, CodeDialogException, "phoneNumber: Phone No. must not contain letters.")
		}
	}
	return nil
}

// validEmail approximates BC's Mail Management check of one address.
func validEmail(s string) bool {
	if strings.ContainsAny(s, " ,;<>\"()[]\\") {
		return false
	}
	at := strings.Index(s, "@")
	if at <= 0 || at != strings.LastIndex(s, "@") {
		return false
	}
	domain := s[at+1:]
	return domain != "" && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

// nextCustomerNumber continues the numeric series of existing numbers in
// steps of 10000, like CRONUS's customer numbers.
func nextCustomerNumber(t *table) string {
	highest := 0
	for _, r := range t.rows {
		if n, err := strconv.Atoi(r.fields["number"].(string)); err == nil && n > highest {
			highest = n
		}
	}
	if highest == 0 {
		return "10000"
	}
	return strconv.Itoa((highest/10000 + 1) * 10000)
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
