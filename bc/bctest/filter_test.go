package bctest

import (
	"strings"
	"testing"
)

func TestFilterParserAndEvaluation(t *testing.T) {
	entity := map[string]any{
		"id":          "0f1e2d3c-4b5a-4968-8776-000000010000",
		"number":      "10000",
		"displayName": "Kari O'Neil",
		"email":       "Kari@Example.com",
		"phoneNumber": "+47 912 34 567",
		"city":        "",
		"creditLimit": 1500.0,
		"taxLiable":   true,
		"state":       nil,
	}
	tests := []struct {
		name   string
		filter string
		want   bool
	}{
		{"eq on string matches", "number eq '10000'", true},
		{"eq is case-sensitive", "email eq 'kari@example.com'", false},
		{"tolower makes eq case-insensitive", "tolower(email) eq 'kari@example.com'", true},
		{"toupper works", "toupper(email) eq 'KARI@EXAMPLE.COM'", true},
		{"ne", "number ne '20000'", true},
		{"contains", "contains(phoneNumber, '912')", true},
		{"contains misses", "contains(phoneNumber, '91234')", false},
		{"startswith", "startswith(displayName, 'Kari')", true},
		{"endswith", "endswith(email, '.com')", true},
		{"escaped quote in literal", "displayName eq 'Kari O''Neil'", true},
		{"and needs both", "number eq '10000' and city eq 'Oslo'", false},
		{"or needs one", "number eq '99999' or city eq ''", true},
		{"parentheses group", "(number eq '99999' or number eq '10000') and taxLiable eq true", true},
		{"precedence: and binds tighter than or", "number eq '10000' or number eq '1' and city eq 'x'", true},
		{"not", "not (number eq '10000')", false},
		{"numbers compare", "creditLimit gt 1000 and creditLimit le 1500", true},
		{"decimal literal", "creditLimit lt 1500.5", true},
		{"guid literal unquoted, case-insensitive", "id eq 0F1E2D3C-4B5A-4968-8776-000000010000", true},
		{"in list", "number in ('1', '10000')", true},
		{"null compares", "state eq null", true},
		{"keywords are case-insensitive", "number EQ '10000' AND taxLiable eq TRUE", true},
		{"nested functions", "contains(tolower(displayName), 'o''neil')", true},
		{"bool literal false", "taxLiable eq false", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseFilter(tc.filter)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.filter, err)
			}
			got, err := evalFilter(n, entity)
			if err != nil {
				t.Fatalf("eval %q: %v", tc.filter, err)
			}
			if got != tc.want {
				t.Fatalf("%q = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

func TestFilterRejectsBadSyntax(t *testing.T) {
	tests := []struct {
		name, filter, wantErr string
	}{
		{"unterminated string", "number eq '10000", "unterminated"},
		{"missing operand", "number eq", "expected"},
		{"unbalanced parenthesis", "(number eq '1'", "')' or operator expected"},
		{"unknown function", "substringof('a', number)", "unknown function"},
		{"wrong arity", "contains(number)", "no function signature"},
		{"dangling operator", "and number eq '1'", "syntax error"},
		{"trailing garbage", "number eq '1' '2'", "syntax error"},
		{"not an identifier", "num-ber eq '1'", "syntax error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFilter(tc.filter)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("parse %q: err %v, want %q", tc.filter, err, tc.wantErr)
			}
		})
	}
	t.Run("incompatible types fail at evaluation", func(t *testing.T) {
		n, err := parseFilter("number eq 10000")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evalFilter(n, map[string]any{"number": "10000"}); err == nil || !strings.Contains(err.Error(), "incompatible types") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("non-boolean filter fails", func(t *testing.T) {
		n, _ := parseFilter("tolower(number)")
		if _, err := evalFilter(n, map[string]any{"number": "a"}); err == nil {
			t.Fatal("no error")
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"a eq 'b'", "contains(tolower(a),'x') or (b ne 1 and not c eq true)", "a in ('1','2')", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseFilter(s)
		if err == nil {
			_, _ = evalFilter(n, map[string]any{"a": "x", "b": 1.0, "c": true})
		}
	})
}
