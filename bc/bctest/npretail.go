package bctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/bcvipps/bcvipps/bc"
)

// The NP Retail member API, served on the BC listener under
// /npretail/{tenant}/{environment}/{company} (company: name or id), the
// simulated counterpart of https://api.npretail.app/{tenant}/{environment}/{company}.
//
//	GET   /membership/member?firstName&lastName&email&phone&birthday → [member, ...]
//	GET   /membership/member/{memberId}                           → member
//	PATCH /membership/member/{memberId}  {"member":{...}}         → member
//	POST  /membership                    {"itemNumber",...}       → {"membership":{...}} (201)
//	POST  /membership/{membershipId}/addMember {"member":{...}}   → member (201)
//
// Members use bc.Member's JSON names. Every request needs a registered
// x-np-api-key (401 otherwise). Values longer than NP Retail's field lengths
// are refused with 400 naming the field. Errors use BC's error body.

type memberField struct {
	max   int
	enum  []string
	upper bool
}

var memberFields = map[string]memberField{
	"firstName":         {max: bc.MaxMemberFirstName},
	"middleName":        {max: bc.MaxMemberMiddleName},
	"lastName":          {max: bc.MaxMemberLastName},
	"email":             {max: bc.MaxMemberEmail},
	"phoneNo":           {max: bc.MaxMemberPhoneNo},
	"birthday":          {max: 10},
	"gender":            {enum: []string{"NOT_SPECIFIED", "MALE", "FEMALE", "OTHER"}},
	"address":           {max: bc.MaxMemberAddress},
	"postCode":          {max: bc.MaxMemberPostCode, upper: true},
	"city":              {max: bc.MaxMemberCity},
	"country":           {max: bc.MaxMemberCountry, upper: true},
	"newsletter":        {enum: []string{"NOT_SPECIFIED", "YES", "NO"}},
	"gdprConsent":       {max: 30},
	"preferredLanguage": {max: 10, upper: true},
}

var birthdayRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func (s *Sim) npRetailHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer s.countRequest(rec)
		if e := s.applyFault(r.Context(), r); e != nil {
			writeError(rec, e)
			return
		}
		writeResponse(rec, s.serveNPRetail(r))
	})
}

func npErr(status int, code, format string, args ...any) response {
	return errorResponse(errf(status, code, format, args...))
}

func (s *Sim) serveNPRetail(r *http.Request) response {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.EscapedPath(), "/npretail/"), "/", 4)
	if len(parts) < 4 {
		return npErr(http.StatusNotFound, codeNPRetailNotFound, "No route matches the request.")
	}
	companyName, err := url.PathUnescape(parts[2])
	if err != nil {
		return npErr(http.StatusNotFound, codeNPRetailNotFound, "No route matches the request.")
	}
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return npErr(http.StatusBadRequest, codeNPRetailValidation, "The request body is not a valid JSON object.")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.npKeys[r.Header.Get("x-np-api-key")] {
		return npErr(http.StatusUnauthorized, codeNPRetailUnauthorized, "A valid x-np-api-key header is required.")
	}
	if !s.npCompanyExists(parts[0], parts[1], companyName) {
		return npErr(http.StatusNotFound, codeNPRetailNotFound, "The tenant, environment or company does not exist.")
	}
	route := splitSegments(parts[3])
	switch {
	case r.Method == http.MethodGet && len(route) == 2 && route[0] == "membership" && route[1] == "member":
		return s.searchMembers(r.URL.Query())
	case r.Method == http.MethodGet && len(route) == 3 && route[0] == "membership" && route[1] == "member":
		m, ok := s.st.members.rows[strings.ToLower(route[2])]
		if !ok {
			return npErr(http.StatusNotFound, codeNPRetailNotFound, "The member does not exist.")
		}
		return response{status: http.StatusOK, body: memberView(m)}
	case r.Method == http.MethodPatch && len(route) == 3 && route[0] == "membership" && route[1] == "member":
		return s.patchMember(route[2], unwrap(body, "member"))
	case r.Method == http.MethodPost && len(route) == 1 && route[0] == "membership":
		return s.createMembership(unwrap(body, "membership"))
	case r.Method == http.MethodPost && len(route) == 3 && route[0] == "membership" && route[2] == "addMember":
		if _, ok := s.st.memberships.rows[strings.ToLower(route[1])]; !ok {
			return npErr(http.StatusNotFound, codeNPRetailNotFound, "The membership does not exist.")
		}
		fields, e := memberFromBody(map[string]any{}, unwrap(body, "member"))
		if e != nil {
			return errorResponse(e)
		}
		return response{status: http.StatusCreated, body: memberView(s.insertMemberLocked(strings.ToLower(route[1]), "", fields))}
	}
	return npErr(http.StatusNotFound, codeNPRetailNotFound, "No route matches the request.")
}

