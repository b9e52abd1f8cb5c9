package bc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// NPRetailConfig selects an NP Retail API base and its key.
type NPRetailConfig struct {
	// BaseURL is the full base including tenant, environment and company:
	// https://api.npretail.app/{tenant}/{environment}/{company} (BC's
	// "NaviPartner API URL" page shows it).
	BaseURL string
	// APIKey is a NaviPartner API key, sent as x-np-api-key.
	APIKey string
	// MaxRetries bounds retries after 429/503/504 or network errors (see
	// decideRetry: POSTs only after 429, 503 with Retry-After or a refused
	// connection); default 6, negative: none.
	MaxRetries int
}

// NPRetail is the client of NP Retail's REST member API. It is safe for
// concurrent use.
type NPRetail struct {
	base string
	t    *transport

	// Members is the member and membership API.
	Members *MemberService
}

// NewNPRetail returns an NP Retail client. Its errors name NP Retail: an
// *Error with Service ServiceNPRetail, or a transport error whose text
// starts with "NP Retail:". Options as for New; WithGovernor
// applies BC limits (the gateway forwards to BC as an Entra app), and
// WithCredential is not used (the API key authenticates).
func NewNPRetail(cfg NPRetailConfig, opts ...Option) (*NPRetail, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		return nil, errors.New("np retail config: BaseURL is required")
	}
	if _, err := url.Parse(base); err != nil {
		return nil, fmt.Errorf("np retail config: BaseURL: %w", err)
	}
	if cfg.APIKey == "" {
		return nil, errors.New("np retail config: APIKey is required")
	}
	retries := cfg.MaxRetries
	if retries == 0 {
		retries = 6
	}
	retries = max(retries, 0)
	o := buildOptions(opts)
	n := &NPRetail{base: base, t: &transport{
		rc: newResty(o.httpClient), headers: map[string]string{"x-np-api-key": cfg.APIKey},
		gov: o.governor, clock: o.clock, logger: o.logger, maxRetries: retries, maxWait: o.maxWait,
		service: ServiceNPRetail, logName: "np retail",
	}}
	n.Members = &MemberService{n: n}
	return n, nil
}

// MemberService is NP Retail's /membership routes.
type MemberService struct{ n *NPRetail }

// MemberQuery are the search parameters of GET /membership/member; empty
// fields are left out.
type MemberQuery struct {
	FirstName, LastName, Email, Phone, Birthday string
}

// memberEnvelope is {"member":{…}}, NP Retail's request and answer shape.
type memberEnvelope struct {
	Member *Member `json:"member"`
}

// decodeMember accepts {"member":{…}} or a bare member.
func decodeMember(b []byte) (*Member, error) {
	var env memberEnvelope
	if err := json.Unmarshal(b, &env); err == nil && env.Member != nil {
		env.Member.normalise()
		return env.Member, nil
	}
	var m Member
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode NP Retail member: %w", err)
	}
	m.normalise()
	return &m, nil
}

// normalise turns the words NP Retail's API answers for the gender and
// newsletter options (male, notSpecified; yes, unknown) into the option
// names it takes (MALE, NOT_SPECIFIED; YES, NOT_SPECIFIED), so a member
// reads the same whichever way it came.
func (m *Member) normalise() {
	words := map[string]string{"MALE": "MALE", "FEMALE": "FEMALE", "OTHER": "OTHER", "NOTSPECIFIED": "NOT_SPECIFIED",
		"NOT_SPECIFIED": "NOT_SPECIFIED", "UNKNOWNGENDER": "NOT_SPECIFIED", "YES": "YES", "NO": "NO", "UNKNOWN": "NOT_SPECIFIED"}
	if v, ok := words[strings.ToUpper(m.Gender)]; ok {
		m.Gender = v
	}
	if v, ok := words[strings.ToUpper(m.Newsletter)]; ok {
		m.Newsletter = v
	}
}

// decodeMembers accepts a JSON array, or an object holding the array under
// "members", "value" or "member".
func decodeMembers(b []byte) ([]Member, error) {
	var arr []Member
	if err := json.Unmarshal(b, &arr); err == nil {
		for i := range arr {
			arr[i].normalise()
		}
		return arr, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("decode NP Retail members: %w", err)
	}
	for _, k := range []string{"members", "value", "member"} {
		if raw, ok := obj[k]; ok {
			if err := json.Unmarshal(raw, &arr); err != nil {
				return nil, fmt.Errorf("decode NP Retail members: %w", err)
			}
			for i := range arr {
				arr[i].normalise()
			}
			return arr, nil
		}
	}
	return nil, errors.New("decode NP Retail members: no member list in the answer")
}

