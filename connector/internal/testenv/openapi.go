package testenv

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/bcvipps/bcvipps/connector/api"
)

// LoadOpenAPI loads and validates the connector's OpenAPI document.
func LoadOpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// OpenAPIChecker calls the API and validates each answer (status, headers,
// body) against the OpenAPI document.
type OpenAPIChecker struct {
	e      *Env
	router routers.Router
}

// NewOpenAPIChecker returns a checker of e's answers.
func NewOpenAPIChecker(e *Env) *OpenAPIChecker {
	e.T.Helper()
	router, err := gorillamux.NewRouter(LoadOpenAPI(e.T))
	if err != nil {
		e.T.Fatal(err)
	}
	return &OpenAPIChecker{e: e, router: router}
}

// Check calls method path as key with body (JSON text, or "") and headers
// (name, value pairs), reports an answer the document does not describe,
// and returns the answer.
func (o *OpenAPIChecker) Check(method, path, key, body string, headers ...string) Response {
	o.e.T.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	var sent any
	if body != "" {
		sent = body
	}
	res := o.e.Do(method, path, key, sent, headers...)
	route, params, err := o.router.FindRoute(req)
	if err != nil {
		o.e.T.Fatalf("%s %s: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.Status, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(res.Raw)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		o.e.T.Errorf("%s %s → %d does not match openapi.yaml: %v\n%s", method, path, res.Status, err, res.Raw)
	}
	return res
}
