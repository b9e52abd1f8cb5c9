package main

import (
	"io"
	"strings"
	"unicode/utf8"
)

// verdict is how a figure compares with its target.
type verdict string

const (
	pass     verdict = "PASS"
	miss     verdict = "MISS"
	noTarget verdict = "-"
	failed   verdict = "ERROR" // the figure could not be measured
)

// row is one line of the result table.
type row struct {
	Figure string // what was measured
	Value  string // the measured value, with its unit
	Target string // the target, or "-"
	Result verdict
	Note   string // how it was measured, in a few words
}

// check returns pass when ok, else miss.
func check(ok bool) verdict {
	if ok {
		return pass
	}
	return miss
}

// table is the benchmark's result table.
type table struct{ rows []row }

func (t *table) add(r row) { t.rows = append(t.rows, r) }

// misses counts the rows that missed their target or failed.
func (t *table) misses() int {
	n := 0
	for _, r := range t.rows {
		if r.Result == miss || r.Result == failed {
			n++
		}
	}
	return n
}

// write prints the table with aligned Markdown columns, so that it can be
// pasted into docs/benchmarks.md as is.
func (t *table) write(w io.Writer) error {
	lines := [][]string{{"figure", "value", "target", "result", "how"}}
	for _, r := range t.rows {
		lines = append(lines, []string{r.Figure, r.Value, r.Target, string(r.Result), r.Note})
	}
	width := make([]int, len(lines[0]))
	for _, l := range lines {
		for i, c := range l {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for n, l := range lines {
		for i, c := range l {
			b.WriteString("| " + c + strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)) + " ")
		}
		b.WriteString("|\n")
		if n == 0 {
			for i := range l {
				b.WriteString("|" + strings.Repeat("-", width[i]+2))
			}
			b.WriteString("|\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
