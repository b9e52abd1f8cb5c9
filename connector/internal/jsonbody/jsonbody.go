// Package jsonbody decodes API request bodies strictly, and says what is
// wrong in words an API client can act on.
//
// Decode accepts exactly one JSON object whose keys match the destination's
// json names exactly (encoding/json alone matches them case-insensitively,
// ignores unknown keys or names the first only, and lets a repeated key
// overwrite the earlier one). After json.Valid it checks, in one pass over
// the bytes:
//
//   - the body is one JSON object: not empty, valid JSON, no array, string,
//     number or null at the top, nothing after the object;
//   - every key of a struct is the exact json name of one of its fields
//     (untagged fields: the Go field name; embedded structs promote their
//     fields as in encoding/json), at every depth — also inside arrays and
//     maps of structs;
//   - no key appears twice in an object, counting differently cased
//     spellings of a field's name as the same key;
//   - every value has the JSON type its field needs ("must be a string",
//     "must be a whole number", …), integers fit their field, and types with
//     their own decoding (time.Time, json.Unmarshaler) accept the value.
//
// Then encoding/json decodes the body into dst. null is accepted for every
// field, as encoding/json does (it leaves the field unchanged). The first
// problem in document order is reported. Reasons never name Go types and
// never quote a value from the body; Field may quote a key the client sent
// (at most 64 bytes of it).
//
// Cost, measured with
//
//	go test -run '^$' -bench Decode -benchmem ./connector/internal/jsonbody/
//
// for a 148-byte body of four strings, on 2 cores (Go 1.26): 2.3–4.7 µs,
// 432 B and 10 allocations per Decode — 1.1–1.3 times encoding/json's
// Decoder with DisallowUnknownFields alone (12 allocations), which Decode
// replaces.
package jsonbody

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Problem says why a body was refused: Field is the JSON path of the
// offending key or value — "phoneNumber", "address.city",
// "orderLines[2].unitPrice" — or "body" for the body as a whole; Reason is
// a phrase to follow it ("must be a string"). Together: Field + " " + Reason.
type Problem struct {
	Field  string
	Reason string
}

// Error returns Field and Reason as one sentence fragment.
func (p *Problem) Error() string { return p.Field + " " + p.Reason }

// Reasons, exported so that callers and tests can compare them.
const (
	ReasonEmpty       = "is empty; send a JSON object"
	ReasonInvalidJSON = "is not valid JSON"
	ReasonNotObject   = "must be a JSON object"
	ReasonTrailing    = "must hold exactly one JSON object"
	ReasonUnknown     = "is not a known field"
	ReasonDuplicate   = "appears more than once"
	ReasonString      = "must be a string"
	ReasonWholeNumber = "must be a whole number"
	ReasonNumber      = "must be a number"
	ReasonBool        = "must be true or false"
	ReasonArray       = "must be an array"
	ReasonObject      = "must be an object"
	ReasonNegative    = "must not be negative"
	ReasonOutOfRange  = "is out of range"
	ReasonBase64      = "must be a base64-encoded string"
	ReasonDateTime    = `must be a date and time such as "2026-05-01T12:00:00Z"`
	ReasonInvalid     = "has an invalid value"
	ReasonUndecodable = "could not be decoded"
)

// bodyField is the Field of problems with the body as a whole.
const bodyField = "body"

// maxKeyInField bounds how much of a client's key a Field repeats.
const maxKeyInField = 64

// Decode checks body strictly (see the package comment) and decodes it into
// dst, a non-nil pointer (normally to a struct with json tags). It returns
// nil on success. On a Problem dst is unchanged, except in the rare case
// that encoding/json itself refuses a value the checks let through (then
// dst may be partly filled). Decode panics if dst is not a non-nil pointer:
// that is a programming error, not a bad request.
func Decode(body []byte, dst any) *Problem {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("jsonbody.Decode: dst must be a non-nil pointer, not %T", dst))
	}
	start := skipSpace(body, 0)
	if start == len(body) {
		return &Problem{bodyField, ReasonEmpty}
	}
	if !json.Valid(body) {
		return notValid(body)
	}
	if body[start] != '{' {
		return &Problem{bodyField, ReasonNotObject}
	}
	w := walker{b: body}
	if p := w.value(rv.Type().Elem(), false); p != nil {
		return p
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return fromUnmarshalError(err)
	}
	return nil
}

