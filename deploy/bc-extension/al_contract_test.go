// Package bcextension_test checks the companion AL extension in this
// directory against the connector's API contract (connector/api/openapi.yaml)
// and against DESIGN §8's entity sets, so that neither side can drift: every
// URL path, query parameter and JSON field the AL uses must exist in the
// OpenAPI document, and the API pages must publish exactly §8's fields.
//
// The AL follows conventions that make this reliable without an AL compiler:
// every connector path is a Label ending in PathTxt (e.g.
// CapturePathTxt: Label '/v1/payments/%1/capture') passed, directly or through
// StrSubstNo, to the "BCV Connector Client" methods Get, TryGet, Post and
// Delete; JSON is written with <JsonObject>.Add('name', …) and read with the
// client's GetText/GetBigInteger/GetObject/GetArray(…, 'name') helpers (or
// <JsonObject>.Get/SelectToken).
package bcextension_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/getkin/kin-openapi/openapi3"
)

// alFile is one AL source file, comments removed.
type alFile struct {
	name string
	src  string
}

func loadAL(t *testing.T) []alFile {
	t.Helper()
	var files []alFile
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".al") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, alFile{name: path, src: stripComments(string(b))})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d .al files; the extension has more", len(files))
	}
	return files
}

// stripComments removes // comments (outside string literals) and /* */ blocks.
func stripComments(src string) string {
	src = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(src, "")
	lines := strings.Split(src, "\n")
	for i, line := range lines {
		inString := false
		for j := 0; j+1 < len(line); j++ {
			switch {
			case line[j] == '\'':
				inString = !inString
			case !inString && line[j] == '/' && line[j+1] == '/':
				line = line[:j]
			}
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

var (
	labelRE     = regexp.MustCompile(`(\w+)\s*:\s*Label\s+'((?:[^']|'')*)'`)
	callRE      = regexp.MustCompile(`\.(Get|TryGet|Post|TryPost|Delete)\(\s*(?:StrSubstNo\(\s*)?(\w+PathTxt)\b`)
	pathLitRE   = regexp.MustCompile(`'(/(?:v1/|readyz|healthz)[^']*)'`)
	jsonVarRE   = regexp.MustCompile(`(?m)(\w+)\s*:\s*JsonObject\s*[;)]`)
	helperGetRE = regexp.MustCompile(`\b(?:GetText|GetBigInteger|GetObject|GetArray)\((?:[^'()\n]|\(\))*'([^']+)'`)
	placeholder = regexp.MustCompile(`%\d`)
	queryNameRE = regexp.MustCompile(`(?:^|&)([A-Za-z][A-Za-z0-9]*)=`)
)

var alMethods = map[string]string{"Get": "GET", "TryGet": "GET", "Post": "POST", "TryPost": "POST", "Delete": "DELETE"}

// call is one connector request the AL makes.
type call struct {
	file, label   string
	method, path  string // path normalised: %1 → {id}, no query
	query         []string
	rawPathInFile string
}

func (c call) String() string {
	return fmt.Sprintf("%s %s (%s in %s)", c.method, c.path, c.label, c.file)
}

// normalise turns '/v1/payments/%1/capture?wait=%2' into /v1/payments/{id}/capture and [wait].
func normalise(raw string) (string, []string) {
	path, query, _ := strings.Cut(raw, "?")
	path = placeholder.ReplaceAllString(path, "{id}")
	var names []string
	for _, m := range queryNameRE.FindAllStringSubmatch(query, -1) {
		names = append(names, m[1])
	}
	return path, names
}

func extractCalls(t *testing.T, files []alFile) []call {
	t.Helper()
	var calls []call
	for _, f := range files {
		labels := map[string]string{}
		for _, m := range labelRE.FindAllStringSubmatch(f.src, -1) {
			labels[m[1]] = strings.ReplaceAll(m[2], "''", "'")
		}
		used := map[string]bool{}
		for _, m := range callRE.FindAllStringSubmatch(f.src, -1) {
			raw, ok := labels[m[2]]
			if !ok {
				t.Errorf("%s: %s is not a Label of this file", f.name, m[2])
				continue
			}
			p, q := normalise(raw)
			calls = append(calls, call{file: f.name, label: m[2], method: alMethods[m[1]], path: p, query: q, rawPathInFile: raw})
			used[raw] = true
		}
		// Every connector path in the AL must be one that is checked.
		for _, m := range pathLitRE.FindAllStringSubmatch(f.src, -1) {
			if !used[m[1]] {
				t.Errorf("%s: path '%s' is not a …PathTxt Label passed to the connector client; the test cannot check it", f.name, m[1])
			}
		}
	}
	return calls
}

// jsonNames returns the JSON property names the file writes and reads.
func jsonNames(src string) (writes, reads []string) {
	vars := map[string]bool{}
	for _, m := range jsonVarRE.FindAllStringSubmatch(src, -1) {
		vars[m[1]] = true
	}
	for v := range vars {
		add := regexp.MustCompile(`\b` + v + `\.Add\(\s*'([^']+)'`)
		for _, m := range add.FindAllStringSubmatch(src, -1) {
			writes = append(writes, m[1])
		}
		get := regexp.MustCompile(`\b` + v + `\.(?:Get|Contains|SelectToken)\(\s*'([^']+)'`)
		for _, m := range get.FindAllStringSubmatch(src, -1) {
			reads = append(reads, strings.Split(strings.TrimPrefix(m[1], "$."), ".")...)
		}
	}
	for _, m := range helperGetRE.FindAllStringSubmatch(src, -1) {
		reads = append(reads, m[1])
	}
	return writes, reads
}

// collect adds every property name reachable from s.
func collect(s *openapi3.SchemaRef, into map[string]bool, seen map[*openapi3.Schema]bool) {
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	v := s.Value
	seen[v] = true
	for name, p := range v.Properties {
		into[name] = true
		collect(p, into, seen)
	}
	collect(v.Items, into, seen)
	for _, group := range []openapi3.SchemaRefs{v.AllOf, v.OneOf, v.AnyOf} {
		for _, sub := range group {
			collect(sub, into, seen)
		}
	}
	if v.AdditionalProperties.Schema != nil {
		collect(v.AdditionalProperties.Schema, into, seen)
	}
}

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

func operation(doc *openapi3.T, method, path string) (*openapi3.PathItem, *openapi3.Operation) {
	item := doc.Paths.Find(path)
	if item == nil {
		return nil, nil
	}
	return item, item.GetOperation(method)
}

// TestALCallsMatchOpenAPI checks each path+method, query parameter and JSON
// field of the AL against the connector's OpenAPI document.
func TestALCallsMatchOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	files := loadAL(t)
	calls := extractCalls(t, files)

	// What the extension must call (issue 13): losing one of these is a regression.
	required := []string{
		"GET /readyz", "GET /v1/payments",
		"POST /v1/customer-info-requests", "GET /v1/customer-info-requests/{id}", "DELETE /v1/customer-info-requests/{id}",
		"POST /v1/member-info-requests", "GET /v1/member-info-requests/{id}", "DELETE /v1/member-info-requests/{id}",
		"POST /v1/payments", "GET /v1/payments/{id}", "POST /v1/payments/{id}/capture",
		"POST /v1/payments/{id}/refund", "POST /v1/payments/{id}/cancel",
	}
	have := map[string]bool{}
	for _, c := range calls {
		have[c.method+" "+c.path] = true
	}
	for _, r := range required {
		if !have[r] {
			t.Errorf("the AL no longer calls %s", r)
		}
	}

	responseNames := map[string]bool{}
	requestNamesByFile := map[string]map[string]bool{}
	for _, c := range calls {
		item, op := operation(doc, c.method, c.path)
		if op == nil {
			t.Errorf("%v: no such operation in openapi.yaml", c)
			continue
		}
		params := map[string]bool{}
		for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
			for _, p := range ps {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
					params[p.Value.Name] = true
				}
			}
		}
		for _, q := range c.query {
			if !params[q] {
				t.Errorf("%v: query parameter %q is not a parameter of the operation", c, q)
			}
		}
		if op.RequestBody != nil && op.RequestBody.Value != nil {
			if requestNamesByFile[c.file] == nil {
				requestNamesByFile[c.file] = map[string]bool{}
			}
			for _, mt := range op.RequestBody.Value.Content {
				collect(mt.Schema, requestNamesByFile[c.file], map[*openapi3.Schema]bool{})
			}
		}
		for _, r := range op.Responses.Map() {
			if r.Value == nil {
				continue
			}
			for _, mt := range r.Value.Content {
				collect(mt.Schema, responseNames, map[*openapi3.Schema]bool{})
			}
		}
	}

	var nWrites, nReads int
	for _, f := range files {
		writes, reads := jsonNames(f.src)
		nWrites += len(writes)
		nReads += len(reads)
		for _, w := range writes {
			if !requestNamesByFile[f.name][w] {
				t.Errorf("%s sends JSON field %q, which no request schema of the operations it calls has", f.name, w)
			}
		}
		for _, r := range reads {
			if !responseNames[r] {
				t.Errorf("%s reads JSON field %q, which no response schema of the operations the AL calls has", f.name, r)
			}
		}
	}
	if nWrites < 10 || nReads < 20 {
		t.Errorf("found only %d JSON writes and %d reads in the AL; the extraction is broken", nWrites, nReads)
	}
}

