package jsonbody

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// customerBody is shaped like the connector's POST …/customers body.
type customerBody struct {
	CustomerNo  string `json:"customerNo"`
	CustomerID  string `json:"customerId"`
	PhoneNumber string `json:"phoneNumber"`
	UseCase     string `json:"useCase"`
}

type orderLine struct {
	ItemNo    string  `json:"itemNo"`
	Quantity  int     `json:"quantity"`
	UnitPrice float64 `json:"unitPrice"`
}

type address struct {
	City     string `json:"city"`
	PostCode string `json:"postCode"`
}

// Source is embedded: its fields are promoted.
type Source struct {
	Source string `json:"source"`
}

// orderBody has one field of every kind the checks know.
type orderBody struct {
	Source
	PhoneNumber string            `json:"phoneNumber"`
	Newsletter  bool              `json:"newsletter"`
	Count       int32             `json:"count"`
	Small       uint8             `json:"small"`
	Amount      float64           `json:"amount"`
	Ratio       float32           `json:"ratio"`
	Lines       []orderLine       `json:"orderLines"`
	Address     *address          `json:"address"`
	Attributes  map[string]string `json:"attributes"`
	Extra       any               `json:"extra"`
	ValidFrom   time.Time         `json:"validFrom"`
	Until       *time.Time        `json:"until"`
	Raw         json.RawMessage   `json:"raw"`
	Tags        []string          `json:"tags"`
	Pair        [2]int            `json:"pair"`
	Blob        []byte            `json:"blob"`
	Num         json.Number       `json:"num"`
	Quoted      int               `json:"quoted,string"`
	QuotedOK    bool              `json:"quotedOk,string"`
	Ignored     string            `json:"-"`
	Untagged    string
	//lint:ignore U1000 present to show that an unexported field is not decodable
	unexported string
}

// allReasons is every Reason Decode may give.
var allReasons = map[string]bool{
	ReasonEmpty: true, ReasonInvalidJSON: true, ReasonNotObject: true, ReasonTrailing: true,
	ReasonUnknown: true, ReasonDuplicate: true, ReasonString: true, ReasonWholeNumber: true,
	ReasonNumber: true, ReasonBool: true, ReasonArray: true, ReasonObject: true,
	ReasonNegative: true, ReasonOutOfRange: true, ReasonBase64: true, ReasonDateTime: true,
	ReasonInvalid: true, ReasonUndecodable: true,
}

// goWords would betray Go types in a reason.
var goWords = []string{"jsonbody", "struct", "int", "uint", "float", "map[", "[]", "interface", "time.", "json.", "Go "}