// notValid tells an invalid body from a valid value with more after it.
func notValid(body []byte) *Problem {
	var first json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&first); err == nil {
		if first[0] == '{' {
			return &Problem{bodyField, ReasonTrailing}
		}
		return &Problem{bodyField, ReasonNotObject}
	}
	return &Problem{bodyField, ReasonInvalidJSON}
}

// fromUnmarshalError turns what encoding/json refused after the checks into
// a Problem without Go type names or values.
func fromUnmarshalError(err error) *Problem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = bodyField
		}
		return &Problem{field, expected(te.Type)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Problem{bodyField, ReasonInvalidJSON}
	}
	return &Problem{bodyField, ReasonUndecodable}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// walker checks a JSON text, already known to be valid (json.Valid),
// against a Go type. It scans the bytes itself: it needs no allocation for
// keys without escapes, and it never meets a syntax error.
type walker struct {
	b    []byte
	i    int
	path []segment
}

// segment is one step of a JSON path: an object key or an array index.
type segment struct {
	key   rawKey
	index int // ≥ 0: array index; -1: key
}

// rawKey is a key as it appears in the body, between its quotes.
type rawKey struct {
	b      []byte
	escape bool // holds a backslash escape or invalid UTF-8: needs decoding
}

// String decodes the key as encoding/json does.
func (k rawKey) String() string {
	if !k.escape {
		return string(k.b)
	}
	q := make([]byte, 0, len(k.b)+2)
	q = append(append(append(q, '"'), k.b...), '"')
	var s string
	if json.Unmarshal(q, &s) != nil {
		return string(k.b) // not reached: the body is valid JSON
	}
	return s
}

func (w *walker) pushKey(k rawKey) { w.path = append(w.path, segment{key: k, index: -1}) }
func (w *walker) pushIndex(i int)  { w.path = append(w.path, segment{index: i}) }
func (w *walker) pop()             { w.path = w.path[:len(w.path)-1] }

// field renders the current path, "body" at the top.
func (w *walker) field() string {
	if len(w.path) == 0 {
		return bodyField
	}
	var b strings.Builder
	for i, s := range w.path {
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		k := clip(s.key.String())
		switch {
		case k == "":
			if i == 0 {
				b.WriteString(`""`)
			} else {
				b.WriteString(`[""]`)
			}
		case i == 0:
			b.WriteString(k)
		case plainKey(k):
			b.WriteByte('.')
			b.WriteString(k)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(k))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// problemAt is a problem with key k of the current object.
func (w *walker) problemAt(k rawKey, reason string) *Problem {
	w.pushKey(k)
	p := w.problem(reason)
	w.pop()
	return p
}

func (w *walker) problem(reason string) *Problem { return &Problem{w.field(), reason} }

// plainKey reports whether k can follow a dot in a path unambiguously.
func plainKey(k string) bool {
	return !strings.ContainsAny(k, ".[]\"")
}

// clip shortens a client's key to maxKeyInField bytes (on a rune boundary).
func clip(k string) string {
	if len(k) <= maxKeyInField {
		return k
	}
	cut := maxKeyInField
	for cut > 0 && !utf8.RuneStart(k[cut]) {
		cut--
	}
	return k[:cut] + "…"
}

func (w *walker) ws() { w.i = skipSpace(w.b, w.i) }

// str reads the string at w.i (its opening quote) and returns its content.
func (w *walker) str() rawKey {
	w.i++
	start := w.i
	esc := false
	for {
		switch c := w.b[w.i]; {
		case c == '"':
			raw := w.b[start:w.i]
			w.i++
			return rawKey{b: raw, escape: esc || !utf8.Valid(raw)}
		case c == '\\':
			esc = true
			w.i += 2
		default:
			w.i++
		}
	}
}

// num reads the number literal at w.i.
func (w *walker) num() []byte {
	start := w.i
	for w.i < len(w.b) && strings.IndexByte("+-.eE0123456789", w.b[w.i]) >= 0 {
		w.i++
	}
	return w.b[start:w.i]
}

// skip reads over the value at w.i.
func (w *walker) skip() {
	switch w.b[w.i] {
	case '"':
		w.str()
	case 't', 'n':
		w.i += 4
	case 'f':
		w.i += 5
	case '{', '[':
		depth := 0
		for {
			switch w.b[w.i] {
			case '"':
				w.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					w.i++
					return
				}
			}
			w.i++
		}
	default:
		w.num()
	}
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
	timeType            = reflect.TypeFor[time.Time]()
	anyType             = reflect.TypeFor[any]()
)

// custom reports whether t (or *t) decodes itself.
func custom(t reflect.Type) bool {
	if t.Implements(unmarshalerType) || t.Implements(textUnmarshalerType) {
		return true
	}
	if t.Kind() != reflect.Pointer {
		p := reflect.PointerTo(t)
		return p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType)
	}
	return false
}

