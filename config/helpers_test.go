package config

import (
	"errors"
	"os"
	"testing"
)

// Secret values the test environment provides for testdata/full.yaml.
var testSecrets = map[string]string{
	"TEST_DB_PASSWORD":         "db-pass-Zq81",
	"TEST_BC_CLIENT_SECRET":    "bc-secret-Xy77",
	"TEST_NP_API_KEY":          "np-key-Ab12",
	"TEST_VIPPS_CLIENT_SECRET": "vipps-secret-Cd34",
	"TEST_VIPPS_SUB_KEY":       "subkey-Ef56",
}

func setSecrets(t *testing.T) {
	t.Helper()
	for k, v := range testSecrets {
		t.Setenv(k, v)
	}
}

func loadFull(t *testing.T) *Config {
	t.Helper()
	setSecrets(t)
	cfg, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	return ve.Problems
}
