package mapping

import (
	"strings"
	"unicode"

	"github.com/bcvipps/bcvipps/vipps"
	"golang.org/x/text/unicode/norm"
)

// NameMismatchAction says what Customer and MemberChanges do when the name
// in the Vipps profile differs clearly from the stored name: the person who
// consents in Vipps may not be the person on the customer card or member.
type NameMismatchAction string

// Name-mismatch actions.
const (
	// NameMismatchWarn writes as usual and adds the name-mismatch warning
	// (the default).
	NameMismatchWarn NameMismatchAction = "warn"
	// NameMismatchSkip writes nothing: the result holds no patch, no
	// changes and only the name-mismatch warning.
	NameMismatchSkip NameMismatchAction = "skip"
)

// maxNameTokens bounds the words compared; real names have far fewer.
const maxNameTokens = 16

// NameMismatch reports whether vippsName differs clearly from storedName,
// the stored customer's display name or the member's first, middle and last
// name joined with spaces. An empty name on either side is never a
// mismatch.
//
// Both names are compared word by word after folding: case, Unicode form,
// accents and Nordic letters (ø/ö/oe → o, å/aa → a, æ/ä/ae → a, ü/ue → u),
// doubled letters, punctuation and white space do not count, nor does the
// order of the words. The name with fewer words must be contained in the
// other: "Kari M. Nordmann", "NORDMANN KARI" and "Nordmann, Kari" all match
// "Kari Nordmann", and so does "Kari Nordmann Hansen" or "K. Nordmann". A
// single letter or a word written with a full stop ("Chr.") stands for any
// word it begins; one typo in a word of six or more letters is tolerated.
// "Ola Hansen" and "Ola Nordmann" both differ clearly from "Kari Nordmann".
func NameMismatch(vippsName, storedName string) bool {
	a, b := nameTokens(vippsName), nameTokens(storedName)
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return !containedIn(a, b)
}

// nameToken is one folded word of a name; abbrev marks a word that stands
// for any word it begins (an initial or a word written with a full stop).
type nameToken struct {
	word   string
	abbrev bool
}

// containedIn reports whether every word of short matches a different word
// of long: equal words first, then abbreviations and typos.
func containedIn(short, long []nameToken) bool {
	used := make([]bool, len(long))
	done := make([]bool, len(short))
	for i, s := range short {
		for j, l := range long {
			if !used[j] && s.word == l.word {
				used[j], done[i] = true, true
				break
			}
		}
	}
	for i, s := range short {
		if done[i] {
			continue
		}
		for j, l := range long {
			if !used[j] && similarWords(s, l) {
				used[j], done[i] = true, true
				break
			}
		}
		if !done[i] {
			return false
		}
	}
	return true
}

// similarWords matches an abbreviation with the words it begins and words
// of six or more letters that differ by one typo.
func similarWords(a, b nameToken) bool {
	switch {
	case a.abbrev && strings.HasPrefix(b.word, a.word):
		return true
	case b.abbrev && strings.HasPrefix(a.word, b.word):
		return true
	case a.abbrev || b.abbrev:
		return false
	}
	ra, rb := []rune(a.word), []rune(b.word)
	return len(ra) >= 6 && len(rb) >= 6 && oneEdit(ra, rb)
}

// oneEdit reports whether a and b differ by at most one inserted, deleted
// or replaced letter.
func oneEdit(a, b []rune) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return string(a[i+min(1, len(a)-i):]) == string(b[i+min(1, len(b)-i):])
	}
	return string(a[i:]) == string(b[i+1:])
}

// nameFold spells letters the way they are written without Nordic or
// other special letters.
var nameFold = map[rune]string{
	'ø': "o", 'æ': "ae", 'œ': "oe", 'ß': "ss", 'đ': "d", 'ð': "d", 'þ': "th",
	'ł': "l", 'ı': "i", 'ŋ': "n",
}

// nameTokens splits a name into folded words (see NameMismatch).
func nameTokens(name string) []nameToken {
	var tokens []nameToken
	var word strings.Builder
	flush := func(abbrev bool) {
		if word.Len() == 0 {
			return
		}
		w := foldWord(word.String())
		word.Reset()
		if w == "" || len(tokens) >= maxNameTokens {
			return
		}
		tokens = append(tokens, nameToken{word: w, abbrev: abbrev || len([]rune(w)) == 1})
	}
	for _, r := range norm.NFD.String(strings.ToLower(clean(name))) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// An accent of the letter before it.
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '´':
			// O'Brien is one word.
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f, ok := nameFold[r]; ok {
				word.WriteString(f)
			} else {
				word.WriteRune(r)
			}
		case r == '.':
			flush(true)
		default:
			flush(false)
		}
	}
	flush(false)
	return tokens
}

// foldWord removes doubled letters and reads ae, oe and ue as a, o and u,
// so that "Kierkegaard", "Kierkegård" and "Kierkegard" fold alike, as do
// "Søren" and "Soeren" or "Järvinen" and "Jaervinen".
func foldWord(w string) string {
	var out []rune
	for _, r := range w {
		if n := len(out); n > 0 {
			prev := out[n-1]
			if r == prev {
				continue
			}
			if r == 'e' && (prev == 'a' || prev == 'o' || prev == 'u') {
				continue
			}
		}
		out = append(out, r)
	}
	return string(out)
}

// profileName is the person's name in the profile, as the words that
// names returns.
func profileName(p *vipps.UserInfo) string {
	given, middle, family := names(p)
	return joinWords(given, middle, family)
}

// joinWords joins the non-empty parts with spaces.
func joinWords(parts ...string) string {
	var b strings.Builder
	for _, s := range parts {
		if s = clean(s); s != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// nameMismatchWarning is the warning added when the names differ clearly.
// It names no field, because it is about the record as a whole.
var nameMismatchWarning = Warning{Code: WarningNameMismatch, Reason: ReasonNameMismatch}
