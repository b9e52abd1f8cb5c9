package bctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bcvipps/bcvipps/bc"
)

// The NP Retail member API, served on the BC listener under
// /npretail/{tenant}/{environment}/{company} (company: name or id), the
// simulated counterpart of https://api.npretail.app/{tenant}/{environment}/{company}.
//
//	GET   /membership/member?firstName&lastName&email&phone&birthday → {"members":[member, ...]}
//	GET   /membership/member/{memberId}                           → {"member":{...}}
//	PATCH /membership/member/{memberId}  {"member":{...}}         → {"member":{...}}
//	POST  /membership                    {"itemNumber",...}       → {"membership":{...}} (201)
//	POST  /membership/{membershipId}/addMember {"member":{...}}   → {"member":{...}} (201)
//
// As NaviPartner's API (npcore-partners, _API_SERVICES/memberships) does:
// members use bc.Member's JSON names; every request needs a registered
// x-np-api-key (401 otherwise); errors are flat {"code","message"} with
// code generic_error, and an unknown member or membership id is a 400
// ("Invalid member ID"), not a 404. A member body needs its "member"
// property; unknown keys are ignored, null keeps a value, gender and
// newsletter are decoded leniently and answered as words (male,
// notSpecified; yes, unknown), the country by name, gdprConsent not at
// all. A value longer than its field is a 400 (AL's message names no
// field). The search needs a parameter, matches the phone exactly and
// answers at most 50 (limit, at most 100).

type memberField struct {
	max    int
	decode func(string) string // an option: NP Retail's Decode… (any other value is NOT_SPECIFIED)
	upper  bool
	lower  bool
}

// memberFields are what NP Retail's member API reads ("NPR MM Member Info
// Capture" via MemberApiAgent); other keys are ignored.
var memberFields = map[string]memberField{
	"firstName":         {max: bc.MaxMemberFirstName},
	"middleName":        {max: bc.MaxMemberMiddleName},
	"lastName":          {max: bc.MaxMemberLastName},
	"email":             {max: bc.MaxMemberEmail, lower: true},
	"phoneNo":           {max: bc.MaxMemberPhoneNo},
	"birthday":          {max: 10},
	"gender":            {decode: decodeOption(map[string]string{"MALE": "MALE", "1": "MALE", "FEMALE": "FEMALE", "2": "FEMALE", "OTHER": "OTHER", "3": "OTHER"}, "NOT_SPECIFIED")},
	"address":           {max: bc.MaxMemberAddress},
	"postCode":          {max: bc.MaxMemberPostCode, upper: true},
	"city":              {max: bc.MaxMemberCity},
	"country":           {max: 50},
	"newsletter":        {decode: decodeOption(map[string]string{"YES": "YES", "1": "YES", "NO": "NO", "0": "NO"}, "NOT_SPECIFIED")},
	"gdprConsent":       {decode: decodeOption(map[string]string{"PENDING": "PENDING", "1": "PENDING", "ACCEPT": "ACCEPTED", "ACCEPTED": "ACCEPTED", "2": "ACCEPTED", "REJECT": "REJECTED", "REJECTED": "REJECTED", "3": "REJECTED"}, "NA")},
	"preferredLanguage": {max: 10, upper: true},
}

// decodeOption is NP Retail's Decode…: case-insensitive, with numbers,
// anything else the default.
func decodeOption(values map[string]string, dflt string) func(string) string {
	return func(s string) string {
		if v, ok := values[strings.ToUpper(s)]; ok {
			return v
		}
		return dflt
	}
}

// countryNames are the "Country/Region" names NP Retail answers for the
// codes a member is created with (SetMemberFields turns a code into the
// name); other codes are answered as they are.
var countryNames = map[string]string{"NO": "Norway", "SE": "Sweden", "DK": "Denmark", "FI": "Finland", "IS": "Iceland", "DE": "Germany", "GB": "United Kingdom"}

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
	return npErrorResponse(errf(status, code, format, args...))
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
			return npErr(http.StatusBadRequest, codeNPRetailGeneric, "The request body is not a valid JSON object.")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.npKeys[r.Header.Get("x-np-api-key")] {
		return npErr(http.StatusUnauthorized, codeNPRetailGeneric, "A valid x-np-api-key header is required.")
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
			// As NP Retail (MemberApiAgent): an unknown or malformed id is a bad request.
			return npErr(http.StatusBadRequest, codeNPRetailGeneric, "Invalid member ID")
		}
		return response{status: http.StatusOK, body: map[string]any{"member": memberView(m)}}
	case r.Method == http.MethodPatch && len(route) == 3 && route[0] == "membership" && route[1] == "member":
		return s.patchMember(route[2], body)
	case r.Method == http.MethodPost && len(route) == 1 && route[0] == "membership":
		return s.createMembership(body)
	case r.Method == http.MethodPost && len(route) == 3 && route[0] == "membership" && route[2] == "addMember":
		if _, ok := s.st.memberships.rows[strings.ToLower(route[1])]; !ok {
			return npErr(http.StatusBadRequest, codeNPRetailGeneric, "Invalid Membership - Membership Id not valid.")
		}
		m, e := memberBodyOf(body)
		if e != nil {
			return npErrorResponse(e)
		}
		fields, e := memberFromBody(map[string]any{}, m, false)
		if e != nil {
			return npErrorResponse(e)
		}
		return response{status: http.StatusCreated, body: map[string]any{"member": memberView(s.insertMemberLocked(strings.ToLower(route[1]), "", fields))}}
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

