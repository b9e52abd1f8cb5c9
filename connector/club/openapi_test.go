package club_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
)

// TestClubAnswersMatchTheOpenAPIDocument validates real answers of the
// club endpoints against the document.
func TestClubAnswersMatchTheOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	oc := testenv.NewOpenAPIChecker(e.Env)
	qr := e.Vipps.PersonalQR(memberPhone)
	oc.Check(http.MethodPost, "/v1/phone-lookups", apiKey, `{"qrCode":"`+qr+`"}`, "Idempotency-Key", "oa-pl")
	oc.Check(http.MethodPost, "/v1/phone-lookups", apiKey, `{"qrCode":"`+qr+`"}`, "Idempotency-Key", "oa-pl")
	oc.Check(http.MethodPost, "/v1/phone-lookups", apiKey, `{"qrCode":"`+e.Vipps.PersonalQR(newPhone)+`"}`, "Idempotency-Key", "oa-pl")
	oc.Check(http.MethodPost, "/v1/phone-lookups", apiKey, `{"qrCode":"x"}`)
	oc.Check(http.MethodGet, "/v1/members?phoneNumber=%2B"+memberPhone, apiKey, "")
	oc.Check(http.MethodPost, "/v1/check-ins", apiKey, `{"phoneNumber":"+`+memberPhone+`"}`, "Idempotency-Key", "oa-ci")
	oc.Check(http.MethodPost, "/v1/check-ins", apiKey, `{"phoneNumber":"+`+newPhone+`"}`, "Idempotency-Key", "oa-ci")
	oc.Check(http.MethodPost, "/v1/check-ins", apiKey, `{"phoneNumber":"+`+newPhone+`","qrCode":"`+qr+`"}`)
	member := oc.Check(http.MethodPost, "/v1/enrollments", apiKey, `{"phoneNumber":"+`+memberPhone+`"}`, "Idempotency-Key", "oa-en-1")
	if member.Status != http.StatusAccepted || member.Body["status"] != "completed" {
		t.Fatalf("already a member: %d %s", member.Status, member.Raw)
	}
	res := oc.Check(http.MethodPost, "/v1/enrollments", apiKey, `{"phoneNumber":"+`+newPhone+`"}`, "Idempotency-Key", "oa-en-2")
	id, _ := res.Body["id"].(string)
	oc.Check(http.MethodGet, "/v1/enrollments/"+id, apiKey, "")
	e.Advance(2 * time.Second)
	e.await(id, "completed")
	oc.Check(http.MethodGet, "/v1/enrollments/"+id, apiKey, "")
	oc.Check(http.MethodPost, "/v1/enrollments", apiKey, `{"phoneNumber":"+`+newPhone+`"}`, "Idempotency-Key", "oa-en-2")
}
