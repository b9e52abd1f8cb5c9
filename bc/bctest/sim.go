package bctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
)

// Option configures a Sim.
type Option func(*Sim)

// WithClock sets the clock used for token lifetimes, throttling windows,
// queue timeouts, injected latency and lastModifiedDateTime.
func WithClock(c clockwork.Clock) Option { return func(s *Sim) { s.clock = c } }

// WithSeed controls the demo data. With true (the default) the demo company
// holds the demo customers and NP Retail holds the demo members. With false
// the demo tenant, environment, company, Entra app and NP Retail API key
// still exist, but the company has no customers and there are no members.
func WithSeed(seed bool) Option { return func(s *Sim) { s.seed = seed } }

// WithThrottle makes the BC API answer 429 with Retry-After once a principal
// has sent more than requests requests within the sliding window per.
func WithThrottle(requests int, per time.Duration) Option {
	return func(s *Sim) { s.throttleN, s.throttlePer = requests, per }
}

// WithMaxConcurrent sets how many requests of one principal BC processes at
// once (default 5). Further requests wait in a queue (at most 95, then 429;
// at most 8 minutes on the sim clock, then 503), as BC online does.
func WithMaxConcurrent(n int) Option { return func(s *Sim) { s.maxConcurrent = n } }

// WithPageSize sets the server page size used when a request has no
// Prefer: odata.maxpagesize header (default and maximum 20000, BC online's
// limit).
func WithPageSize(n int) Option { return func(s *Sim) { s.pageSize = n } }

// WithBasicAuth also accepts HTTP basic auth with this user name and web
// service access key on the BC API, like an on-premises NavUserPassword
// instance.
func WithBasicAuth(user, accessKey string) Option {
	return func(s *Sim) { s.basicUser, s.basicKey = user, accessKey }
}

// Sim simulates Business Central's API, an Entra ID token authority and
// NP Retail's member API over one shared state. Serve its handlers with
// NewServers or Start, or mount BCHandler and AuthorityHandler yourself
// (the authority must be served over TLS for azidentity).
type Sim struct {
	clock         clockwork.Clock
	seed          bool
	throttleN     int
	throttlePer   time.Duration
	maxConcurrent int
	pageSize      int
	basicUser     string
	basicKey      string

	signingKey *rsa.PrivateKey
	keyID      string

	mu         sync.Mutex // guards everything below
	st         *state
	apps       map[string]*app // tenant|clientID
	npKeys     map[string]bool
	entitySets map[string]entitySetDef // publisher/group/version/entitySet
	faults     []*faultEntry
	principals map[string]*principalLimits
	stats      Stats
}

type app struct {
	tenantID, clientID, secret string
	certs                      []*x509.Certificate
}

// Stats counts what the simulator saw. Stats returns a copy.
type Stats struct {
	Requests          int            `json:"requests"`          // requests to the BC and NP Retail APIs (control API excluded; a $batch is one)
	ByStatus          map[int]int    `json:"byStatus"`          // responses by HTTP status
	Throttled         int            `json:"throttled"`         // 429 responses sent (throttle, full queue or injected)
	Queued            int            `json:"queued"`            // requests that had to wait for a free slot of their principal
	MaxInFlight       int            `json:"maxInFlight"`       // most requests of one principal processed at the same time
	Batches           int            `json:"batches"`           // $batch requests
	BatchOperations   int            `json:"batchOperations"`   // operations inside $batch requests
	PatchesByCustomer map[string]int `json:"patchesByCustomer"` // customer id → PATCH operations that reached it (direct or in a $batch)
	TokensIssued      int            `json:"tokensIssued"`      // tokens issued by the authority
	FaultsInjected    int            `json:"faultsInjected"`    // responses or delays caused by InjectFault
}

// New builds a simulator. It does not listen; see NewServers and Start.
func New(opts ...Option) (*Sim, error) {
	s := &Sim{
		clock:         clockwork.NewRealClock(),
		seed:          true,
		maxConcurrent: defaultMaxConcurrent,
		pageSize:      maxServerPageSize,
		st:            newState(),
		apps:          map[string]*app{},
		npKeys:        map[string]bool{},
		entitySets:    map[string]entitySetDef{},
		principals:    map[string]*principalLimits{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.pageSize <= 0 || s.pageSize > maxServerPageSize {
		s.pageSize = maxServerPageSize
	}
	if s.maxConcurrent <= 0 {
		s.maxConcurrent = defaultMaxConcurrent
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("bctest: generate token signing key: %w", err)
	}
	s.signingKey, s.keyID = key, uuid.NewString()
	s.resetStatsLocked()
	if err := s.seedDemo(); err != nil {
		return nil, fmt.Errorf("bctest: seed demo data: %w", err)
	}
	return s, nil
}

func (s *Sim) resetStatsLocked() {
	s.stats = Stats{ByStatus: map[int]int{}, PatchesByCustomer: map[string]int{}}
}

// Clock returns the simulator's clock.
func (s *Sim) Clock() clockwork.Clock { return s.clock }

// RegisterApp registers an Entra application with a client secret in a
// tenant (creating the tenant) and enables it in BC's "Microsoft Entra
// Applications" page of that tenant, so tokens issued to it are accepted.
func (s *Sim) RegisterApp(tenantID, clientID, clientSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := appKey(tenantID, clientID)
	a, ok := s.apps[k]
	if !ok {
		a = &app{tenantID: strings.ToLower(tenantID), clientID: strings.ToLower(clientID)}
		s.apps[k] = a
	}
	a.secret = clientSecret
}

// RegisterAppCertificate registers (or extends) an Entra application that
// authenticates with a client assertion signed by the certificate's key.
func (s *Sim) RegisterAppCertificate(tenantID, clientID string, cert *x509.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := appKey(tenantID, clientID)
	a, ok := s.apps[k]
	if !ok {
		a = &app{tenantID: strings.ToLower(tenantID), clientID: strings.ToLower(clientID)}
		s.apps[k] = a
	}
	a.certs = append(a.certs, cert)
}

func appKey(tenantID, clientID string) string {
	return strings.ToLower(tenantID) + "|" + strings.ToLower(clientID)
}

// RegisterNPRetailAPIKey makes key a valid x-np-api-key.
func (s *Sim) RegisterNPRetailAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.npKeys[key] = true
}

// AddCompany adds a company to a tenant's environment and returns its id.
func (s *Sim) AddCompany(tenantID, environment, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCompanyLocked(uuid.NewString(), tenantID, environment, name)
}

func (s *Sim) addCompanyLocked(id, tenantID, environment, name string) string {
	s.st.companies[id] = &company{
		ID: id, TenantID: strings.ToLower(tenantID), Environment: environment,
		Name: name, DisplayName: name, Modified: s.clock.Now(),
	}
	return id
}

// Customers returns the customers of a company ordered by number.
func (s *Sim) Customers(companyID string) []bc.Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.st.tables[tableKey{companyID, "customers"}]
	if !ok {
		return nil
	}
	var out []bc.Customer
	for _, r := range t.sorted("number") {
		out = append(out, toCustomer(r.view()))
	}
	return out
}