// entitySet is one row of DESIGN §8's table ("What it writes into BC, and the
// companion extension", ../shared/DESIGN.md): the entity sets the connector
// writes through the companion extension's API pages.
type entitySet struct {
	name string
	// apiKey is the field ODataKeyFields binds: §8's key, or id (SystemId) for
	// vippsSettlements, whose §8 key is ledgerDate + salesUnit.
	apiKey string
	key    []string // §8's key column
	fields []string // §8's fields column
}

// design8 is DESIGN §8's table, the reference for the API pages.
var design8 = []entitySet{
	{"vippsPayments", "reference", []string{"reference"}, []string{"paymentId", "salesUnit", "status", "currency", "amount",
		"authorizedAmount", "capturedAmount", "refundedAmount", "cancelledAmount", "posId", "receiptNumber", "memberId", "lastChangedAt"}},
	{"vippsSettlements", "id", []string{"ledgerDate", "salesUnit"}, []string{"currency", "captured", "refunded", "fees", "net",
		"payoutReference", "entries", "unmatched"}},
	{"vippsFindings", "findingId", []string{"findingId"}, []string{"kind", "reference", "salesUnit", "detail", "expected", "actual",
		"status", "firstSeenAt", "resolvedAt"}},
}

// minorUnits are §8's amounts: integers in minor units, BigInteger in AL.
var minorUnits = map[string]bool{"amount": true, "authorizedAmount": true, "capturedAmount": true, "refundedAmount": true,
	"cancelledAmount": true, "captured": true, "refunded": true, "fees": true, "net": true}

