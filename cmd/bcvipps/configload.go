package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bcvipps/bcvipps/config"
)

// configEnv names the variable that serve and migrate read the
// configuration path from when --config is not given.
const configEnv = "BCVIPPS_CONFIG"

// defaultConfigPath is --config's default: $BCVIPPS_CONFIG or config.yaml.
func defaultConfigPath() string {
	if p := os.Getenv(configEnv); p != "" {
		return p
	}
	return "config.yaml"
}

// loadConfig loads and validates the file at path. On a validation failure
// it writes every problem to w, one "key: reason" per line, and returns an
// error that counts them.
func loadConfig(path string, w io.Writer) (*config.Config, error) {
	cfg, err := config.Load(path)
	var verr *config.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Fprintf(w, "%s: %s\n", p.Key, p.Reason)
		}
		return nil, fmt.Errorf("%s: %d problem(s) in the configuration", path, len(verr.Problems))
	}
	if err != nil {
		return nil, err
	}
	return cfg, nil
}
