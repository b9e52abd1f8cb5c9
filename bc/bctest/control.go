package bctest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/bcvipps/bcvipps/bc"
)

// The control API on the BC listener needs no token:
//
//	GET    /_sim/companies                 every company with tenantId and environment
//	GET    /_sim/customers[?companyId=]    every customer as the API returns it, plus "companyId"
//	POST   /_sim/customers                 create one (API field names, "companyId" optional → demo company)
//	POST   /_sim/apps                      {"tenantId","clientId","clientSecret"} registers an Entra app
//	GET    /_sim/members                   every NP Retail member
//	POST   /_sim/members                   create one (bc.Member JSON) in the demo membership
//	POST   /_sim/entitysets                {"publisher","group","version","entitySet","keyField"} serves a custom API page
//	GET    /_sim/entitysets/{entitySet}    {"items":[…]} its entities in creation order; ?publisher=bcvipps&group=vipps&version=v1.0&companyId=(demo company)
//	POST   /_sim/faults                    {"method","pathPrefix","status","retryAfter":"2s","latency":"100ms","times"}
//	DELETE /_sim/faults                    clear faults
//	GET    /_sim/stats                     the Stats counters
func (s *Sim) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sim/companies", s.ctlCompanies)
	mux.HandleFunc("GET /_sim/customers", s.ctlListCustomers)
	mux.HandleFunc("POST /_sim/customers", s.ctlCreateCustomer)
	mux.HandleFunc("POST /_sim/apps", s.ctlRegisterApp)
	mux.HandleFunc("GET /_sim/members", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"value": s.Members()})
	})
	mux.HandleFunc("POST /_sim/members", s.ctlCreateMember)
	mux.HandleFunc("POST /_sim/entitysets", s.ctlRegisterEntitySet)
	mux.HandleFunc("GET /_sim/entitysets/{entitySet}", s.ctlListEntities)
	mux.HandleFunc("POST /_sim/faults", s.ctlInjectFault)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	return mux
}

func (s *Sim) ctlCompanies(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	var out []any
	for _, id := range sortedKeys(s.st.companies) {
		co := s.st.companies[id]
		v := companyView(co)
		v["tenantId"], v["environment"] = co.TenantID, co.Environment
		out = append(out, v)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

func (s *Sim) ctlListCustomers(w http.ResponseWriter, r *http.Request) {
	only := strings.ToLower(r.URL.Query().Get("companyId"))
	s.mu.Lock()
	out := []any{}
	for _, coID := range sortedKeys(s.st.companies) {
		if only != "" && coID != only {
			continue
		}
		t, ok := s.st.tables[tableKey{coID, "customers"}]
		if !ok {
			continue
		}
		for _, rec := range t.sorted("number") {
			v := rec.view()
			v["companyId"] = coID
			out = append(out, v)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

func (s *Sim) ctlCreateCustomer(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body == nil {
		writeError(w, badQuery("The request body is not a valid JSON object."))
		return
	}
	coID := DemoCompanyID
	if v, ok := body["companyId"].(string); ok && v != "" {
		coID = strings.ToLower(v)
	}
	delete(body, "companyId")
	id, _ := body["id"].(string)
	delete(body, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.companies[coID]; !ok {
		writeError(w, errf(http.StatusNotFound, CodeNotFound, "The company does not exist."))
		return
	}
	v, e := s.createCustomerLocked(coID, id, body)
	if e != nil {
		writeError(w, e)
		return
	}
	v["companyId"] = coID
	writeJSON(w, http.StatusCreated, v)
}

func (s *Sim) ctlRegisterApp(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TenantID     string `json:"tenantId"`
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.TenantID == "" || body.ClientID == "" || body.ClientSecret == "" {
		writeError(w, badQuery("tenantId, clientId and clientSecret are required."))
		return
	}
	s.RegisterApp(body.TenantID, body.ClientID, body.ClientSecret)
	writeJSON(w, http.StatusCreated, map[string]any{"tenantId": body.TenantID, "clientId": body.ClientID})
}

func (s *Sim) ctlCreateMember(w http.ResponseWriter, r *http.Request) {
	var m bc.Member
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		writeError(w, badQuery("The request body is not a valid member."))
		return
	}
	out, err := s.AddMember(m)
	if err != nil {
		writeError(w, badQuery("%s", strings.TrimPrefix(err.Error(), "bctest: add member: ")))
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Sim) ctlInjectFault(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Method     string `json:"method"`
		PathPrefix string `json:"pathPrefix"`
		Status     int    `json:"status"`
		RetryAfter string `json:"retryAfter"`
		Latency    string `json:"latency"`
		Times      int    `json:"times"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, badQuery("The request body is not a valid fault."))
		return
	}
	f := Fault{Method: body.Method, PathPrefix: body.PathPrefix, Status: body.Status, Times: body.Times}
	for _, d := range []struct {
		raw string
		dst *time.Duration
	}{{body.RetryAfter, &f.RetryAfter}, {body.Latency, &f.Latency}} {
		if d.raw == "" {
			continue
		}
		v, err := time.ParseDuration(d.raw)
		if err != nil || v < 0 {
			writeError(w, badQuery("retryAfter and latency are durations such as \"2s\"."))
			return
		}
		*d.dst = v
	}
	if f.Status == 0 && f.Latency == 0 {
		writeError(w, badQuery("A fault needs a status or a latency."))
		return
	}
	s.InjectFault(f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) ctlRegisterEntitySet(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Publisher string `json:"publisher"`
		Group     string `json:"group"`
		Version   string `json:"version"`
		EntitySet string `json:"entitySet"`
		KeyField  string `json:"keyField"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Publisher == "" || body.Group == "" ||
		body.Version == "" || body.EntitySet == "" {
		writeError(w, badQuery("publisher, group, version and entitySet are required."))
		return
	}
	s.RegisterEntitySet(body.Publisher, body.Group, body.Version, body.EntitySet, body.KeyField)
	w.WriteHeader(http.StatusNoContent)
}

// ctlListEntities answers what was written to a custom API page:
// {"items":[…]} with the entities as the API returns them, in creation
// order. publisher, group and version default to the companion extension's
// (bcvipps/vipps/v1.0), companyId to the demo company, as for POST
// /_sim/customers. An entity set that was never registered is 404.
func (s *Sim) ctlListEntities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	param := func(name, def string) string {
		if v := q.Get(name); v != "" {
			return v
		}
		return def
	}
	publisher, group, version := param("publisher", "bcvipps"), param("group", "vipps"), param("version", "v1.0")
	set := r.PathValue("entitySet")
	coID := strings.ToLower(param("companyId", DemoCompanyID))
	if !s.entitySetRegistered(publisher, group, version, set) {
		writeError(w, errf(http.StatusNotFound, CodeNotFound,
			"The entity set '%s' is not registered for %s/%s/%s.", set, publisher, group, version))
		return
	}
	if !s.companyExists(coID) {
		writeError(w, errf(http.StatusNotFound, CodeNotFound, "The company does not exist."))
		return
	}
	items := s.Entities(coID, publisher, group, version, set)
	if items == nil {
		items = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}