// memberView is a member as NP Retail's API answers it (MemberDTO): the
// options as words (MembershipApiTranslation: gender male, female, other,
// notSpecified; newsletter yes, no, unknown), the country's name, a
// blocked flag, and no gdprConsent (a member has none; a membership does).
func memberView(r *record) map[string]any {
	v := deepCopy(r.fields).(map[string]any)
	v["gender"] = map[string]string{"MALE": "male", "FEMALE": "female", "OTHER": "other"}[toString(v["gender"])]
	if v["gender"] == "" {
		v["gender"] = "notSpecified"
	}
	v["newsletter"] = map[string]string{"YES": "yes", "NO": "no"}[toString(v["newsletter"])]
	if v["newsletter"] == "" {
		v["newsletter"] = "unknown"
	}
	if name, ok := countryNames[strings.ToUpper(toString(v["country"]))]; ok {
		v["country"] = name
	}
	delete(v, "gdprConsent")
	v["blocked"] = v["blocked"] == true
	return v
}

// BlockMember blocks the member id (NP Retail's "Blocked"): the search
// still answers it, with blocked true. false if there is no such member.
func (s *Sim) BlockMember(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.members.rows[strings.ToLower(id)]
	if ok {
		r.fields["blocked"] = true
		r.seq = s.st.nextSeq()
	}
	return ok
}

// searchMembers is GET /membership/member: at least one parameter; names
// and e-mail match case-insensitively, the phone exactly; at most limit
// (default 50, at most 100) members, as {"members":[…]}.
func (s *Sim) searchMembers(q url.Values) response {
	if q.Get("firstName") == "" && q.Get("lastName") == "" && q.Get("email") == "" && q.Get("phone") == "" && q.Get("birthday") == "" {
		return npErr(http.StatusBadRequest, codeNPRetailGeneric, "At least one search parameter is required.")
	}
	if b := q.Get("birthday"); b != "" && !birthdayRe.MatchString(b) {
		return npErr(http.StatusBadRequest, codeNPRetailGeneric, "Invalid birthday format")
	}
	limit := 50
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
		limit = min(l, 100)
	}
	out := []any{}
	for _, r := range s.st.members.sorted("memberNumber") {
		if len(out) == limit {
			break
		}
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
	return response{status: http.StatusOK, body: map[string]any{"members": out}}
}

// memberFromBody reads a member body over fields as NP Retail does: keys
// it does not know are ignored, null keeps a value, options are decoded
// leniently; a value longer than its field, or a birthday that is not a
// date, is a 400. On an update (existing) a member with a country keeps
// it: NP Retail fills the country from the member's old country code.
func memberFromBody(fields, body map[string]any, existing bool) (map[string]any, *apiError) {
	next := deepCopy(fields).(map[string]any)
	for k, v := range body {
		def, ok := memberFields[k]
		if !ok || v == nil {
			continue
		}
		str, ok := v.(string)
		if !ok {
			return nil, errf(http.StatusBadRequest, codeNPRetailGeneric, "Unable to convert from Microsoft.Dynamics.Nav.Runtime.NavJsonValue to Text.")
		}
		str = strings.TrimSpace(str)
		if n := utf8.RuneCountInString(str); def.max > 0 && n > def.max {
			return nil, errf(http.StatusBadRequest, codeNPRetailGeneric,
				"The length of the string is %d, but it must be less than or equal to %d characters.", n, def.max)
		}
		switch {
		case def.decode != nil:
			str = def.decode(str)
		case def.upper:
			str = strings.ToUpper(str)
		case def.lower:
			str = strings.ToLower(str)
		}
		if k == "birthday" && str != "" && !birthdayRe.MatchString(str) {
			return nil, errf(http.StatusBadRequest, codeNPRetailGeneric, "Unable to convert from Microsoft.Dynamics.Nav.Runtime.NavJsonValue to Date.")
		}
		if k == "country" && existing && toString(fields["country"]) != "" {
			continue
		}
		next[k] = str
	}
	return next, nil
}

// memberBodyOf is the "member" object of a member request: NP Retail
// refuses a body without one.
func memberBodyOf(body map[string]any) (map[string]any, *apiError) {
	m, ok := body["member"].(map[string]any)
	if !ok {
		return nil, errf(http.StatusBadRequest, codeNPRetailGeneric, "Missing member property")
	}
	return m, nil
}

func (s *Sim) patchMember(id string, body map[string]any) response {
	r, ok := s.st.members.rows[strings.ToLower(id)]
	if !ok {
		return npErr(http.StatusBadRequest, codeNPRetailGeneric, "Invalid member ID")
	}
	m, e := memberBodyOf(body)
	if e != nil {
		return npErrorResponse(e)
	}
	fields, e := memberFromBody(r.fields, m, true)
	if e != nil {
		return npErrorResponse(e)
	}
	r.fields = fields
	r.seq = s.st.nextSeq()
	return response{status: http.StatusOK, body: map[string]any{"member": memberView(r)}}
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
		return npErr(http.StatusBadRequest, codeNPRetailGeneric, "Item No. must have a value in NPR MM Member Info Capture: Entry No.=0. It cannot be zero or empty.")
	}
	code, ok := membershipItems[item]
	if !ok {
		return npErr(http.StatusBadRequest, codeNPRetailGeneric, "The NPR MM Members. Sales Setup does not exist. Identification fields and values: Type='ITEM',No.='%s'", item)
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
	fields, e := memberFromBody(map[string]any{}, memberBody(m), false)
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