func (s *MemberService) call(ctx context.Context, method, path string, body any, idempotent bool) ([]byte, error) {
	req := request{method: method, url: s.n.base + path, idempotent: idempotent}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode NP Retail request: %w", err)
		}
		req.body = b
	}
	resp, err := s.n.t.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

// Search finds members (GET /membership/member?firstName&lastName&email&phone&birthday).
func (s *MemberService) Search(ctx context.Context, q MemberQuery) ([]Member, error) {
	v := url.Values{}
	for k, val := range map[string]string{"firstName": q.FirstName, "lastName": q.LastName,
		"email": q.Email, "phone": q.Phone, "birthday": q.Birthday} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return nil, errors.New("search NP Retail members: no search parameter")
	}
	b, err := s.call(ctx, "GET", "/membership/member?"+strings.ReplaceAll(v.Encode(), "+", "%20"), nil, true)
	if err != nil {
		return nil, fmt.Errorf("search members: %w", err)
	}
	ms, err := decodeMembers(b)
	if err != nil {
		return nil, fmt.Errorf("search members: %w", err)
	}
	return ms, nil
}

// Get reads a member by its id (GET /membership/member/{memberId}).
func (s *MemberService) Get(ctx context.Context, id string) (*Member, error) {
	b, err := s.call(ctx, "GET", "/membership/member/"+url.PathEscape(id), nil, true)
	if err != nil {
		return nil, fmt.Errorf("get member %s: %w", id, unknownMember(err))
	}
	m, err := decodeMember(b)
	if err != nil {
		return nil, fmt.Errorf("get member %s: %w", id, err)
	}
	return m, nil
}

// Update changes the given fields of a member (PATCH
// /membership/member/{memberId} with {"member":{…}}); keys are bc.Member's
// JSON names.
func (s *MemberService) Update(ctx context.Context, id string, patch map[string]any) (*Member, error) {
	// NP Retail's PATCH carries no ETag; sending the same fields twice gives
	// the same member, so it is safe to retry.
	b, err := s.call(ctx, "PATCH", "/membership/member/"+url.PathEscape(id), map[string]any{"member": patch}, true)
	if err != nil {
		return nil, fmt.Errorf("update member %s: %w", id, unknownMember(err))
	}
	m, err := decodeMember(b)
	if err != nil {
		return nil, fmt.Errorf("update member %s: %w", id, err)
	}
	return m, nil
}

// unknownMember makes NP Retail's answer to an unknown member id, 400
// "Invalid member ID" (MemberApiAgent), a not-found error (IsNotFound),
// as BC's 404 is.
func unknownMember(err error) error {
	if e, ok := AsError(err); ok && e.Status == http.StatusBadRequest && strings.HasPrefix(e.Message, "Invalid member ID") {
		nf := *e
		nf.Code = CodeNotFound
		return &nf
	}
	return err
}

// CreateMembership creates a membership (POST /membership).
func (s *MemberService) CreateMembership(ctx context.Context, m Membership) (*Membership, error) {
	b, err := s.call(ctx, "POST", "/membership", m, false)
	if err != nil {
		return nil, fmt.Errorf("create membership: %w", err)
	}
	var env struct {
		Membership *Membership `json:"membership"`
	}
	if err := json.Unmarshal(b, &env); err == nil && env.Membership != nil {
		return env.Membership, nil
	}
	var out Membership
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("create membership: decode NP Retail membership: %w", err)
	}
	return &out, nil
}

// AddMember adds a member to a membership (POST
// /membership/{membershipId}/addMember with {"member":{…}}).
func (s *MemberService) AddMember(ctx context.Context, membershipID string, m Member) (*Member, error) {
	m.ID = ""
	b, err := s.call(ctx, "POST", "/membership/"+url.PathEscape(membershipID)+"/addMember", memberEnvelope{Member: &m}, false)
	if err != nil {
		return nil, fmt.Errorf("add member to membership %s: %w", membershipID, err)
	}
	out, err := decodeMember(b)
	if err != nil {
		return nil, fmt.Errorf("add member to membership %s: %w", membershipID, err)
	}
	return out, nil
}
