package tenants

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/mapping"
	"github.com/bcvipps/bcvipps/vipps"
)

// ExchangeQR turns a scanned personal QR code (Vipps' clear-text or
// MobilePay's tokenized form) into the phone number through the QR API of
// client's sales unit. A code Vipps does not know (or one that expired)
// is a 400 on qrCode; Vipps unreachable is a 503.
// err is the upstream error, for metrics; the problem is the answer.
func ExchangeQR(ctx context.Context, client *vipps.Client, implicitPrefix, qrCode string) (mapping.Phone, *api.Problem, error) {
	ex, err := client.QR.Exchange(ctx, qrCode)
	if err != nil {
		var ve *vipps.Error
		if errors.As(err, &ve) && ve.Status >= 400 && ve.Status < 500 && ve.Status != http.StatusTooManyRequests &&
			ve.Status != http.StatusUnauthorized && ve.Status != http.StatusForbidden {
			// 401/403 are the merchant's keys or access, not the code.
			return mapping.Phone{}, api.InvalidInput(api.FieldProblem{Field: "qrCode", Reason: "Vipps MobilePay did not recognise it as a personal QR code (or it has expired)"}), err
		}
		if errors.Is(err, vipps.ErrInvalidRequest) {
			return mapping.Phone{}, api.InvalidInput(api.FieldProblem{Field: "qrCode", Reason: "is not a personal QR code"}), err
		}
		return mapping.Phone{}, VippsProblem("Could not read the personal QR code at Vipps MobilePay", err), err
	}
	ph, perr := mapping.ParsePhone("+"+ex.MSISDN, implicitPrefix)
	if perr != nil {
		return mapping.Phone{}, api.InvalidInput(api.FieldProblem{Field: "qrCode", Reason: "does not lead to a usable phone number"}), nil
	}
	return ph, nil, nil
}

// MembersByPhone finds NP Retail members by a phone number in each form
// it may be stored in: NP Retail matches "Phone No." exactly, and the field
// is free text ("+47 912 34 567", "+4791234567", "004791234567",
// "4791234567", "912 34 567", "91234567"; in Finland and Sweden also with
// the trunk 0, "040 1234567", "0401234567"). The national forms are only
// searched for numbers of the tenant's own country (implicitPrefix):
// 91234567 is a Norwegian number, not a Danish one. observe is told of
// each search.
func MembersByPhone(ctx context.Context, np *bc.NPRetail, p mapping.Phone, implicitPrefix string, observe func(error)) ([]bc.Member, error) {
	seen := map[string]bool{}
	var out []bc.Member
	for _, form := range phoneForms(p, implicitPrefix) {
		found, err := np.Members.Search(ctx, bc.MemberQuery{Phone: form})
		if observe != nil {
			observe(err)
		}
		if err != nil {
			return nil, err
		}
		for _, m := range found {
			if !seen[m.ID] {
				seen[m.ID] = true
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// phoneForms are the spellings of p searched for, most likely first.
func phoneForms(p mapping.Phone, implicitPrefix string) []string {
	cc := strconv.Itoa(p.CountryCode)
	national := strings.TrimPrefix(p.MSISDN, cc)
	candidates := []string{p.E164, p.MSISDN, "00" + p.MSISDN}
	// How people group an eight-digit number (Norway, Denmark): "913 00
	// 001" and "91 30 00 01", whichever the formatting library chose.
	var grouped []string
	if len(national) == 8 && !strings.HasPrefix(national, "0") {
		grouped = []string{national[:3] + " " + national[3:5] + " " + national[5:], national[:2] + " " + national[2:4] + " " + national[4:6] + " " + national[6:]}
	}
	if p.National != "" && !strings.HasPrefix(p.National, "0") {
		candidates = append(candidates, "+"+cc+" "+p.National)
	}
	for _, g := range grouped {
		candidates = append(candidates, "+"+cc+" "+g)
	}
	if strings.TrimSpace(implicitPrefix) == "+"+cc {
		// As typed at home: grouped and not ("040 1234567", "0401234567"
		// with a trunk 0 in Finland and Sweden), and without a trunk 0.
		candidates = append(candidates, p.National)
		if strings.HasPrefix(p.National, "0") {
			candidates = append(candidates, "0"+national)
		}
		candidates = append(candidates, national)
		candidates = append(candidates, grouped...)
	}
	var forms []string
	for _, f := range candidates {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}
