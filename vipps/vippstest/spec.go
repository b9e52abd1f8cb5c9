package vippstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

const cibaTokenPath = "/access-management-1.0/access/oauth2/token"

// receiptSchemaHost is the remote $ref in epayment-api.yaml; it is resolved
// to the local order-management-api.yaml (a later, compatible version of
// the same file), never fetched from the network.
const receiptSchemaHost = "raw.githubusercontent.com"

// specValidator checks requests and responses against the official
// OpenAPI files. Endpoints that are absent from the specs (CIBA,
// user-exists, the control API) are not validated.
type specValidator struct {
	routers []routers.Router

	mu         sync.Mutex
	violations []string
}

// loadedSpecs caches the routers per spec folder: loading all files takes
// a noticeable time, and the documents are only read after loading.
var loadedSpecs sync.Map // dir -> *specSet

type specSet struct {
	once    sync.Once
	routers []routers.Router
	errs    []string
}

// newSpecValidator loads every *.yaml in dir (once per process). A load
// failure is recorded as a violation so that a broken spec folder cannot
// pass silently.
func newSpecValidator(dir string) *specValidator {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	set, _ := loadedSpecs.LoadOrStore(abs, &specSet{})
	ss := set.(*specSet)
	ss.once.Do(func() {
		files, err := filepath.Glob(filepath.Join(abs, "*.yaml"))
		if err != nil || len(files) == 0 {
			ss.errs = append(ss.errs, fmt.Sprintf("spec: no *.yaml files in %s", dir))
			return
		}
		sort.Strings(files)
		for _, f := range files {
			r, err := loadSpec(abs, f)
			if err != nil {
				ss.errs = append(ss.errs, fmt.Sprintf("spec: load %s: %v", filepath.Base(f), err))
				continue
			}
			ss.routers = append(ss.routers, r)
		}
	})
	return &specValidator{routers: ss.routers, violations: slices.Clone(ss.errs)}
}

// SpecValidationIfPresent is WithSpecValidation(dir) for callers that
// find the spec folder relative to the repository and may run without it.
// When dir exists it returns WithSpecValidation(dir) and true (a folder that
// exists but cannot be loaded is then recorded as a violation, as always).
// When dir does not exist it returns an option that changes nothing and
// false, and prints one line to standard error, once per process, naming
// the folder it looked for, so that a run without OpenAPI validation is
// visible instead of silent.
func SpecValidationIfPresent(dir string) (Option, bool) {
	return specValidationIfPresent(dir, stderrSpecNotice)
}

// specNotice says once that the spec folder is missing.
type specNotice struct {
	once sync.Once
	w    io.Writer
}

var stderrSpecNotice = &specNotice{w: os.Stderr}

func specValidationIfPresent(dir string, n *specNotice) (Option, bool) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		n.once.Do(func() {
			abs, aerr := filepath.Abs(dir)
			if aerr != nil {
				abs = dir
			}
			_, _ = fmt.Fprintf(n.w, "vippstest: spec folder %s not found: requests and responses are NOT validated against the official OpenAPI specs\n", abs)
		})
		return func(*Sim) {}, false
	}
	return WithSpecValidation(dir), true
}

// loadSpec loads one spec file, applies the drift adjustments and builds a
// router that matches by path only.
func loadSpec(dir, file string) (routers.Router, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		switch {
		case u.Host == receiptSchemaHost && strings.Contains(u.Path, "vipps-order-management-api"):
			return os.ReadFile(filepath.Join(dir, "order-management-api.yaml"))
		case u.Scheme == "" || u.Scheme == "file":
			p := filepath.Clean(u.Path)
			if filepath.Dir(p) != filepath.Clean(dir) {
				return nil, fmt.Errorf("spec: refusing to read %s outside the spec folder", p)
			}
			return os.ReadFile(p)
		}
		return nil, fmt.Errorf("spec: refusing network reference %s", u.Redacted())
	}
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		return nil, err
	}
	adjustForDrift(filepath.Base(file), doc)
	rebase(doc)
	return legacy.NewRouter(doc,
		openapi3.DisableExamplesValidation(),
		openapi3.DisableSchemaDefaultsValidation(),
		openapi3.DisableSchemaPatternValidation(),
	)
}

