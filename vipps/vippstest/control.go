package vippstest

import (
	"math"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

var (
	msisdnRE = regexp.MustCompile(`^[0-9]{10,15}$`)
	msnRE    = regexp.MustCompile(`^[0-9]{4,6}$`)
)

// controlUser is the JSON form of a User in the control API.
type controlUser struct {
	PhoneNumber  string         `json:"phoneNumber"`
	Behaviour    Behaviour      `json:"behaviour"`
	DelaySeconds float64        `json:"delaySeconds"`
	Profile      vipps.UserInfo `json:"profile"`
}

// POST /_sim/users adds or replaces a test user.
func (s *Sim) handleControlAddUser(w http.ResponseWriter, r *http.Request) {
	var cu controlUser
	if err := decodeJSON(r, &cu); err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "body must be a JSON user: "+err.Error(), "")
		return
	}
	switch {
	case !msisdnRE.MatchString(cu.PhoneNumber):
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "phoneNumber must be an MSISDN: 10-15 digits with country code", "")
		return
	case !cu.Behaviour.valid():
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "behaviour must be approve, reject, ignore, old_app or invalid_user", "")
		return
	case cu.DelaySeconds < 0 || math.IsNaN(cu.DelaySeconds) || cu.DelaySeconds > 86400:
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "delaySeconds must be between 0 and 86400", "")
		return
	}
	s.AddUser(User{
		PhoneNumber: cu.PhoneNumber, Behaviour: cu.Behaviour,
		Delay: time.Duration(cu.DelaySeconds * float64(time.Second)), Profile: cu.Profile,
	})
	writeJSON(w, http.StatusCreated, cu)
}

// GET /_sim/users lists the test users.
func (s *Sim) handleControlListUsers(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]controlUser, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, controlUser{PhoneNumber: u.PhoneNumber, Behaviour: u.Behaviour, DelaySeconds: u.Delay.Seconds(), Profile: u.Profile})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].PhoneNumber < out[j].PhoneNumber })
	writeJSON(w, http.StatusOK, out)
}

// POST /_sim/sales-units adds a sales unit.
func (s *Sim) handleControlAddSalesUnit(w http.ResponseWriter, r *http.Request) {
	var u struct {
		MSN             string `json:"msn"`
		ClientID        string `json:"clientId"`
		ClientSecret    string `json:"clientSecret"`
		SubscriptionKey string `json:"subscriptionKey"`
		LoginAuthMethod string `json:"loginAuthMethod"`
	}
	if err := decodeJSON(r, &u); err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "body must be a JSON sales unit: "+err.Error(), "")
		return
	}
	switch {
	case !msnRE.MatchString(u.MSN):
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "msn must be 4-6 digits", "")
		return
	case u.ClientID == "" || u.ClientSecret == "" || u.SubscriptionKey == "":
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "clientId, clientSecret and subscriptionKey are required", "")
		return
	case u.LoginAuthMethod != "" && u.LoginAuthMethod != authBasic && u.LoginAuthMethod != authPost:
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "loginAuthMethod must be client_secret_basic or client_secret_post", "")
		return
	}
	s.AddSalesUnit(SalesUnit{MSN: u.MSN, ClientID: u.ClientID, ClientSecret: u.ClientSecret, SubscriptionKey: u.SubscriptionKey, LoginAuthMethod: u.LoginAuthMethod})
	writeJSON(w, http.StatusCreated, map[string]string{"msn": u.MSN, "clientId": u.ClientID})
}

// POST /_sim/faults adds a fault.
func (s *Sim) handleControlAddFault(w http.ResponseWriter, r *http.Request) {
	var f struct {
		Fault
		RetryAfterSeconds float64 `json:"retryAfterSeconds"`
		LatencyMillis     int     `json:"latencyMillis"`
	}
	if err := decodeJSON(r, &f); err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "body must be a JSON fault: "+err.Error(), "")
		return
	}
	if (f.Status != 0 && (f.Status < 100 || f.Status > 599)) || f.Times < 0 || f.RetryAfterSeconds < 0 || f.LatencyMillis < 0 ||
		(f.Status == 0 && !f.Drop && f.LatencyMillis == 0) {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "a fault needs a status (100-599), drop or latencyMillis; times, retryAfterSeconds and latencyMillis must not be negative", "")
		return
	}
	f.Fault.RetryAfter = time.Duration(f.RetryAfterSeconds * float64(time.Second))
	f.Fault.Latency = time.Duration(f.LatencyMillis) * time.Millisecond
	s.InjectFault(f.Fault)
	w.WriteHeader(http.StatusCreated)
}

// DELETE /_sim/faults clears all faults.
func (s *Sim) handleControlClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

// GET /_sim/stats returns the counters.
func (s *Sim) handleControlStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

// POST /_sim/report/close-day closes the open ledger date now, so its
// settlement can be fetched at once.
func (s *Sim) handleControlCloseDay(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"closedLedgerDate": s.CloseDay()})
}
