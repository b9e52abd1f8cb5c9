package bctest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The $filter subset BC supports: comparison (eq ne gt ge lt le), in (...),
// and / or / not, parentheses, the string functions contains, startswith,
// endswith (boolean) and tolower, toupper, trim (string), literals in single
// quotes with ” as the escaped quote, numbers, true / false / null and
// unquoted GUIDs and dates. It is parsed into a small AST by a
// recursive-descent parser and evaluated per entity.

type tokKind int

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokComma
	tokString
	tokNumber
	tokWord // identifiers, keywords, operators, GUIDs, dates
)

type token struct {
	kind tokKind
	text string
	pos  int
}

var (
	guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$`)
	numRe  = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ",", i})
			i++
		case c == '\'':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(src) {
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("there is an unterminated string literal at position %d in '%s'", start, src)
			}
			toks = append(toks, token{tokString, b.String(), start})
		default:
			start := i
			for i < len(src) && !strings.ContainsRune(" \t\r\n(),'", rune(src[i])) {
				i++
			}
			w := src[start:i]
			kind := tokWord
			if numRe.MatchString(w) {
				kind = tokNumber
			}
			toks = append(toks, token{kind, w, start})
		}
	}
	return append(toks, token{tokEOF, "", len(src)}), nil
}

// node is a $filter expression.
type node interface{ isNode() }

type (
	literal struct{ v any }
	propRef struct{ name string }
	binary  struct {
		op   string
		l, r node
	}
	notNode  struct{ x node }
	callNode struct {
		fn   string
		args []node
	}
	inNode struct {
		x    node
		list []node
	}
)

func (literal) isNode()  {}
func (propRef) isNode()  {}
func (binary) isNode()   {}
func (notNode) isNode()  {}
func (callNode) isNode() {}
func (inNode) isNode()   {}

var functionArity = map[string]int{
	"contains": 2, "startswith": 2, "endswith": 2,
	"tolower": 1, "toupper": 1, "trim": 1,
}

type parser struct {
	src  string
	toks []token
	i    int
}

// parseFilter parses a $filter expression.
func parseFilter(src string) (node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.syntaxErr(t)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) syntaxErr(t token) error {
	if t.kind == tokEOF {
		return fmt.Errorf("expression expected at position %d in '%s'", t.pos, p.src)
	}
	return fmt.Errorf("syntax error at position %d in '%s'", t.pos, p.src)
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, w)
}

func (p *parser) parseOr() (node, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = binary{op: "or", l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd() (node, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = binary{op: "and", l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseNot() (node, error) {
	if p.isWord("not") {
		p.next()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	return p.parseComparison()
}

var comparisonOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

func (p *parser) parseComparison() (node, error) {
	l, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tokWord {
		return l, nil
	}
	op := strings.ToLower(t.text)
	switch {
	case comparisonOps[op]:
		p.next()
		r, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		return binary{op: op, l: l, r: r}, nil
	case op == "in":
		p.next()
		if p.next().kind != tokLParen {
			return nil, p.syntaxErr(p.toks[p.i-1])
		}
		var list []node
		for {
			v, err := p.parsePrimary()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			t := p.next()
			if t.kind == tokRParen {
				break
			}
			if t.kind != tokComma {
				return nil, p.syntaxErr(t)
			}
		}
		return inNode{x: l, list: list}, nil
	}
	return l, nil
}

func (p *parser) parsePrimary() (node, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, fmt.Errorf("')' or operator expected at position %d in '%s'", c.pos, p.src)
		}
		return n, nil
	case tokString:
		return literal{t.text}, nil
	case tokNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.syntaxErr(t)
		}
		return literal{f}, nil
	case tokWord:
		w := strings.ToLower(t.text)
		switch {
		case w == "true":
			return literal{true}, nil
		case w == "false":
			return literal{false}, nil
		case w == "null":
			return literal{nil}, nil
		case guidRe.MatchString(t.text) || dateRe.MatchString(t.text):
			return literal{t.text}, nil
		case p.peek().kind == tokLParen:
			arity, ok := functionArity[w]
			if !ok {
				return nil, fmt.Errorf("an unknown function with name '%s' was found", t.text)
			}
			p.next()
			var args []node
			for {
				a, err := p.parseOr()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				c := p.next()
				if c.kind == tokRParen {
					break
				}
				if c.kind != tokComma {
					return nil, p.syntaxErr(c)
				}
			}
			if len(args) != arity {
				return nil, fmt.Errorf("no function signature for the function with name '%s' matches the specified arguments", w)
			}
			return callNode{fn: w, args: args}, nil
		case comparisonOps[w] || w == "and" || w == "or" || w == "not" || w == "in":
			return nil, p.syntaxErr(t)
		}
		if !isIdentifier(t.text) {
			return nil, p.syntaxErr(t)
		}
		return propRef{t.text}, nil
	}
	return nil, p.syntaxErr(t)
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// properties returns every property the expression refers to.
func properties(n node) []string {
	switch x := n.(type) {
	case propRef:
		return []string{x.name}
	case binary:
		return append(properties(x.l), properties(x.r)...)
	case notNode:
		return properties(x.x)
	case callNode:
		var out []string
		for _, a := range x.args {
			out = append(out, properties(a)...)
		}
		return out
	case inNode:
		out := properties(x.x)
		for _, a := range x.list {
			out = append(out, properties(a)...)
		}
		return out
	}
	return nil
}

// evalFilter evaluates a boolean expression against an entity.
func evalFilter(n node, fields map[string]any) (bool, error) {
	v, err := eval(n, fields)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("the $filter expression must evaluate to a single boolean value")
	}
	return b, nil
}

func eval(n node, fields map[string]any) (any, error) {
	switch x := n.(type) {
	case literal:
		return x.v, nil
	case propRef:
		return fields[x.name], nil
	case notNode:
		v, err := eval(x.x, fields)
		if err != nil {
			return nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("the not operator needs a boolean operand")
		}
		return !b, nil
	case binary:
		l, err := eval(x.l, fields)
		if err != nil {
			return nil, err
		}
		if x.op == "and" || x.op == "or" {
			lb, ok := l.(bool)
			if !ok {
				return nil, fmt.Errorf("the %s operator needs boolean operands", x.op)
			}
			if x.op == "and" && !lb || x.op == "or" && lb {
				return lb, nil
			}
			r, err := eval(x.r, fields)
			if err != nil {
				return nil, err
			}
			rb, ok := r.(bool)
			if !ok {
				return nil, fmt.Errorf("the %s operator needs boolean operands", x.op)
			}
			return rb, nil
		}
		r, err := eval(x.r, fields)
		if err != nil {
			return nil, err
		}
		return compareOp(x.op, l, r)
	case inNode:
		v, err := eval(x.x, fields)
		if err != nil {
			return nil, err
		}
		for _, e := range x.list {
			ev, err := eval(e, fields)
			if err != nil {
				return nil, err
			}
			if eq, err := compareOp("eq", v, ev); err != nil {
				return nil, err
			} else if eq.(bool) {
				return true, nil
			}
		}
		return false, nil
	case callNode:
		args := make([]string, len(x.args))
		for i, a := range x.args {
			v, err := eval(a, fields)
			if err != nil {
				return nil, err
			}
			s, ok := v.(string)
			if !ok {
				if v != nil {
					return nil, fmt.Errorf("no function signature for the function with name '%s' matches the specified arguments", x.fn)
				}
				s = ""
			}
			args[i] = s
		}
		switch x.fn {
		case "contains":
			return strings.Contains(args[0], args[1]), nil
		case "startswith":
			return strings.HasPrefix(args[0], args[1]), nil
		case "endswith":
			return strings.HasSuffix(args[0], args[1]), nil
		case "tolower":
			return strings.ToLower(args[0]), nil
		case "toupper":
			return strings.ToUpper(args[0]), nil
		case "trim":
			return strings.TrimSpace(args[0]), nil
		}
	}
	return nil, fmt.Errorf("unsupported expression")
}

func edmType(v any) string {
	switch v.(type) {
	case string:
		return "Edm.String"
	case float64:
		return "Edm.Decimal"
	case bool:
		return "Edm.Boolean"
	}
	return "null"
}

func compareOp(op string, l, r any) (any, error) {
	if l == nil || r == nil {
		switch op {
		case "eq":
			return l == nil && r == nil, nil
		case "ne":
			return !(l == nil && r == nil), nil
		}
		return false, nil
	}
	if edmType(l) != edmType(r) {
		return nil, fmt.Errorf("a binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'", edmType(l), edmType(r), op)
	}
	if ls, ok := l.(string); ok && guidRe.MatchString(ls) && guidRe.MatchString(r.(string)) {
		l, r = strings.ToLower(ls), strings.ToLower(r.(string))
	}
	c := compareValues(l, r)
	switch op {
	case "eq":
		return c == 0, nil
	case "ne":
		return c != 0, nil
	case "gt":
		return c > 0, nil
	case "ge":
		return c >= 0, nil
	case "lt":
		return c < 0, nil
	case "le":
		return c <= 0, nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

// compareValues orders JSON values of the same type; nil sorts first.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
