package mapping

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// clean makes a profile value safe to store: invalid UTF-8 is dropped, the
// text is put in composed form (NFC, so "å" is one character), control
// characters and line breaks become spaces, runs of white space collapse to
// one space, and the ends are trimmed.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			space = true
			continue
		}
		if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r) {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// cut shortens s to at most max characters (runes) without splitting a
// character: a base letter is never separated from its combining marks. The
// result is trimmed. cut reports whether anything was removed.
func cut(s string, max int) (string, bool) {
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	runes := []rune(s)
	n := max
	// Do not leave a letter without the combining mark that follows it.
	for n > 0 && unicode.Is(unicode.M, runes[n]) {
		n--
	}
	return strings.TrimSpace(string(runes[:n])), true
}

// fit cleans and cuts a value for a field, adding a warning when it had to
// be shortened.
func fit(s string, max int, field string, w *[]Warning) string {
	v, cutOff := cut(clean(s), max)
	if cutOff {
		*w = append(*w, Warning{Field: field, Reason: ReasonTruncated})
	}
	return v
}
