package mapping

import (
	"path/filepath"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
)

func BenchmarkCustomer(b *testing.B) {
	p := loadProfile(b, filepath.Join("testdata", "profiles", "no_kari_nordmann.json"))
	o := goldenOptions()
	current := bc.Customer{DisplayName: "K Nordmann", PhoneNumber: "912 34 567"}
	b.ReportAllocs()
	for b.Loop() {
		Customer(p, current, o)
	}
}

func BenchmarkMember(b *testing.B) {
	p := loadProfile(b, filepath.Join("testdata", "profiles", "long_multibyte_names.json"))
	o := goldenOptions()
	b.ReportAllocs()
	for b.Loop() {
		Member(p, o)
	}
}

func BenchmarkParsePhone(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePhone("+47 912 34 567", "+47"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchCustomer(b *testing.B) {
	p := loadProfile(b, filepath.Join("testdata", "profiles", "no_kari_nordmann.json"))
	cands := make([]Candidate, 100)
	for i := range cands {
		cands[i] = Candidate{Phone: "+4799999999", Email: "other@example.no"}
	}
	b.ReportAllocs()
	for b.Loop() {
		MatchCustomer(p, cands)
	}
}