// Customer returns one customer by id.
func (s *Sim) Customer(companyID, id string) (bc.Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.st.tables[tableKey{companyID, "customers"}]
	if !ok {
		return bc.Customer{}, false
	}
	r, ok := t.rows[strings.ToLower(id)]
	if !ok {
		return bc.Customer{}, false
	}
	return toCustomer(r.view()), true
}

// AddCustomer creates a customer in a company, validated like a POST to the
// API (a given ID is kept). It returns the customer as the API would.
func (s *Sim) AddCustomer(companyID string, c bc.Customer) (bc.Customer, error) {
	body, err := customerBody(c)
	if err != nil {
		return bc.Customer{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.companies[companyID]; !ok {
		return bc.Customer{}, fmt.Errorf("bctest: add customer: unknown company %s", companyID)
	}
	v, aerr := s.createCustomerLocked(companyID, c.ID, body)
	if aerr != nil {
		return bc.Customer{}, fmt.Errorf("bctest: add customer: %w", aerr)
	}
	return toCustomer(v), nil
}

func customerBody(c bc.Customer) (map[string]any, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("bctest: encode customer: %w", err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("bctest: decode customer: %w", err)
	}
	for _, k := range []string{"@odata.etag", "id", "lastModifiedDateTime", "balanceDue"} {
		delete(body, k)
	}
	return body, nil
}

func (s *Sim) createCustomerLocked(companyID, id string, body map[string]any) (map[string]any, *apiError) {
	t := s.st.table(companyID, "customers")
	if id == "" {
		id = uuid.NewString()
	}
	id = strings.ToLower(id)
	if _, dup := t.rows[id]; dup {
		return nil, errf(http.StatusBadRequest, CodeEntityWithSameKey, "The record in table Customer already exists. Identification fields and values: SystemId='%s'", id)
	}
	fields := newCustomerFields(id)
	if e := applyCustomer(fields, body, true); e != nil {
		return nil, e
	}
	if fields["number"] == "" {
		fields["number"] = nextCustomerNumber(t)
	}
	for _, r := range t.rows {
		if r.fields["number"] == fields["number"] {
			return nil, errf(http.StatusBadRequest, CodeEntityWithSameKey,
				"The record in table Customer already exists. Identification fields and values: No.='%s'", fields["number"])
		}
	}
	fields["lastModifiedDateTime"] = formatTime(s.clock.Now())
	seq := s.st.nextSeq()
	r := &record{fields: fields, seq: seq, created: seq}
	t.rows[id] = r
	return r.view(), nil
}

// TouchCustomer changes a customer as "another user" would: its
// lastModifiedDateTime and its ETag change, so a client holding the old ETag
// gets 409 Request_EntityChanged.
func (s *Sim) TouchCustomer(companyID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.st.tables[tableKey{companyID, "customers"}]
	if !ok {
		return fmt.Errorf("bctest: touch customer: unknown company %s", companyID)
	}
	r, ok := t.rows[strings.ToLower(id)]
	if !ok {
		return fmt.Errorf("bctest: touch customer: unknown customer %s", id)
	}
	r.seq = s.st.nextSeq()
	r.fields["lastModifiedDateTime"] = formatTime(s.clock.Now())
	return nil
}

// Stats returns a copy of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByStatus = make(map[int]int, len(s.stats.ByStatus))
	for k, v := range s.stats.ByStatus {
		out.ByStatus[k] = v
	}
	out.PatchesByCustomer = make(map[string]int, len(s.stats.PatchesByCustomer))
	for k, v := range s.stats.PatchesByCustomer {
		out.PatchesByCustomer[k] = v
	}
	return out
}

// ResetStats sets every counter back to zero.
func (s *Sim) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetStatsLocked()
}

func toCustomer(v map[string]any) bc.Customer {
	raw, _ := json.Marshal(v)
	var c bc.Customer
	_ = json.Unmarshal(raw, &c)
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