func emptyInterface(t reflect.Type) bool { return t.Kind() == reflect.Interface && t.NumMethod() == 0 }

// value checks the value at (or after whitespace at) w.i against t and
// reads over it. quoted is the ",string" option.
func (w *walker) value(t reflect.Type, quoted bool) *Problem {
	w.ws()
	for {
		if custom(t) {
			return w.customValue(t)
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	switch w.b[w.i] {
	case 'n': // null: accepted (encoding/json leaves the field alone)
		w.i += 4
		return nil
	case 't', 'f':
		w.skip()
		if quoted {
			return w.problem(ReasonString)
		}
		if t.Kind() == reflect.Bool || emptyInterface(t) {
			return nil
		}
		return w.problem(expected(t))
	case '"':
		s := w.str()
		if quoted {
			return w.quotedLiteral(t, s.String())
		}
		switch {
		case t == numberType:
			if !validNumber(s.String()) {
				return w.problem(ReasonNumber)
			}
			return nil
		case t.Kind() == reflect.String, emptyInterface(t):
			return nil
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
			if _, err := base64.StdEncoding.DecodeString(s.String()); err != nil {
				return w.problem(ReasonBase64)
			}
			return nil
		}
		return w.problem(expected(t))
	case '{':
		if quoted {
			return w.problem(ReasonString)
		}
		switch {
		case t.Kind() == reflect.Struct:
			return w.object(structInfoOf(t))
		case t.Kind() == reflect.Map:
			return w.mapObject(t)
		case emptyInterface(t):
			return w.mapObject(nil)
		}
		return w.problem(expected(t))
	case '[':
		if quoted {
			return w.problem(ReasonString)
		}
		switch {
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !custom(t.Elem()):
			return w.problem(ReasonString) // []byte is base64 text
		case t.Kind() == reflect.Slice, t.Kind() == reflect.Array:
			return w.array(t.Elem())
		case emptyInterface(t):
			return w.array(anyType)
		}
		return w.problem(expected(t))
	}
	lit := w.num()
	if len(lit) == 0 { // not reached: the body is valid JSON
		return &Problem{bodyField, ReasonInvalidJSON}
	}
	if quoted {
		return w.problem(ReasonString)
	}
	return w.number(t, string(lit))
}

// number checks a number literal against t.
func (w *walker) number(t reflect.Type, lit string) *Problem {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if strings.ContainsAny(lit, ".eE") {
			return w.problem(ReasonWholeNumber)
		}
		if _, err := strconv.ParseInt(lit, 10, t.Bits()); err != nil {
			return w.problem(ReasonOutOfRange)
		}
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if strings.ContainsAny(lit, ".eE") {
			return w.problem(ReasonWholeNumber)
		}
		if lit[0] == '-' {
			return w.problem(ReasonNegative)
		}
		if _, err := strconv.ParseUint(lit, 10, t.Bits()); err != nil {
			return w.problem(ReasonOutOfRange)
		}
		return nil
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(lit, t.Bits()); err != nil {
			return w.problem(ReasonOutOfRange)
		}
		return nil
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return nil
		}
	case reflect.String:
		if t == numberType {
			return nil
		}
	}
	return w.problem(expected(t))
}

