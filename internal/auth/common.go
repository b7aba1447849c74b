package auth

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
)

// commonPasswordsFile is the list of common passwords CheckPassword refuses;
// data/common-passwords.txt says where it comes from.
//
//go:embed data/common-passwords.txt
var commonPasswordsFile string

// commonPasswords returns the list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 2048)
	for line := range strings.Lines(commonPasswordsFile) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
})

// minCommonCore is the shortest stem isCommon looks up: shorter stems
// ("love", "abc") are too likely in passwords that are not guessable.
const minCommonCore = 6

// isCommon reports whether lower, a lower-cased password, is on the list,
// or is a listed password with digits and symbols added at the end (the
// usual way of making "woaini" pass a kinds rule: "Woaini1314!").
func isCommon(lower string) bool {
	set := commonPasswords()
	if _, ok := set[lower]; ok {
		return true
	}
	core := strings.TrimRightFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if len([]rune(core)) < minCommonCore || core == lower {
		return false
	}
	_, ok := set[core]
	return ok
}
