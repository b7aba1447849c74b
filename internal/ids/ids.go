// Package ids validates the national identifiers the platform takes in:
// the unified social credit code of organisations (统一社会信用代码, GB 32100)
// and the resident identity number of citizens (居民身份证号码, GB 11643).
// Both carry a check character, so most typing mistakes are caught at intake.
package ids

import (
	"errors"
	"strings"
	"time"
)

// Errors returned by the validators. They are distinct so forms can say what
// is wrong.
var (
	ErrLength = errors.New("wrong length")
	ErrChar   = errors.New("invalid character")
	ErrCheck  = errors.New("check character does not match")
	ErrBirth  = errors.New("invalid date of birth")
	ErrRegion = errors.New("invalid region code")
)

// usccChars is the GB 32100 alphabet: digits and capitals without I, O, Z, S, V.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// NormalizeUSCC upper-cases a code and strips surrounding spaces.
func NormalizeUSCC(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ValidateUSCC checks an 18-character unified social credit code: alphabet,
// the 6-digit administrative division code in positions 3–8, and the check
// character computed as GB 32100 prescribes. The code must be normalized.
func ValidateUSCC(code string) error {
	if len(code) != 18 {
		return ErrLength
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(usccChars, code[i])
		if v < 0 {
			return ErrChar
		}
		if i >= 2 && i < 8 && v > 9 {
			return ErrRegion
		}
		if i < 17 {
			sum += v * usccWeights[i]
		}
	}
	if code[17] != USCCCheck(code[:17]) {
		return ErrCheck
	}
	return nil
}

// USCCCheck returns the check character for the first 17 characters of a
// unified social credit code. It panics if body has a character outside the
// alphabet; callers validate first.
func USCCCheck(body string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccChars, body[i]) * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return usccChars[c]
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idChecks = "10X98765432"

// NormalizeCitizenID upper-cases a trailing x and strips surrounding spaces.
func NormalizeCitizenID(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ValidateCitizenID checks an 18-character resident identity number: 17
// digits, a real date of birth in positions 7–14, and the GB 11643 check
// character (ISO 7064 MOD 11-2). The number must be normalized.
func ValidateCitizenID(id string) error {
	if len(id) != 18 {
		return ErrLength
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return ErrChar
		}
	}
	if id[17] != 'X' && (id[17] < '0' || id[17] > '9') {
		return ErrChar
	}
	if id[0] == '0' {
		return ErrRegion
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(time.Now()) {
		return ErrBirth
	}
	if id[17] != CitizenIDCheck(id[:17]) {
		return ErrCheck
	}
	return nil
}

// CitizenIDCheck returns the check character for the first 17 digits of a
// resident identity number.
func CitizenIDCheck(body string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * idWeights[i]
	}
	return idChecks[sum%11]
}

// ValidateMobile checks a mainland mobile number: 11 digits starting with 1.
func ValidateMobile(s string) error {
	if len(s) != 11 {
		return ErrLength
	}
	if s[0] != '1' {
		return ErrChar
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrChar
		}
	}
	return nil
}

// ValidateRegionCode checks a 6-digit GB/T 2260 administrative division code.
func ValidateRegionCode(s string) error {
	if len(s) != 6 {
		return ErrLength
	}
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrChar
		}
	}
	if s[:2] == "00" {
		return ErrRegion
	}
	return nil
}

// RegionLevel tells whether a GB/T 2260 code is a province (1), a
// prefecture-level city (2) or a county-level district (3).
func RegionLevel(code string) int {
	switch {
	case code[2:] == "0000":
		return 1
	case code[4:] == "00":
		return 2
	default:
		return 3
	}
}

// RegionContains reports whether region outer contains region inner (or is
// it), by the prefix structure of GB/T 2260 codes.
func RegionContains(outer, inner string) bool {
	if len(outer) != 6 || len(inner) != 6 {
		return false
	}
	switch RegionLevel(outer) {
	case 1:
		return outer[:2] == inner[:2]
	case 2:
		return outer[:4] == inner[:4]
	default:
		return outer == inner
	}
}