var (
	propRE       = func(name string) *regexp.Regexp { return regexp.MustCompile(`(?m)^\s*` + name + `\s*=\s*([^;]+);`) }
	apiFieldRE   = regexp.MustCompile(`field\((\w+);\s*Rec\.("[^"]+"|\w+)\)`)
	tableRE      = regexp.MustCompile(`(?m)^table\s+\d+\s+"([^"]+)"`)
	tableFieldRE = regexp.MustCompile(`field\(\d+;\s*("[^"]+"|\w+);\s*(\w+)`)
)

func prop(src, name string) string {
	m := propRE(name).FindStringSubmatch(src)
	if m == nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(m[1]), "'")
}

// TestAPIPagesMatchDesign8 checks the API pages against DESIGN §8.
func TestAPIPagesMatchDesign8(t *testing.T) {
	files := loadAL(t)
	tableFields := map[string]map[string]string{} // table → field → type
	for _, f := range files {
		if m := tableRE.FindStringSubmatch(f.src); m != nil {
			tableFields[m[1]] = map[string]string{}
			for _, fm := range tableFieldRE.FindAllStringSubmatch(f.src, -1) {
				tableFields[m[1]][strings.Trim(fm[1], `"`)] = fm[2]
			}
		}
	}
	pages := map[string]alFile{}
	for _, f := range files {
		if prop(f.src, "PageType") == "API" {
			pages[prop(f.src, "EntitySetName")] = f
		}
	}
	var gotSets, wantSets []string
	for s := range pages {
		gotSets = append(gotSets, s)
	}
	for _, e := range design8 {
		wantSets = append(wantSets, e.name)
	}
	sort.Strings(gotSets)
	sort.Strings(wantSets)
	if !slices.Equal(gotSets, wantSets) {
		t.Errorf("API pages publish %v; DESIGN §8 has %v", gotSets, wantSets)
	}

	for _, e := range design8 {
		f, ok := pages[e.name]
		if !ok {
			continue
		}
		for prop2, want := range map[string]string{"APIPublisher": "bcvipps", "APIGroup": "vipps", "APIVersion": "v1.0",
			"EntityName": strings.TrimSuffix(e.name, "s"), "DelayedInsert": "true"} {
			if got := prop(f.src, prop2); got != want {
				t.Errorf("%s: %s = %q, want %q", f.name, prop2, got, want)
			}
		}
		source := strings.Trim(prop(f.src, "SourceTable"), `"`)
		keyField := strings.Trim(prop(f.src, "ODataKeyFields"), `"`)
		bound := map[string]string{}
		var got []string
		for _, m := range apiFieldRE.FindAllStringSubmatch(f.src, -1) {
			got = append(got, m[1])
			bound[m[1]] = strings.Trim(m[2], `"`)
		}
		want := []string{e.apiKey}
		for _, k := range append(slices.Clone(e.key), e.fields...) {
			if !slices.Contains(want, k) {
				want = append(want, k)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s (%s): fields %v, DESIGN §8 has %v", f.name, e.name, got, want)
		}
		if bound[e.apiKey] != keyField {
			t.Errorf("%s: ODataKeyFields = %s, but the key %s is bound to %q", f.name, keyField, e.apiKey, bound[e.apiKey])
		}
		for api, field := range bound {
			if field == "SystemId" {
				continue
			}
			typ, ok := tableFields[source][field]
			if !ok {
				t.Errorf("%s: %s is bound to %q, not a field of table %q", f.name, api, field, source)
			}
			if minorUnits[api] && typ != "BigInteger" {
				t.Errorf("%s: %s is an amount in minor units; %q is %s, want BigInteger", f.name, api, field, typ)
			}
		}
	}
}
