package mapping

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/vipps"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/profiles")

// goldenOptions are the options every golden file is produced with.
func goldenOptions() Options {
	o := DefaultOptions()
	o.ImplicitPhonePrefix = "+47"
	o.CustomerBirthdayField = "vippsBirthDate"
	o.CustomerConsentFields = map[string]string{"email": "vippsEmailConsent", "sms": "vippsSmsConsent"}
	return o
}

// profiles returns the golden profile files (without the golden outputs).
func profiles(t testing.TB) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("testdata", "profiles", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no profiles in testdata/profiles")
	}
	return out
}

func loadProfile(t testing.TB, path string) *vipps.UserInfo {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p vipps.UserInfo
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &p
}

func marshalGolden(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mapping -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the mapping result:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGolden maps every profile in testdata/profiles onto a new customer and
// a member and compares with the reviewed golden files next to it.
func TestGolden(t *testing.T) {
	o := goldenOptions()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, path := range profiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			p := loadProfile(t, path)
			base := strings.TrimSuffix(path, ".json")
			compareGolden(t, base+".customer.golden.json", marshalGolden(t, Customer(p, bc.Customer{}, o)))
			compareGolden(t, base+".member.golden.json", marshalGolden(t, Member(p, o)))
		})
	}
}
