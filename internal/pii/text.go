package pii

import (
	"regexp"
	"strings"
	"time"
)

// MaskText masks the personal numbers a person may have typed into free
// text (a description, a reply, a note): resident ID numbers (18
// characters, the last may be X), mainland mobile numbers (with or without
// +86, spaces or dashes), fixed-line numbers with their area code, and bank
// card numbers (16 to 19 digits that pass the Luhn check). Everything else
// is left as written: dates, amounts, the hotline's 19-digit order numbers,
// postcodes.
//
// A number is recognised only as a whole: at each place where a run of
// digits starts, the longest kind is tried first (ID, then card, then
// fixed line, then mobile), and a kind matches only if no digit follows it.
// So a mobile number is never found inside an ID or an order number, which
// is how "990103199****11233" came about before.
func MaskText(s string) string {
	if !hasDigit(s) {
		return s
	}
	var b strings.Builder
	i, last := 0, 0
	for i < len(s) {
		if !startsNumber(s, i) {
			i++
			continue
		}
		if n, masked := matchNumber(s[i:]); n > 0 && boundaryAfter(s, i+n) {
			b.WriteString(s[last:i])
			b.WriteString(masked)
			i += n
			last = i
			continue
		}
		// No kind matches at this start: skip the whole run of digits so
		// that nothing is matched inside it.
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// startsNumber reports whether a number may start at s[i]: a digit, the
// "+" of "+86" or the parenthesis of "(010)", not preceded by a digit, a decimal point after a digit, or
// another part of a number.
func startsNumber(s string, i int) bool {
	c := s[i]
	switch {
	case isDigit(c):
	case c == '+' && strings.HasPrefix(s[i:], "+86"):
	case c == '(' && strings.HasPrefix(s[i:], "(0"):
	default:
		return false
	}
	if i == 0 {
		return true
	}
	p := s[i-1]
	if isDigit(p) || p == '+' {
		return false
	}
	// "3.13812345678" is an amount, not a phone number.
	if (p == '.' || p == ',') && i >= 2 && isDigit(s[i-2]) {
		return false
	}
	return true
}

// boundaryAfter reports whether a number may end just before s[j]: no
// digit, and no decimal part, follows.
func boundaryAfter(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	if isDigit(c) || c == 'X' || c == 'x' {
		return false
	}
	if (c == '.' || c == ',') && j+1 < len(s) && isDigit(s[j+1]) {
		return false
	}
	return true
}

// The kinds of number, each anchored at the start of the text looked at.
var (
	idPattern    = regexp.MustCompile(`^\d{6}[ ]?\d{8}[ ]?\d{3}[\dXx]`)
	cardPattern  = regexp.MustCompile(`^(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)`)
	fixedPattern = regexp.MustCompile(`^(?:\((0(?:[12]\d|[3-9]\d{2}))\)[ -]?|(0(?:[12]\d|[3-9]\d{2}))[ -]?)([2-9]\d{2,3}[ -]?\d{4})`)
	// mobilePattern: an optional country code, then 1[3-9]x xxxx xxxx with
	// optional single spaces or dashes between the groups.
	mobilePattern = regexp.MustCompile(`^((?:\+86|0086|86)[ -]?)?(1[3-9]\d[ -]?\d{4}[ -]?\d{4})`)
)

// matchNumber returns the length of the personal number at the start of s
// and its masked form, or 0 when none starts there. Each kind is tried with
// the boundary after it checked by the caller; as kinds are tried longest
// first, an ID's digits never come out as a phone number.
func matchNumber(s string) (int, string) {
	try := func(n int, masked string) (int, string, bool) {
		if n > 0 && boundaryAfter(s, n) {
			return n, masked, true
		}
		return 0, "", false
	}
	if m := idPattern.FindString(s); m != "" {
		if d := digitsOnly(m); plausibleID(d) {
			if n, out, ok := try(len(m), MaskID(strings.ToUpper(d))); ok {
				return n, out
			}
		}
	}
	if m := cardPattern.FindString(s); m != "" {
		// Shorten greedy matches until one ends at a boundary.
		for m != "" {
			d := digitsOnly(m)
			if len(d) >= 16 && luhn(d) && !orderNumber(d) {
				if n, out, ok := try(len(m), mask(d, 4, 4)); ok {
					return n, out
				}
			}
			if len(d) < 16 {
				break
			}
			m = strings.TrimRight(m[:len(m)-1], " -")
		}
	}
	if sm := fixedPattern.FindStringSubmatch(s); sm != nil {
		area := sm[1] + sm[2]
		local := digitsOnly(sm[3])
		if len(local) == 7 || len(local) == 8 {
			masked := area + "-" + strings.Repeat("*", len(local)-4) + local[len(local)-4:]
			if n, out, ok := try(len(sm[0]), masked); ok {
				return n, out
			}
		}
	}
	if sm := mobilePattern.FindStringSubmatch(s); sm != nil {
		if n, out, ok := try(len(sm[0]), sm[1]+MaskPhone(digitsOnly(sm[2]))); ok {
			return n, out
		}
	}
	return 0, ""
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// plausibleID reports whether the 18 characters d have the shape of a
// resident ID number: a region whose first digit is 1 to 8 or 9 (the demo's
// fictional regions), and a real birth date from 1900 on. The check digit
// is not required: a mistyped ID is still personal data.
func plausibleID(d string) bool {
	if len(d) != 18 || d[0] == '0' {
		return false
	}
	year := d[6:10]
	if year < "1900" || year > "2099" {
		return false
	}
	t, err := time.Parse("20060102", d[6:14])
	return err == nil && t.Format("20060102") == d[6:14]
}

// orderNumber reports whether d is a 12345 hotline order number ("12345",
// a date, six digits), which must stay readable.
func orderNumber(d string) bool {
	if len(d) != 19 || !strings.HasPrefix(d, "12345") {
		return false
	}
	_, err := time.Parse("20060102", d[5:13])
	return err == nil
}

// luhn reports whether the digits d pass the Luhn check of card numbers.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
