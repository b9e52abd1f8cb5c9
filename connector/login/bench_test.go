package login_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// BenchmarkCreateMemberRequest measures one POST /v1/member-info-requests
// through the connector: validation, store, and the Vipps backchannel call.
func BenchmarkCreateMemberRequest(b *testing.B) {
	be := testenv.NewBench(b, options())
	var n atomic.Int64
	const users = 20000 // b.Loop decides b.N later; phones are reused past this
	for i := range users + 1 {
		phone := fmt.Sprintf("4780%06d", i)
		be.Vipps.AddUser(vippstest.User{PhoneNumber: phone, Behaviour: vippstest.BehaviourReject, Profile: vipps.UserInfo{PhoneNumber: phone}})
	}
	b.ResetTimer()
	for b.Loop() {
		i := n.Add(1)%users + 1
		body := fmt.Sprintf(`{"phoneNumber":"+4780%06d"}`, i)
		req, _ := http.NewRequest(http.MethodPost, be.URL+login.MemberRoute, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+keyAcme)
		req.Header.Set("Content-Type", "application/json")
		res, err := be.Client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted || !strings.Contains(string(raw), `"status":"pending"`) {
			b.Fatalf("status %d: %s", res.StatusCode, raw)
		}
	}
}
