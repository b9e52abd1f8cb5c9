package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix prefixes every environment override: server.listen is
// overridden by BCVIPPS_SERVER_LISTEN.
const EnvPrefix = "BCVIPPS"

// Load reads the YAML file at path, applies BCVIPPS_* environment overrides
// and defaults, expands ${NAME} references and validates the result.
//
// On a validation failure Load returns the loaded *Config together with a
// *ValidationError, so that `config check` can show every problem; on any
// other error the *Config is nil.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	cfg, err := LoadFromBytes(data)
	if err != nil {
		return cfg, fmt.Errorf("load config %s: %w", path, err)
	}
	return cfg, nil
}

// FromReader is Load for a YAML document read from r.
func FromReader(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return LoadFromBytes(data)
}

// LoadFromBytes is Load for a YAML document held in memory.
func LoadFromBytes(data []byte) (*Config, error) {
	cfg := &Config{}
	// The YAML decoder keeps map keys as written (viper would lower-case
	// them, breaking updatePolicy field names and use-case names). Unknown
	// keys, which catch typos before anything starts, are collected from
	// the document tree and reported with the other validation problems,
	// so that one run lists every one of them.
	var unknown []Problem
	if len(bytes.TrimSpace(data)) > 0 {
		var doc yaml.Node
		if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
			return nil, &SyntaxError{Err: err}
		}
		if doc.Kind != 0 {
			unknown = unknownKeys(&doc)
			if err := doc.Decode(cfg); err != nil {
				return nil, &SyntaxError{Err: err}
			}
		}
	}
	if err := applyEnv(cfg, data); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	// Unknown keys come first, then ${NAME} references that did not resolve;
	// Validate reports both before its own findings.
	cfg.unresolved = append(unknown, expandAll(cfg, os.LookupEnv)...)
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// SyntaxError reports a YAML document that cannot be decoded into Config
// (bad YAML, unknown key, wrong type).
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return "config syntax: " + e.Err.Error() }

// Unwrap returns the decoder error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// applyEnv lets viper merge file values, defaults and BCVIPPS_* variables
// for the scalar sections. Those sections hold no maps, so viper's
// case-insensitive keys lose nothing there.
func applyEnv(cfg *Config, data []byte) error {
	v := viper.New()
	v.SetConfigType("yaml")
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for key, val := range sectionDefaults() {
		v.SetDefault(key, val)
	}
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return &SyntaxError{Err: err}
	}
	// Unmarshal (unlike UnmarshalKey of a section) merges the file,
	// defaults and environment key by key.
	var sec struct {
		Server    *Server    `mapstructure:"server"`
		Store     *Store     `mapstructure:"store"`
		Log       *Log       `mapstructure:"log"`
		Worker    *Worker    `mapstructure:"worker"`
		Retention *Retention `mapstructure:"retention"`
		Login     *Login     `mapstructure:"login"`
		Upstream  *Upstream  `mapstructure:"upstream"`
	}
	sec.Server, sec.Store, sec.Log = &cfg.Server, &cfg.Store, &cfg.Log
	sec.Worker, sec.Retention, sec.Login = &cfg.Worker, &cfg.Retention, &cfg.Login
	sec.Upstream = &cfg.Upstream
	if err := v.Unmarshal(&sec); err != nil {
		return &SyntaxError{Err: err}
	}
	return nil
}
