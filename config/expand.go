package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// envRef matches ${NAME}; "$${" escapes a literal "${".
var envRef = regexp.MustCompile(`\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces every ${NAME} in s with the variable's value and returns
// the names that were not set.
func expand(s string, lookup func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		if strings.HasPrefix(ref, "$$") {
			return ref[1:]
		}
		name := ref[2 : len(ref)-1]
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	return out, missing
}

// expandAll expands ${NAME} in every string of cfg and returns a problem
// for every reference to an unset variable, keyed by the YAML path.
func expandAll(cfg *Config, lookup func(string) (string, bool)) []Problem {
	var problems []Problem
	walkStrings(reflect.ValueOf(cfg).Elem(), "", func(key string, v reflect.Value) {
		out, missing := expand(v.String(), lookup)
		v.SetString(out)
		for _, name := range missing {
			problems = append(problems, Problem{Key: key, Reason: fmt.Sprintf("environment variable %s is not set", name)})
		}
	})
	return problems
}

// walkStrings calls fn for every settable string reachable from v (struct
// fields with a yaml tag, slice elements, map values), with its key path in
// the style "tenants[0].vipps.salesUnits[1].msn".
func walkStrings(v reflect.Value, path string, fn func(key string, v reflect.Value)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v)
	case reflect.Pointer:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			walkStrings(v.Field(i), join(path, name), fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			// Map values are not addressable: copy, walk, store back.
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(k))
			walkStrings(elem, join(path, k.String()), fn)
			v.SetMapIndex(k, elem)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
