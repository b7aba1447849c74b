package search

import (
	"unicode"
	"unicode/utf8"
)

// MaxTermRunes bounds the length of one indexed word. Longer runs of letters
// or digits (pasted hashes, base64) are cut to this length, the same way at
// indexing and at query time, so they still match themselves.
const MaxTermRunes = 64

// MaxQueryTokens bounds how many distinct tokens a query keeps. A pasted
// paragraph would otherwise become hundreds of terms that every document must
// contain; the first MaxQueryTokens are plenty to find it.
const MaxQueryTokens = 32

// class sorts runes into the three kinds the tokenizer treats differently.
type class uint8

const (
	sep  class = iota // punctuation, spaces, symbols: dropped
	cjk               // Han characters (and kana, Hangul): overlapping bigrams
	word              // letters and digits of other scripts: whole words
)

func classify(r rune) class {
	switch {
	case r < utf8.RuneSelf:
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			return word
		}
		return sep
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r),
		unicode.Is(unicode.Katakana, r), unicode.Is(unicode.Hangul, r):
		return cjk
	case unicode.IsLetter(r), unicode.IsDigit(r):
		return word
	}
	return sep
}

// fold maps full-width ASCII forms (Ａ, １, ！) to their ASCII counterparts,
// the ideographic space to a space, and letters to lower case, so that
// ＩＣＰ, ICP and icp are the same token. It is the part of NFKC folding that
// matters for Chinese text typed with a full-width input method.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		return ' '
	}
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	if r >= utf8.RuneSelf {
		return unicode.ToLower(r)
	}
	return r
}

// Tokens splits text into index terms, in order and with repeats (the count
// of a term is its frequency in the text).
//
// Chinese has no spaces between words and no dictionary is shipped, so a run
// of Han characters becomes its overlapping character bigrams: 营业执照 gives
// 营业, 业执, 执照. Any word of two or more characters in the text is then one
// of its terms, and a longer query word is found through its own bigrams. A
// run of a single Han character is kept as that character. Letters and digits
// form lower-cased whole words (ICP, 2024, b2b). Punctuation and spaces only
// separate; full-width letters and digits are folded to ASCII first.
func Tokens(text string) []string {
	var out []string
	var run []rune // current run, folded
	runClass := sep
	flush := func() {
		switch runClass {
		case cjk:
			if len(run) == 1 {
				out = append(out, string(run))
				break
			}
			for i := 0; i+1 < len(run); i++ {
				out = append(out, string(run[i:i+2]))
			}
		case word:
			if len(run) > MaxTermRunes {
				run = run[:MaxTermRunes]
			}
			out = append(out, string(run))
		}
		run = run[:0]
	}
	for _, r := range text {
		r = fold(r)
		c := classify(r)
		if c != runClass {
			flush()
			runClass = c
		}
		if c != sep {
			run = append(run, r)
		}
	}
	flush()
	return out
}

// QueryTokens returns the distinct terms a document must hold to match the
// query q, in the order they first appear, at most MaxQueryTokens of them.
//
// For a run of Han characters it keeps only enough bigrams to cover every
// character (营业执照 needs 营业 and 执照; 营业执 needs 营业 and 业执): the
// others add little precision and each costs a posting-list read.
func QueryTokens(q string) []string {
	var all []string
	for _, run := range splitRuns(q) {
		toks := Tokens(run)
		if n := len(toks); n > 2 && classify([]rune(toks[0])[0]) == cjk {
			cover := toks[:0:0]
			for i := 0; i < n; i += 2 {
				cover = append(cover, toks[i])
			}
			if n%2 == 0 { // the last character is not yet covered
				cover = append(cover, toks[n-1])
			}
			toks = cover
		}
		all = append(all, toks...)
	}
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, t := range all {
		if seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
		if len(out) == MaxQueryTokens {
			break
		}
	}
	return out
}

// splitRuns splits text into maximal runs of one class (separators
// dropped), folded, so each run tokenizes on its own.
func splitRuns(text string) []string {
	var runs []string
	var cur []rune
	curClass := sep
	for _, r := range text {
		r = fold(r)
		c := classify(r)
		if c != curClass && len(cur) > 0 {
			runs = append(runs, string(cur))
			cur = cur[:0]
		}
		curClass = c
		if c != sep {
			cur = append(cur, r)
		}
	}
	if len(cur) > 0 {
		runs = append(runs, string(cur))
	}
	return runs
}