// rebase moves the path part of the first server URL (e.g. /qr of
// https://api.vipps.no/qr) into every path and removes the servers, so
// that all specs are routed by request path alone: the specs' servers
// differ, and the simulator runs on its own host.
func rebase(doc *openapi3.T) {
	prefix := ""
	if len(doc.Servers) > 0 {
		if u, err := url.Parse(doc.Servers[0].URL); err == nil {
			prefix = strings.TrimSuffix(u.Path, "/")
		}
	}
	doc.Servers = nil
	if prefix == "" {
		return
	}
	paths := openapi3.NewPaths()
	for p, item := range doc.Paths.Map() {
		paths.Set(prefix+p, item)
	}
	doc.Paths = paths
}

// adjustForDrift updates the in-memory copy of a spec where the file is
// older than the current documented behaviour (specs/vipps/SOURCES.md,
// "Known drift") or plainly contradicts the live API.
func adjustForDrift(name string, doc *openapi3.T) {
	schema := func(n string) *openapi3.Schema {
		if doc.Components == nil || doc.Components.Schemas[n] == nil {
			return nil
		}
		return doc.Components.Schemas[n].Value
	}
	switch name {
	case "epayment-api.yaml":
		// Known drift: reference is now ^[a-zA-Z0-9-]{8,64}$ (spec: 8-50).
		const refPattern = `^[a-zA-Z0-9-]{8,64}$`
		var maxLen uint64 = 64
		if s := schema("Reference"); s != nil {
			s.Pattern, s.MaxLength = refPattern, &maxLen
		}
		if p := doc.Components.Parameters["Payment-Reference-ID"]; p != nil && p.Value.Schema != nil {
			p.Value.Schema.Value.Pattern, p.Value.Schema.Value.MaxLength = refPattern, &maxLen
		}
		// Spec bug: the three Customer alternatives of the oneOf require
		// nothing, so every customer object matches all three and fails
		// oneOf. The spec text says exactly one identification is given;
		// make each alternative require its own field.
		for name, field := range map[string]string{"CustomerPhoneNumber": "phoneNumber", "PersonalQrCode": "personalQr", "CustomerToken": "customerToken"} {
			if s := schema(name); s != nil && len(s.Required) == 0 {
				s.Required = []string{field}
			}
		}
		// Spec bug: PaymentEvent requires "paymentAction", a property it
		// does not define; the API (and the spec's own properties) call it
		// "name".
		if s := schema("PaymentEvent"); s != nil {
			s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == "paymentAction" })
			s.Required = append(s.Required, "name")
		}
		// Spec bug: successful adjustments (capture/refund/cancel) are
		// declared as application/problem+json; the API answers
		// application/json. Accept both.
		if r := doc.Components.Responses["AdjustResponse"]; r != nil && r.Value != nil {
			if mt := r.Value.Content.Get("application/problem+json"); mt != nil {
				r.Value.Content["application/json"] = mt
			}
		}
		// expiresAt up to 60 days and the new response fields
		// (captureGuaranteedUntil, userDetails, shippingDetails) need no
		// change: the spec has no upper bound in the schema and allows
		// additional properties.
	case "access-token-api.yaml":
		// Current docs describe /miami/v1/token as standard OAuth2 client
		// credentials (Basic auth, form grant_type) answering expires_in as
		// the number 900; the spec copy has client_id/client_secret headers
		// and a string. Both request styles are accepted; expires_in may be
		// a number or a string.
		if item := doc.Paths.Value("/miami/v1/token"); item != nil && item.Post != nil {
			op := *item.Post
			op.Parameters = nil
			for _, p := range item.Post.Parameters {
				if p.Value != nil && (p.Value.Name == "client_id" || p.Value.Name == "client_secret") {
					optional := *p.Value
					optional.Required = false
					p = &openapi3.ParameterRef{Value: &optional}
				}
				op.Parameters = append(op.Parameters, p)
			}
			item.Post = &op
		}
		if s := schema("TokenResponse"); s != nil && s.Properties["expires_in"] != nil {
			s.Properties["expires_in"] = openapi3.NewSchemaRef("", &openapi3.Schema{
				OneOf: openapi3.SchemaRefs{openapi3.NewIntegerSchema().NewRef(), openapi3.NewStringSchema().NewRef()},
			})
		}
	case "report-api.yaml":
		// Known drift: "scheduled-for-payout" is now "payout-scheduled";
		// "credit-note" was added.
		if s := schema("Transaction"); s != nil && s.Properties["entryType"] != nil {
			e := s.Properties["entryType"].Value
			e.Enum = append(e.Enum, "payout-scheduled", "credit-note")
		}
	case "userinfo-api.yaml":
		// Spec bug: phone_number is documented as an MSISDN (e.g.
		// 4712345678) but the pattern demands exactly 15 digits.
		if s := schema("Userinfo"); s != nil && s.Properties["phone_number"] != nil {
			s.Properties["phone_number"].Value.Pattern = `^\d{10,15}$`
		}
		// The error body is RFC 7807, whose status is a number; the spec
		// types it as a string.
		if s := schema("UserinfoError"); s != nil && s.Properties["status"] != nil {
			s.Properties["status"] = openapi3.NewIntegerSchema().NewRef()
		}
		// Known drift: the Login userinfo endpoint takes only the user's
		// Bearer token, no subscription key (current docs).
		if item := doc.Paths.Value("/vipps-userinfo-api/userinfo/"); item != nil && item.Get != nil {
			op := *item.Get
			op.Parameters = nil
			for _, p := range item.Get.Parameters {
				if p.Value != nil && p.Value.Name == "Ocp-Apim-Subscription-Key" {
					optional := *p.Value
					optional.Required = false
					p = &openapi3.ParameterRef{Value: &optional}
				}
				op.Parameters = append(op.Parameters, p)
			}
			item.Get = &op
		}
		// The spec lists GET /vipps-userinfo-api/userinfo/ (trailing
		// slash); current docs and the API use it without one.
		if item := doc.Paths.Value("/vipps-userinfo-api/userinfo/"); item != nil && item.Get != nil {
			alias, op := *item, *item.Get
			op.OperationID += "WithoutSlash"
			alias.Get = &op
			doc.Paths.Set("/vipps-userinfo-api/userinfo", &alias)
		}
	}
}

