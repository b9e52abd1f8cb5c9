package config

import (
	"fmt"
	"io"
	"net/url"
	"reflect"
	"regexp"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Mask replaces a secret in Redacted output.
const Mask = "***"

// secretFields are the YAML names of fields that hold secrets.
var secretFields = []string{"clientSecret", "subscriptionKey", "apiKey", "accessKey", "certificatePassword", "sha256"}

// Redacted returns a deep copy of c in which every secret is replaced by
// Mask: client secrets, subscription keys, API keys and their hashes, access
// keys, certificate passwords and the password in the store DSN.
func (c *Config) Redacted() *Config {
	out := c.clone()
	walkStrings(reflect.ValueOf(out).Elem(), "", func(key string, v reflect.Value) {
		if v.String() == "" {
			return
		}
		if slices.Contains(secretFields, lastName(key)) {
			v.SetString(Mask)
		}
	})
	out.Store.DSN = redactDSN(out.Store.DSN)
	return out
}

// Print writes the redacted configuration as YAML (for `config print`).
func (c *Config) Print(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(c.Redacted()); err != nil {
		return fmt.Errorf("print config: %w", err)
	}
	return enc.Close()
}

// clone deep-copies c, so that redacting the copy leaves c untouched.
func (c *Config) clone() *Config {
	out := deepCopy(reflect.ValueOf(c).Elem()).Interface().(Config)
	return &out
}

// deepCopy copies v, following pointers, slices and maps. Unexported fields
// are left zero (the copy is for printing).
func deepCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(deepCopy(v.Elem()))
			out.Set(p)
		}
	case reflect.Slice:
		if !v.IsNil() {
			out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
			for i := range v.Len() {
				out.Index(i).Set(deepCopy(v.Index(i)))
			}
		}
	case reflect.Map:
		if !v.IsNil() {
			out.Set(reflect.MakeMapWithSize(v.Type(), v.Len()))
			for _, k := range v.MapKeys() {
				out.SetMapIndex(k, deepCopy(v.MapIndex(k)))
			}
		}
	default:
		out.Set(v)
	}
	return out
}

func lastName(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '.' {
			return key[i+1:]
		}
	}
	return key
}

var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// redactDSN masks the password of a URL DSN (postgres://u:pw@h/db) or of a
// key=value DSN (password=pw).
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), Mask)
			dsn = u.String()
		}
	}
	if u, err := url.Parse(dsn); err == nil && u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if k == "password" || k == "_auth_pass" {
				q.Set(k, Mask)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}"+Mask)
}
