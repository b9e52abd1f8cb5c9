package bc

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"strings"
)

// CustomerService is the company's API v2.0 customers entity set
// (page "APIV2 - Customers").
type CustomerService struct {
	c  *Client
	es entitySet
}

func customerETag(c *Customer) string { return c.ODataETag }

// Get reads a customer by id (GET …/customers({id})).
func (s *CustomerService) Get(ctx context.Context, id string) (*Customer, error) {
	c, err := get[Customer](ctx, s.es, id)
	if err != nil {
		return nil, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

// GetByNumber reads the customer with "No." number ($filter=number eq …).
// No such customer is an *Error with status 404 (IsNotFound).
func (s *CustomerService) GetByNumber(ctx context.Context, number string) (*Customer, error) {
	for c, err := range list[Customer](ctx, s.es, ListOptions{Filter: "number eq " + Quote(number), PageSize: 2}) {
		if err != nil {
			return nil, fmt.Errorf("get customer by number: %w", err)
		}
		return &c, nil
	}
	return nil, fmt.Errorf("get customer by number: %w",
		&Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no customer with this number"})
}

// FindByEmail returns the customers whose e-mail equals email, ignoring
// case ($filter=tolower(email) eq …, then compared again client-side).
func (s *CustomerService) FindByEmail(ctx context.Context, email string) ([]Customer, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil
	}
	var out []Customer
	f := "tolower(email) eq " + Quote(strings.ToLower(email))
	for c, err := range list[Customer](ctx, s.es, ListOptions{Filter: f}) {
		if err != nil {
			return nil, fmt.Errorf("find customers by e-mail: %w", err)
		}
		if strings.EqualFold(strings.TrimSpace(c.Email), email) {
			out = append(out, c)
		}
	}
	return out, nil
}

// FindByPhone returns the customers whose phone number is the same number
// as phone, however either is formatted; see phoneFilter for how.
func (s *CustomerService) FindByPhone(ctx context.Context, phone string) ([]Customer, error) {
	want, forms, err := phoneForms(phone, s.c.cfg.PhoneRegion)
	if err != nil {
		return nil, fmt.Errorf("find customers by phone: %w", err)
	}
	var out []Customer
	for c, err := range list[Customer](ctx, s.es, ListOptions{Filter: phoneFilter("phoneNumber", forms)}) {
		if err != nil {
			return nil, fmt.Errorf("find customers by phone: %w", err)
		}
		if samePhone(c.PhoneNumber, want, s.c.cfg.PhoneRegion) {
			out = append(out, c)
		}
	}
	return out, nil
}

// List reads customers page by page, following @odata.nextLink:
//
//	for cust, err := range c.Customers.List(ctx, bc.ListOptions{}) { … }
func (s *CustomerService) List(ctx context.Context, o ListOptions) iter.Seq2[Customer, error] {
	return list[Customer](ctx, s.es, o)
}

// Create inserts a customer (POST …/customers). BC requires displayName.
func (s *CustomerService) Create(ctx context.Context, c Customer) (*Customer, error) {
	c.ID, c.ODataETag, c.LastModifiedDateTime = "", "", nil
	out, err := create[Customer](ctx, s.es, c)
	if err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	return out, nil
}

// Update changes customer id safely under concurrency: it reads the
// customer, calls change with the current state to compute the fields to
// PATCH (an empty map writes nothing), and sends them with If-Match: the
// customer's @odata.etag. If another user changed the customer in between
// (409 Request_EntityChanged or 412), it reads again and calls change again
// on the fresh state, at most Config.MaxConflictRetries times; it never
// overwrites with If-Match: *.
func (s *CustomerService) Update(ctx context.Context, id string, change func(current *Customer) (map[string]any, error)) (*Customer, error) {
	out, err := modify(ctx, s.es, id, customerETag, change)
	if err != nil {
		return nil, fmt.Errorf("update customer %s: %w", id, err)
	}
	return out, nil
}

// Patch sends fields to customer id with If-Match etag, once. Prefer Update,
// which handles conflicts.
func (s *CustomerService) Patch(ctx context.Context, id, etag string, fields map[string]any) (*Customer, error) {
	out, err := patch[Customer](ctx, s.es, id, etag, fields)
	if err != nil {
		return nil, fmt.Errorf("patch customer %s: %w", id, err)
	}
	return out, nil
}

// UpdateOp is a $batch operation that patches customer id with If-Match etag.
func (s *CustomerService) UpdateOp(id, etag string, fields map[string]any) BatchOperation {
	return BatchOperation{
		Method:  "PATCH",
		URL:     "companies(" + s.c.cfg.CompanyID + ")/customers" + keySegment(id),
		Headers: map[string]string{"If-Match": etag},
		Body:    fields,
	}
}