func checkReason(t *testing.T, p *Problem) {
	t.Helper()
	if p.Field == "" || !allReasons[p.Reason] {
		t.Errorf("problem %+v: empty field or unlisted reason", *p)
	}
	for _, w := range goWords {
		if strings.Contains(p.Reason, w) {
			t.Errorf("reason %q names a Go type (%q)", p.Reason, w)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name, body, field, reason string
	}{
		{"empty", ``, "body", ReasonEmpty},
		{"only whitespace", " \r\n\t ", "body", ReasonEmpty},
		{"array", `[1]`, "body", ReasonNotObject},
		{"empty array", `[]`, "body", ReasonNotObject},
		{"string", `"phoneNumber"`, "body", ReasonNotObject},
		{"number", `42`, "body", ReasonNotObject},
		{"null", `null`, "body", ReasonNotObject},
		{"true", ` true `, "body", ReasonNotObject},
		{"array followed by garbage", `[1] x`, "body", ReasonNotObject},
		{"two objects", `{} {}`, "body", ReasonTrailing},
		{"object and garbage", `{"phoneNumber":"1"}x`, "body", ReasonTrailing},
		{"object and a number", `{}1`, "body", ReasonTrailing},
		{"unterminated", `{"phoneNumber":"1"`, "body", ReasonInvalidJSON},
		{"a type error before a syntax error is still invalid JSON", `{"phoneNumber":1,`, "body", ReasonInvalidJSON},
		{"single quotes", `{'phoneNumber':'1'}`, "body", ReasonInvalidJSON},
		{"trailing comma", `{"phoneNumber":"1",}`, "body", ReasonInvalidJSON},
		{"byte order mark", "\ufeff{}", "body", ReasonInvalidJSON},
		{"bare word", `hello`, "body", ReasonInvalidJSON},
		{"unknown key", `{"phone":"1"}`, "phone", ReasonUnknown},
		{"key in other case", `{"PHONENUMBER":"1"}`, "PHONENUMBER", ReasonUnknown},
		{"key in other case (one letter)", `{"phonenumber":"1"}`, "phonenumber", ReasonUnknown},
		{"the Go field name is not the json name", `{"PhoneNumber":"1"}`, "PhoneNumber", ReasonUnknown},
		{"duplicate key", `{"phoneNumber":"1","phoneNumber":"2"}`, "phoneNumber", ReasonDuplicate},
		{"duplicate key, second in other case", `{"phoneNumber":"1","PhoneNumber":"2"}`, "phoneNumber", ReasonDuplicate},
		{"duplicate key, spelled with an escape", `{"phoneNumber":"1","phone\u004eumber":"2"}`, "phoneNumber", ReasonDuplicate},
		{"duplicate key, same value", `{"useCase":"a","customerNo":"1","useCase":"a"}`, "useCase", ReasonDuplicate},
		{"number for a string", `{"phoneNumber":4791234567}`, "phoneNumber", ReasonString},
		{"object for a string", `{"phoneNumber":{}}`, "phoneNumber", ReasonString},
		{"array for a string", `{"customerNo":["1"]}`, "customerNo", ReasonString},
		{"bool for a string", `{"useCase":true}`, "useCase", ReasonString},
		{"the first problem wins", `{"useCase":1,"x":2}`, "useCase", ReasonString},
		{"an empty key", `{"":1}`, `""`, ReasonUnknown},
		{"a long unknown key is clipped", `{"` + strings.Repeat("k", 200) + `":1}`, strings.Repeat("k", 64) + "…", ReasonUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := customerBody{CustomerNo: "keep"}
			p := Decode([]byte(tt.body), &dst)
			if p == nil {
				t.Fatalf("Decode(%s) accepted it: %+v", tt.body, dst)
			}
			if p.Field != tt.field || p.Reason != tt.reason {
				t.Fatalf("Decode(%s) = %q %q, want %q %q", tt.body, p.Field, p.Reason, tt.field, tt.reason)
			}
			checkReason(t, p)
			if dst != (customerBody{CustomerNo: "keep"}) {
				t.Errorf("dst changed on a problem: %+v", dst)
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	tests := []struct {
		name, body, field, reason string
	}{
		{"bool as a string", `{"newsletter":"yes"}`, "newsletter", ReasonBool},
		{"bool as a number", `{"newsletter":1}`, "newsletter", ReasonBool},
		{"fraction for an integer", `{"count":1.5}`, "count", ReasonWholeNumber},
		{"exponent for an integer", `{"count":1e3}`, "count", ReasonWholeNumber},
		{"integer as a string", `{"count":"3"}`, "count", ReasonWholeNumber},
		{"integer too large", `{"count":3000000000}`, "count", ReasonOutOfRange},
		{"integer too small", `{"count":-3000000000}`, "count", ReasonOutOfRange},
		{"unsigned too large", `{"small":256}`, "small", ReasonOutOfRange},
		{"unsigned negative", `{"small":-1}`, "small", ReasonNegative},
		{"number as a string", `{"amount":"12.50"}`, "amount", ReasonNumber},
		{"float32 overflow", `{"ratio":1e39}`, "ratio", ReasonOutOfRange},
		{"object for an array", `{"orderLines":{}}`, "orderLines", ReasonArray},
		{"string for an array", `{"tags":"a,b"}`, "tags", ReasonArray},
		{"string for a fixed array", `{"pair":"1,2"}`, "pair", ReasonArray},
		{"array for an object", `{"address":[]}`, "address", ReasonObject},
		{"string for an object", `{"address":"Storgata 1"}`, "address", ReasonObject},
		{"string for a map", `{"attributes":"a=b"}`, "attributes", ReasonObject},
		{"array element of the wrong type", `{"tags":["a",2]}`, "tags[1]", ReasonString},
		{"fixed array element of the wrong type", `{"pair":[1,"2"]}`, "pair[1]", ReasonWholeNumber},
		{"nested value in an array", `{"orderLines":[{},{},{"unitPrice":"12"}]}`, "orderLines[2].unitPrice", ReasonNumber},
		{"nested whole number", `{"orderLines":[{"quantity":1.5}]}`, "orderLines[0].quantity", ReasonWholeNumber},
		{"nested unknown key", `{"orderLines":[{"itemNo":"a"},{"ItemNo":"b"}]}`, "orderLines[1].ItemNo", ReasonUnknown},
		{"nested duplicate key", `{"orderLines":[{"itemNo":"a","itemNo":"b"}]}`, "orderLines[0].itemNo", ReasonDuplicate},
		{"nested duplicate key in other case", `{"orderLines":[{"itemNo":"a","ITEMNO":"b"}]}`, "orderLines[0].itemNo", ReasonDuplicate},
		{"element of the wrong type", `{"orderLines":["x"]}`, "orderLines[0]", ReasonObject},
		{"pointer to a struct", `{"address":{"city":1}}`, "address.city", ReasonString},
		{"unknown key in a pointer to a struct", `{"address":{"City":"Oslo"}}`, "address.City", ReasonUnknown},
		{"map value of the wrong type", `{"attributes":{"colour":1}}`, "attributes.colour", ReasonString},
		{"empty map key", `{"attributes":{"":1}}`, `attributes[""]`, ReasonString},
		{"map key that needs quoting", `{"attributes":{"a.b":1}}`, `attributes["a.b"]`, ReasonString},
		{"duplicate map key", `{"attributes":{"a":"1","a":"2"}}`, "attributes.a", ReasonDuplicate},
		{"duplicate key in free-form data", `{"extra":{"x":[{"y":1,"y":2}]}}`, "extra.x[0].y", ReasonDuplicate},
		{"a date that is not one", `{"validFrom":"yesterday"}`, "validFrom", ReasonDateTime},
		{"a date as a number", `{"validFrom":20260501}`, "validFrom", ReasonDateTime},
		{"a pointer to a date", `{"until":"2026-13-01T00:00:00Z"}`, "until", ReasonDateTime},
		{"bytes that are not base64", `{"blob":"not base64!"}`, "blob", ReasonBase64},
		{"bytes as an array", `{"blob":[1,2]}`, "blob", ReasonString},
		{"json.Number as a word", `{"num":"twelve"}`, "num", ReasonNumber},
		{"json.Number as a bool", `{"num":true}`, "num", ReasonNumber},
		{",string without quotes", `{"quoted":12}`, "quoted", ReasonString},
		{",string holding a word", `{"quoted":"twelve"}`, "quoted", ReasonWholeNumber},
		{",string holding a fraction", `{"quoted":"1.5"}`, "quoted", ReasonWholeNumber},
		{",string bool holding a word", `{"quotedOk":"yes"}`, "quotedOk", ReasonBool},
		{"json:\"-\" fields are not known", `{"Ignored":"x"}`, "Ignored", ReasonUnknown},
		{"json:\"-\" is not a key either", `{"-":"x"}`, "-", ReasonUnknown},
		{"unexported fields are not known", `{"unexported":"x"}`, "unexported", ReasonUnknown},
		{"the embedded struct itself is not a key", `{"Source":{"source":"x"}}`, "Source", ReasonUnknown},
		{"untagged fields need their exact Go name", `{"untagged":"x"}`, "untagged", ReasonUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst orderBody
			p := Decode([]byte(tt.body), &dst)
			if p == nil {
				t.Fatalf("Decode(%s) accepted it: %+v", tt.body, dst)
			}
			if p.Field != tt.field || p.Reason != tt.reason {
				t.Fatalf("Decode(%s) = %q %q, want %q %q", tt.body, p.Field, p.Reason, tt.field, tt.reason)
			}
			checkReason(t, p)
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	t.Run("a full body decodes as encoding/json would", func(t *testing.T) {
		body := `{
			"source": "pos",
			"phoneNumber": "+4791234567",
			"newsletter": true,
			"count": -7, "small": 255, "amount": 12.5, "ratio": 0.25,
			"orderLines": [{"itemNo": "A1", "quantity": 2, "unitPrice": 99.9}, {"itemNo": "B2"}],
			"address": {"city": "Oslo", "postCode": "0150"},
			"attributes": {"colour": "blue", "Colour": "red"},
			"extra": {"any": [1, "two", null, {"three": 3}]},
			"validFrom": "2026-05-01T12:00:00Z",
			"until": null,
			"raw": {"kept": [1, 2]},
			"tags": ["a", "b"],
			"pair": [1, 2],
			"blob": "aGVsbG8=",
			"num": "12.5",
			"quoted": "42",
			"quotedOk": "true",
			"Untagged": "u"
		}`
		var got orderBody
		if p := Decode([]byte(body), &got); p != nil {
			t.Fatalf("Decode: %v", p)
		}
		var want orderBody
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		if got.Source.Source != "pos" || got.Quoted != 42 || !got.QuotedOK || string(got.Blob) != "hello" ||
			len(got.Lines) != 2 || got.Lines[0].UnitPrice != 99.9 || got.Address.City != "Oslo" || got.Attributes["Colour"] != "red" {
			t.Fatalf("decoded %+v", got)
		}
	})
	t.Run("null is accepted for any field and leaves it alone", func(t *testing.T) {
		dst := orderBody{PhoneNumber: "keep", Count: 3}
		body := `{"phoneNumber":null,"count":null,"orderLines":null,"address":null,"validFrom":null,"blob":null,"quoted":null,"extra":null}`
		if p := Decode([]byte(body), &dst); p != nil {
			t.Fatalf("Decode: %v", p)
		}
		if dst.PhoneNumber != "keep" || dst.Count != 3 {
			t.Fatalf("decoded %+v", dst)
		}
	})
	t.Run("an empty object", func(t *testing.T) {
		var dst customerBody
		if p := Decode([]byte(" {} \n"), &dst); p != nil {
			t.Fatalf("Decode: %v", p)
		}
	})
	t.Run("keys with escapes are matched after unescaping", func(t *testing.T) {
		var dst customerBody
		if p := Decode([]byte(`{"phone\u004eumber":"1"}`), &dst); p != nil || dst.PhoneNumber != "1" {
			t.Fatalf("Decode: %v, %+v", p, dst)
		}
	})
	t.Run("deeply nested free-form data", func(t *testing.T) {
		body := `{"extra":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
		var dst orderBody
		if p := Decode([]byte(body), &dst); p != nil {
			t.Fatalf("Decode: %v", p)
		}
	})
	t.Run("nesting beyond encoding/json's limit is invalid", func(t *testing.T) {
		body := `{"extra":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
		var dst orderBody
		if p := Decode([]byte(body), &dst); p == nil || p.Reason != ReasonInvalidJSON {
			t.Fatalf("Decode = %v, want invalid JSON", p)
		}
	})
}

// Embedded structs resolve names as encoding/json does.
type named struct {
	Name string
}
type otherNamed struct {
	Name string
}
type ambiguous struct {
	named
	otherNamed
	Own string `json:"own"`
}
type untaggedName struct {
	Name string
}
type shadowed struct {
	untaggedName
	Name string `json:"Name"`
}

// Place is embedded by pointer.
type Place struct {
	City string `json:"city"`
}
type embeddedPointer struct {
	*Place
	Own string `json:"own"`
}
type embeddedUnexportedPointer struct {
	*address
}
type untaggedVsTagged struct {
	A struct {
		X string
	}
	Inner
}

// Inner is embedded in untaggedVsTagged.
type Inner struct {
	X string `json:"X"`
}

func TestDecodeEmbedded(t *testing.T) {
	t.Run("a name two embedded structs give is nobody's", func(t *testing.T) {
		var dst ambiguous
		p := Decode([]byte(`{"Name":"x"}`), &dst)
		if p == nil || p.Field != "Name" || p.Reason != ReasonUnknown {
			t.Fatalf("Decode = %v, want Name %s", p, ReasonUnknown)
		}
		// encoding/json agrees that no field takes it.
		dec := json.NewDecoder(strings.NewReader(`{"Name":"x"}`))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ambiguous{}); err == nil {
			t.Fatal("encoding/json accepted the ambiguous name; the test's premise is wrong")
		}
	})
	t.Run("the outer field shadows the embedded one", func(t *testing.T) {
		var dst shadowed
		if p := Decode([]byte(`{"Name":"x"}`), &dst); p != nil || dst.Name != "x" || dst.untaggedName.Name != "" {
			t.Fatalf("Decode: %v, %+v", p, dst)
		}
	})
	t.Run("an embedded pointer's fields are promoted", func(t *testing.T) {
		var dst embeddedPointer
		if p := Decode([]byte(`{"city":"Oslo","own":"o"}`), &dst); p != nil || dst.Place == nil || dst.City != "Oslo" {
			t.Fatalf("Decode: %v, %+v", p, dst)
		}
	})
	t.Run("what encoding/json itself refuses is a problem without details", func(t *testing.T) {
		// encoding/json cannot allocate an unexported embedded pointer.
		var dst embeddedUnexportedPointer
		p := Decode([]byte(`{"city":"Oslo"}`), &dst)
		if p == nil || p.Field != "body" || p.Reason != ReasonUndecodable {
			t.Fatalf("Decode = %v, want body %s", p, ReasonUndecodable)
		}
	})
	t.Run("an untagged field's Go name is its key", func(t *testing.T) {
		var dst untaggedVsTagged
		if p := Decode([]byte(`{"A":{"X":"1"},"X":"2"}`), &dst); p != nil || dst.A.X != "1" || dst.Inner.X != "2" {
			t.Fatalf("Decode: %v, %+v", p, dst)
		}
	})
}

func TestDecodeDestinations(t *testing.T) {
	t.Run("a map destination takes any keys but no repeats", func(t *testing.T) {
		var m map[string]int
		if p := Decode([]byte(`{"a":1,"A":2}`), &m); p != nil || m["a"] != 1 || m["A"] != 2 {
			t.Fatalf("Decode: %v, %v", p, m)
		}
		if p := Decode([]byte(`{"a":1,"a":2}`), &m); p == nil || p.Field != "a" || p.Reason != ReasonDuplicate {
			t.Fatalf("Decode = %v, want a %s", p, ReasonDuplicate)
		}
	})
	t.Run("a non-pointer destination is a programming error", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		Decode([]byte(`{}`), customerBody{})
	})
	t.Run("Problem.Error reads as a sentence fragment", func(t *testing.T) {
		p := Decode([]byte(`{"phoneNumber":1}`), &customerBody{})
		if p == nil || p.Error() != "phoneNumber must be a string" {
			t.Fatalf("Error() = %v", p)
		}
	})
}

func TestReasonsNameNoGoTypes(t *testing.T) {
	for r := range allReasons {
		for _, w := range goWords {
			if strings.Contains(r, w) {
				t.Errorf("reason %q contains %q", r, w)
			}
		}
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[string](), reflect.TypeFor[int](), reflect.TypeFor[uint16](), reflect.TypeFor[float32](),
		reflect.TypeFor[bool](), reflect.TypeFor[[]orderLine](), reflect.TypeFor[[3]int](), reflect.TypeFor[*address](),
		reflect.TypeFor[map[string]int](), reflect.TypeFor[time.Time](), reflect.TypeFor[json.Number](),
		reflect.TypeFor[[]byte](), reflect.TypeFor[json.RawMessage](), reflect.TypeFor[chan int](), reflect.TypeFor[complex64](),
	} {
		r := expected(typ)
		if !allReasons[r] {
			t.Errorf("expected(%v) = %q, not a listed reason", typ, r)
		}
	}
}

// fuzzSeeds are the inline seed corpus of FuzzDecode.
var fuzzSeeds = []string{
	``, ` `, `{}`, `[]`, `[1]`, `null`, `"s"`, `1`, `{} {}`, `{"a":`, `{"phoneNumber":"1"}`,
	`{"phoneNumber":"1","phoneNumber":"2"}`, `{"PHONENUMBER":"1"}`, `{"phoneNumber":"1","PhoneNumber":"2"}`,
	`{"orderLines":[{"itemNo":"a","quantity":2,"unitPrice":1.5},{"itemNo":"b","itemNo":"c"}]}`,
	`{"orderLines":[{},{},{"unitPrice":"12"}]}`, `{"address":{"city":"Oslo","postCode":"0150"}}`,
	`{"attributes":{"a":"1","a.b":"2"}}`, `{"extra":{"x":[1,{"y":null}]}}`, `{"validFrom":"2026-05-01T12:00:00Z"}`,
	`{"until":"x"}`, `{"raw":[1,{"a":2}]}`, `{"blob":"aGVsbG8="}`, `{"num":"1e5"}`, `{"quoted":"12"}`,
	`{"quotedOk":"false"}`, `{"count":2147483648}`, `{"small":-0}`, `{"ratio":3.5e38}`, `{"pair":[1,2,3]}`,
	`{"source":"x","Untagged":"y"}`, "{\"phone\\u004eumber\":\"1\"}", "{\"\xff\":1}", `{"tags":["a",null]}`,
	`{"extra":[[[[[]]]]]}`, `{"a":1}x`, "\ufeff{}", `{"newsletter":tru}`,
	`{"":0}`,
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got orderBody
		p := Decode(body, &got)
		if p != nil {
			checkReason(t, p)
			return
		}
		// Accepted: one valid JSON object that encoding/json, told to
		// refuse unknown fields, decodes to the same value.
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		if !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted %q, which is not one JSON object", body)
		}
		var want orderBody
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q decoded to %+v, encoding/json gives %+v", body, got, want)
		}
	})
}

// benchBody is a typical POST …/customers body (~150 bytes).
var benchBody = []byte(`{"customerNo":"10000","customerId":"0f1e2d3c-4b5a-4968-8776-000000010000",` +
	`"phoneNumber":"+47 912 34 567","useCase":"checkout-express-terminal-0007"}`)

func BenchmarkDecode(b *testing.B) {
	b.Run("jsonbody", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		for b.Loop() {
			var dst customerBody
			if p := Decode(benchBody, &dst); p != nil {
				b.Fatal(p)
			}
		}
	})
	b.Run("encoding-json-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		for b.Loop() {
			var dst customerBody
			dec := json.NewDecoder(bytes.NewReader(benchBody))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestUnknownKeys(t *testing.T) {
	type body struct {
		Phone string `json:"phoneNumber"`
		Lines []struct {
			Name string `json:"name"`
		} `json:"orderLines"`
	}
	got := UnknownKeys([]byte(`{"tip":1,"phoneNumber":"1","orderLines":[{"x":1}],"bar":{"a":[1,2]},"tip":2,"PHONENUMBER":"2"}`), &body{}, 20)
	if want := []string{"tip", "bar", "PHONENUMBER"}; !slices.Equal(got, want) {
		t.Fatalf("UnknownKeys = %q, want %q", got, want)
	}
	if got := UnknownKeys([]byte(`{"a":1,"b":2,"c":3}`), &body{}, 2); len(got) != 2 {
		t.Fatalf("max 2: %q", got)
	}
	if got := UnknownKeys([]byte(`[1]`), &body{}, 5); got != nil {
		t.Fatalf("not an object: %q", got)
	}
}