// quotedLiteral checks the string of a ",string" field: it must hold the
// field's JSON literal (or null).
func (w *walker) quotedLiteral(t reflect.Type, v string) *Problem {
	if v == "null" {
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		var s string
		if json.Unmarshal([]byte(v), &s) != nil {
			return w.problem(ReasonInvalid)
		}
		return nil
	case reflect.Bool:
		if v != "true" && v != "false" {
			return w.problem(ReasonBool)
		}
		return nil
	}
	if !validNumber(v) {
		return w.problem(expected(t))
	}
	return w.number(t, v)
}

// validNumber reports whether s is a JSON number literal (json.Number
// accepts a string holding one).
func validNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return false
	}
	return json.Valid([]byte(s))
}

// customValue lets a type that decodes itself (time.Time, json.RawMessage,
// json.Unmarshaler, encoding.TextUnmarshaler) judge the value at w.i.
func (w *walker) customValue(t reflect.Type) *Problem {
	start := w.i
	w.skip()
	if err := json.Unmarshal(w.b[start:w.i], reflect.New(t).Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return w.problem(expected(t))
		}
		if base(t) == timeType {
			return w.problem(ReasonDateTime)
		}
		return w.problem(ReasonInvalid)
	}
	return nil
}

// members calls each for every key of the object at w.i, with w.i at the
// key's value, and reads over the closing brace.
func (w *walker) members(each func(k rawKey) *Problem) *Problem {
	w.i++ // '{'
	for {
		w.ws()
		if w.b[w.i] == '}' {
			w.i++
			return nil
		}
		if w.b[w.i] == ',' {
			w.i++
			w.ws()
		}
		k := w.str()
		w.ws()
		w.i++ // ':'
		if p := each(k); p != nil {
			return p
		}
	}
}

// object checks an object's keys and values against a struct.
func (w *walker) object(info *structInfo) *Problem {
	var small [64]bool
	var seen []bool
	if n := len(info.fields); n <= len(small) {
		seen = small[:n]
	} else {
		seen = make([]bool, n)
	}
	return w.members(func(k rawKey) *Problem {
		var i int
		var ok bool
		if k.escape {
			i, ok = info.byName[k.String()]
		} else {
			i, ok = info.byName[string(k.b)] // no allocation
		}
		if !ok {
			// A differently cased spelling of a field already given is a
			// repetition (encoding/json would let it overwrite the first).
			if j := info.fold(k.String()); j >= 0 && seen[j] {
				return w.problemAt(rawKey{b: []byte(info.fields[j].name)}, ReasonDuplicate)
			}
			return w.problemAt(k, ReasonUnknown)
		}
		if seen[i] {
			return w.problemAt(k, ReasonDuplicate)
		}
		seen[i] = true
		f := &info.fields[i]
		w.pushKey(k)
		p := w.value(f.typ, f.quoted)
		w.pop()
		return p
	})
}

// mapObject checks an object decoded into a map (t) or into any (t nil):
// keys are free, but each appears once; values are checked against the
// element type.
func (w *walker) mapObject(t reflect.Type) *Problem {
	elem := anyType
	stringKeys := true
	if t != nil {
		elem = t.Elem()
		k := t.Key()
		stringKeys = k.Kind() == reflect.String && !custom(k)
	}
	var seen map[string]struct{}
	return w.members(func(k rawKey) *Problem {
		if stringKeys {
			if seen == nil {
				seen = make(map[string]struct{})
			}
			key := k.String()
			if _, dup := seen[key]; dup {
				return w.problemAt(k, ReasonDuplicate)
			}
			seen[key] = struct{}{}
		}
		w.pushKey(k)
		p := w.value(elem, false)
		w.pop()
		return p
	})
}

// array checks each element of the array at w.i against elem.
func (w *walker) array(elem reflect.Type) *Problem {
	w.i++ // '['
	for n := 0; ; n++ {
		w.ws()
		if w.b[w.i] == ']' {
			w.i++
			return nil
		}
		if w.b[w.i] == ',' {
			w.i++
		}
		w.pushIndex(n)
		p := w.value(elem, false)
		w.pop()
		if p != nil {
			return p
		}
	}
}

