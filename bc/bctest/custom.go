package bctest

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// entitySetDef is a custom API page registered by a test.
type entitySetDef struct {
	keyField string
}

// RegisterEntitySet serves a custom API page at
// {BCURL}/v2.0/{tenant}/{env}/api/{publisher}/{group}/{version}/companies({id})/{entitySet}.
// Its entities are open JSON objects with an "id" (generated when absent)
// and an @odata.etag; keyField ("id" when empty) is the OData key used in
// entitySet(key). Paging, $filter, $select, $orderby, ETag rules and $batch
// work as for customers.
func (s *Sim) RegisterEntitySet(publisher, group, version, entitySet, keyField string) {
	if keyField == "" {
		keyField = "id"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entitySets[publisher+"/"+group+"/"+version+"/"+entitySet] = entitySetDef{keyField: keyField}
}

// Entities returns the entities of a custom entity set in a company, as the
// API returns them (with @odata.etag), in creation order.
func (s *Sim) Entities(companyID, publisher, group, version, entitySet string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.st.tables[tableKey{companyID, publisher + "/" + group + "/" + version + "/" + entitySet}]
	if !ok {
		return nil
	}
	var out []map[string]any
	for _, r := range t.sorted("") {
		out = append(out, r.view())
	}
	return out
}

// entitySetRegistered reports whether RegisterEntitySet registered the set.
func (s *Sim) entitySetRegistered(publisher, group, version, entitySet string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.entitySets[publisher+"/"+group+"/"+version+"/"+entitySet]
	return ok
}

// companyExists reports whether a company with this (lower-case) id exists.
func (s *Sim) companyExists(companyID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.st.companies[companyID]
	return ok
}

func newGUID() string { return strings.ToLower(uuid.NewString()) }

// SetEntityField changes one field of the entity whose key field equals
// key in a custom entity set, as a BC user editing the record would (its
// ETag changes). It reports whether the entity was found.
func (s *Sim) SetEntityField(companyID, publisher, group, version, entitySet, key, field string, value any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	api := publisher + "/" + group + "/" + version + "/" + entitySet
	def, ok := s.entitySets[api]
	if !ok {
		return false
	}
	t, ok := s.st.tables[tableKey{strings.ToLower(companyID), api}]
	if !ok {
		return false
	}
	for _, r := range t.rows {
		if v, ok := r.fields[def.keyField]; ok && strings.EqualFold(toString(v), key) {
			r.fields[field] = value
			r.seq = s.st.nextSeq()
			return true
		}
	}
	return false
}

// AddEntity inserts a record into a custom entity set of a company, as a
// POST to it would (for load tests that need many rows in BC at once).
func (s *Sim) AddEntity(companyID, publisher, group, version, entitySet string, fields map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.companies[companyID]; !ok {
		return fmt.Errorf("bctest: add entity: unknown company %s", companyID)
	}
	es, ok := s.resolveSet(publisher+"/"+group+"/"+version, entitySet)
	if !ok {
		return fmt.Errorf("bctest: add entity: entity set %s is not registered", entitySet)
	}
	if _, _, e := s.insertEntityLocked(s.rows(companyID, es), es, fields); e != nil {
		return fmt.Errorf("bctest: add entity: %s", e.msg)
	}
	return nil
}