func (s *Sim) npCompanyExists(tenant, env, name string) bool {
	for _, co := range s.st.companies {
		if strings.EqualFold(co.TenantID, tenant) && co.Environment == env &&
			(strings.EqualFold(co.Name, name) || strings.EqualFold(co.ID, name)) {
			return true
		}
	}
	return false
}

// unwrap returns body[key] when the body wraps the object, else the body.
func unwrap(body map[string]any, key string) map[string]any {
	if inner, ok := body[key].(map[string]any); ok {
		return inner
	}
	return body
}

func memberView(r *record) map[string]any {
	v := deepCopy(r.fields).(map[string]any)
	return v
}

func (s *Sim) searchMembers(q url.Values) response {
	out := []any{}
	for _, r := range s.st.members.sorted("memberNumber") {
		f := r.fields
		match := func(param, field string) bool {
			want := q.Get(param)
			return want == "" || strings.EqualFold(toString(f[field]), want)
		}
		// NP Retail filters "Phone No." with the value as given
		// (SetFilter '%1'): exact, no normalising of spaces or prefixes.
		phoneOK := true
		if p := q.Get("phone"); p != "" {
			phoneOK = toString(f["phoneNo"]) == p
		}
		if match("firstName", "firstName") && match("lastName", "lastName") && match("email", "email") &&
			match("birthday", "birthday") && phoneOK {
			out = append(out, memberView(r))
		}
	}
	return response{status: http.StatusOK, body: out}
}

// memberFromBody validates a member body and writes it over fields.
func memberFromBody(fields, body map[string]any) (map[string]any, *apiError) {
	next := deepCopy(fields).(map[string]any)
	for k, v := range body {
		if k == "memberId" || k == "memberNumber" || k == "membershipId" {
			continue
		}
		def, ok := memberFields[k]
		if !ok {
			return nil, errf(http.StatusBadRequest, codeNPRetailValidation, "%s: unknown member field.", k)
		}
		str, ok := v.(string)
		if !ok && v != nil {
			return nil, errf(http.StatusBadRequest, codeNPRetailValidation, "%s: must be a string.", k)
		}
		if n := utf8.RuneCountInString(str); def.max > 0 && n > def.max {
			return nil, errf(http.StatusBadRequest, codeNPRetailValidation,
				"%s: The length of the string is %d, but it must be less than or equal to %d characters.", k, n, def.max)
		}
		if def.enum != nil && str != "" {
			str = strings.ToUpper(str)
			valid := false
			for _, e := range def.enum {
				valid = valid || e == str
			}
			if !valid {
				return nil, errf(http.StatusBadRequest, codeNPRetailValidation, "%s: must be one of %s.", k, strings.Join(def.enum, ", "))
			}
		}
		if def.upper {
			str = strings.ToUpper(str)
		}
		if k == "birthday" && str != "" && !birthdayRe.MatchString(str) {
			return nil, errf(http.StatusBadRequest, codeNPRetailValidation, "birthday: must be an ISO date (YYYY-MM-DD).")
		}
		if k == "email" && str != "" && !validEmail(str) {
			return nil, errf(http.StatusBadRequest, codeNPRetailValidation, "email: The email address is not valid.")
		}
		next[k] = str
	}
	return next, nil
}

func (s *Sim) patchMember(id string, body map[string]any) response {
	r, ok := s.st.members.rows[strings.ToLower(id)]
	if !ok {
		return npErr(http.StatusNotFound, codeNPRetailNotFound, "The member does not exist.")
	}
	fields, e := memberFromBody(r.fields, body)
	if e != nil {
		return errorResponse(e)
	}
	r.fields = fields
	r.seq = s.st.nextSeq()
	return response{status: http.StatusOK, body: memberView(r)}
}