func (v *specValidator) record(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.violations = append(v.violations, msg)
}

func (v *specValidator) findRoute(r *http.Request, body []byte) (*routers.Route, map[string]string) {
	if r.URL.Path == cibaTokenPath {
		// The login spec documents only the authorization_code grant of
		// the token endpoint; the CIBA grant is documented in prose only.
		if f, err := url.ParseQuery(string(body)); err != nil || f.Get("grant_type") != "authorization_code" {
			return nil, nil
		}
	}
	for _, rt := range v.routers {
		route, params, err := rt.FindRoute(r)
		if err == nil {
			return route, params
		}
	}
	return nil, nil
}

// serve runs h for r, validating the request before and the response after.
func (v *specValidator) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		h.ServeHTTP(w, r)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params := v.findRoute(r, body)
	if route == nil {
		h.ServeHTTP(w, r)
		return
	}
	where := r.Method + " " + r.URL.Path
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	opts.WithCustomSchemaErrorFunc(func(e *openapi3.SchemaError) string {
		return "/" + strings.Join(e.JSONPointer(), "/") + ": " + e.Reason
	})
	check := r.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		v.record(where + ": request: " + flatten(err))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.status, Header: rec.header,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		v.record(fmt.Sprintf("%s: response %d: %s", where, rec.status, flatten(err)))
	}
	rec.replay(w)
}

// flatten joins a (multi) error into one line.
func flatten(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		parts := make([]string, 0, len(me))
		for _, e := range me {
			parts = append(parts, flatten(e))
		}
		return strings.Join(parts, "; ")
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// SpecViolations returns the spec violations recorded so far (always empty
// without WithSpecValidation).
func (s *Sim) SpecViolations() []string {
	if s.spec == nil {
		return nil
	}
	s.spec.mu.Lock()
	defer s.spec.mu.Unlock()
	return slices.Clone(s.spec.violations)
}
