package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unknownKeys walks a decoded YAML document against the Config type and
// returns one Problem per mapping key that Config does not have, so that
// every typo is reported in one run together with the other problems
// (yaml's KnownFields stops the decode at the first document with one).
func unknownKeys(doc *yaml.Node) []Problem {
	var out []Problem
	walkKeys(doc, reflect.TypeFor[Config](), "", &out, 0)
	return out
}

func walkKeys(n *yaml.Node, t reflect.Type, path string, out *[]Problem, depth int) {
	if n == nil || depth > 64 {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkKeys(c, t, path, out, depth+1)
		}
		return
	case yaml.AliasNode:
		walkKeys(n.Alias, t, path, out, depth+1)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode || t == reflect.TypeFor[yaml.Node]() {
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				walkKeys(val, t, path, out, depth+1)
				if val.Kind == yaml.SequenceNode {
					for _, m := range val.Content {
						walkKeys(m, t, path, out, depth+1)
					}
				}
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*out = append(*out, Problem{Key: joinKey(path, k.Value), Reason: "unknown key (misspelt, or not at this level?)"})
				continue
			}
			walkKeys(val, ft, joinKey(path, k.Value), out, depth+1)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkKeys(n.Content[i+1], t.Elem(), joinKey(path, n.Content[i].Value), out, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			walkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out, depth+1)
		}
	}
}

// yamlFields maps the YAML names of t's fields to their types, as yaml.v3
// names them (the yaml tag, else the lower-cased field name).
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