// membershipItems are the membership sales setups: item number →
// membership code.
var membershipItems = map[string]string{DemoMembershipItem: DemoMembershipCode, DemoMembershipItemSilver: "SILVER"}

// createMembership is POST /membership: as NP Retail, it reads the sales
// item (itemNumber, required), takes the membership code from the item's
// setup and ignores other fields (a membershipCode among them); it answers
// 201 {"membership":{…}}.
func (s *Sim) createMembership(body map[string]any) response {
	item := toString(body["itemNumber"])
	if item == "" {
		return npErr(http.StatusBadRequest, codeNPRetailValidation, "Item No. must have a value in NPR MM Member Info Capture: Entry No.=0. It cannot be zero or empty.")
	}
	code, ok := membershipItems[item]
	if !ok {
		return npErr(http.StatusBadRequest, codeNPRetailValidation, "The NPR MM Members. Sales Setup does not exist. Identification fields and values: Type='ITEM',No.='%s'", item)
	}
	id := newGUID()
	fields := map[string]any{
		"membershipId":     id,
		"membershipNumber": fmt.Sprintf("MS-%06d", len(s.st.memberships.rows)+1),
		"membershipCode":   code,
		"customerNumber":   toString(body["preassignedCustomerNumber"]),
		"blocked":          false,
	}
	seq := s.st.nextSeq()
	r := &record{fields: fields, seq: seq, created: seq}
	s.st.memberships.rows[id] = r
	return response{status: http.StatusCreated, body: map[string]any{"membership": deepCopy(fields)}}
}

// insertMemberLocked stores a validated member in a membership.
func (s *Sim) insertMemberLocked(membershipID, id string, fields map[string]any) *record {
	if id == "" {
		id = newGUID()
	}
	id = strings.ToLower(id)
	for k := range memberFields {
		if _, ok := fields[k]; !ok {
			fields[k] = ""
		}
	}
	for _, k := range []string{"gender", "newsletter"} {
		if fields[k] == "" {
			fields[k] = "NOT_SPECIFIED"
		}
	}
	fields["memberId"] = id
	fields["membershipId"] = membershipID
	if toString(fields["memberNumber"]) == "" {
		fields["memberNumber"] = fmt.Sprintf("MM-%06d", len(s.st.members.rows)+1)
	}
	seq := s.st.nextSeq()
	r := &record{fields: fields, seq: seq, created: seq}
	s.st.members.rows[id] = r
	return r
}

func memberBody(m bc.Member) map[string]any {
	raw, _ := json.Marshal(m)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return body
}

func (s *Sim) addMemberLocked(membershipID string, m bc.Member) (bc.Member, error) {
	fields, e := memberFromBody(map[string]any{}, memberBody(m))
	if e != nil {
		return bc.Member{}, e
	}
	if m.MemberNumber != "" {
		fields["memberNumber"] = m.MemberNumber
	}
	return toMember(s.insertMemberLocked(membershipID, m.ID, fields)), nil
}

func toMember(r *record) bc.Member {
	raw, _ := json.Marshal(r.fields)
	var m bc.Member
	_ = json.Unmarshal(raw, &m)
	return m
}

// Members returns every NP Retail member ordered by member number.
func (s *Sim) Members() []bc.Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bc.Member
	for _, r := range s.st.members.sorted("memberNumber") {
		out = append(out, toMember(r))
	}
	return out
}

// AddMember creates a member (validated like the API; a given ID and
// MemberNumber are kept) in the demo membership, creating that membership
// when it does not exist.
func (s *Sim) AddMember(m bc.Member) (bc.Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.memberships.rows[DemoMembershipID]; !ok {
		seq := s.st.nextSeq()
		s.st.memberships.rows[DemoMembershipID] = &record{seq: seq, created: seq, fields: map[string]any{
			"membershipId": DemoMembershipID, "membershipNumber": "MS-000001", "membershipCode": DemoMembershipCode,
		}}
	}
	out, err := s.addMemberLocked(DemoMembershipID, m)
	if err != nil {
		return bc.Member{}, fmt.Errorf("bctest: add member: %w", err)
	}
	return out, nil
}