func base(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// expected is the reason for a value of the wrong JSON type for t, in
// plain words.
func expected(t reflect.Type) string {
	if t == nil {
		return ReasonInvalid
	}
	t = base(t)
	switch {
	case t == timeType:
		return ReasonDateTime
	case t == numberType:
		return ReasonNumber
	case t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType):
		return ReasonInvalid
	case t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType):
		return ReasonString
	}
	switch t.Kind() {
	case reflect.String:
		return ReasonString
	case reflect.Bool:
		return ReasonBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return ReasonWholeNumber
	case reflect.Float32, reflect.Float64:
		return ReasonNumber
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return ReasonString
		}
		return ReasonArray
	case reflect.Array:
		return ReasonArray
	case reflect.Struct, reflect.Map:
		return ReasonObject
	}
	return ReasonInvalid
}

// structInfo is the json view of a struct type: its fields by exact name,
// resolved as encoding/json resolves them.
type structInfo struct {
	fields []fieldInfo
	byName map[string]int
}

type fieldInfo struct {
	name   string
	typ    reflect.Type
	quoted bool // ",string"
}

// fold returns the field whose name equals key ignoring case, or -1.
func (s *structInfo) fold(key string) int {
	for i := range s.fields {
		if strings.EqualFold(s.fields[i].name, key) {
			return i
		}
	}
	return -1
}

var structCache sync.Map // reflect.Type → *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	v, _ := structCache.LoadOrStore(t, buildStructInfo(t))
	return v.(*structInfo)
}

// candidate is a field found while walking embedded structs.
type candidate struct {
	fieldInfo
	depth  int
	tagged bool
}

// buildStructInfo follows encoding/json's rules: exported fields, json:"-"
// left out, fields of untagged embedded structs promoted, and of several
// fields with one name the shallowest wins, then a tagged one; a tie
// leaves the name out.
func buildStructInfo(t reflect.Type) *structInfo {
	var cands []candidate
	visited := map[reflect.Type]bool{}
	current := []reflect.Type{t}
	for depth := 0; len(current) > 0; depth++ {
		count := map[reflect.Type]int{}
		for _, st := range current {
			count[st]++
		}
		var next []reflect.Type
		for _, st := range current {
			if visited[st] {
				continue
			}
			visited[st] = true
			for i := range st.NumField() {
				sf := st.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, ft)
					continue
				}
				c := candidate{fieldInfo: fieldInfo{name: name, typ: sf.Type}, depth: depth, tagged: name != ""}
				if c.name == "" {
					c.name = sf.Name
				}
				if hasOption(opts, "string") {
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						c.quoted = true
					}
				}
				cands = append(cands, c)
				if count[st] > 1 {
					// The same struct embedded twice at this depth: its
					// fields cancel out, as in encoding/json.
					cands = append(cands, c)
				}
			}
		}
		current = next
	}

	byName := map[string][]candidate{}
	var order []string
	for _, c := range cands {
		if _, ok := byName[c.name]; !ok {
			order = append(order, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	info := &structInfo{byName: map[string]int{}}
	for _, name := range order {
		c, ok := dominant(byName[name])
		if !ok {
			continue
		}
		info.byName[name] = len(info.fields)
		info.fields = append(info.fields, c.fieldInfo)
	}
	return info
}

// dominant picks the field that wins among fields of one name.
func dominant(cs []candidate) (candidate, bool) {
	minDepth := cs[0].depth
	for _, c := range cs {
		minDepth = min(minDepth, c.depth)
	}
	var top []candidate
	for _, c := range cs {
		if c.depth == minDepth {
			top = append(top, c)
		}
	}
	if len(top) == 1 {
		return top[0], true
	}
	var tagged []candidate
	for _, c := range top {
		if c.tagged {
			tagged = append(tagged, c)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return candidate{}, false
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// validTagName mirrors encoding/json's isValidTag.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// UnknownKeys returns the top-level keys of body, a JSON object, that are
// no json name of dst's struct, in document order (at most max): Decode
// names the first problem only, and a client that sent several unknown
// fields learns them all at once. nil when body is not an object or dst
// not a pointer to a struct.
func UnknownKeys(body []byte, dst any, max int) []string {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	info := structInfoOf(t.Elem())
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []string
	for dec.More() && len(out) < max {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		k, _ := tok.(string)
		if _, ok := info.byName[k]; !ok && !slices.Contains(out, clip(k)) {
			out = append(out, clip(k))
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return out
		}
	}
	return out
}
