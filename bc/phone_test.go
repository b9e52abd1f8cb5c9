package bc

import (
	"errors"
	"slices"
	"testing"
)

func TestPhoneForms(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		stored []string // forms that must be in the filter
	}{
		{"national digits find the spaced international form", "91234567", []string{"+47 912 34 567", "+4791234567", "91234567", "91 23 45 67", "004791234567"}},
		{"spaced international input finds plain digits", "+47 912 34 567", []string{"91234567", "912 34 567", "+47 91234567"}},
		{"00 prefix is read as international", "0047 91234567", []string{"91234567", "+47 912 34 567"}},
		{"another country keeps its own code", "+46 70 123 45 67", []string{"+46701234567", "0701234567", "070-123 45 67"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, forms, err := phoneForms(tt.input, "NO")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.stored {
				if !slices.Contains(forms, s) {
					t.Errorf("form %q missing from %q", s, forms)
				}
			}
		})
	}
	t.Run("letters are not a phone number", func(t *testing.T) {
		if _, _, err := phoneForms("call me", "NO"); !errors.Is(err, ErrInvalidPhone) {
			t.Fatalf("err = %v, want ErrInvalidPhone", err)
		}
	})
}

func TestSamePhone(t *testing.T) {
	tests := []struct {
		name, stored string
		want         bool
	}{
		{"same number, other format", "+47 912 34 567", true},
		{"same number, national", "912 34 567", true},
		{"other number", "+47 912 34 568", false},
		{"same digits, other country", "+45 91 23 45 67", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := samePhone(tt.stored, "+4791234567", "NO"); got != tt.want {
				t.Fatalf("samePhone(%q) = %v, want %v", tt.stored, got, tt.want)
			}
		})
	}
}
