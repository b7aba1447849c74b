package fairscreen

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:embed rules.json
var defaultLibrary []byte

// DefaultLibrary returns the embedded national rule library, parsed.
func DefaultLibrary() (*Library, error) {
	return ParseLibrary(defaultLibrary)
}

// DefaultLibraryJSON returns the embedded rule library as written.
func DefaultLibraryJSON() []byte { return append([]byte(nil), defaultLibrary...) }

// LoadLibrary reads a city's rule library from a JSON file.
func LoadLibrary(path string) (*Library, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fairscreen: read rule library: %w", err)
	}
	return ParseLibrary(b)
}

// Library is the rule library: named word lists, the words that turn a
// restriction into a prohibition (不得, 禁止 …), and the rules.
type Library struct {
	Name string `json:"name"`
	// Lists are named word lists; a pattern refers to one as {name}.
	Lists map[string][]string `json:"lists"`
	// Negators are words that, found shortly before a trigger in the same
	// phrase, mean the clause forbids the restriction rather than sets it.
	Negators []string `json:"negators"`
	// NegationWindow is how many runes before a trigger are searched for a
	// negator; Gap is the largest number of runes between the parts of a
	// pattern written "A…B".
	NegationWindow int    `json:"negation_window"`
	Gap            int    `json:"gap"`
	Rules          []Rule `json:"rules"`
}

// Rule is one typical violation of a standard.
type Rule struct {
	ID          string `json:"id"`
	Article     string `json:"article"`
	Category    string `json:"category"`
	Title       string `json:"title"`
	Explanation string `json:"explanation"`
	// Triggers are the patterns whose match is the span of a finding. A
	// pattern is literal text with {list} references, its parts separated
	// by "…" meaning "followed within Gap runes by".
	Triggers []string `json:"triggers"`
	// Context lists groups of patterns; each group must match somewhere in
	// the clause or in the lead-in sentence of its article.
	Context [][]string `json:"context,omitempty"`
	// Unless lists patterns that make the clause lawful when they match in
	// the clause (a national licence, objective criteria open to all, a
	// public-interest exception with a term).
	Unless   []string `json:"unless,omitempty"`
	Examples Examples `json:"examples"`
}

// Examples are clauses a rule must flag and clauses it must let pass; they
// run as tests before a library is published.
type Examples struct {
	Flag []string `json:"flag"`
	Pass []string `json:"pass"`
}

// ParseLibrary parses and validates a rule library.
func ParseLibrary(b []byte) (*Library, error) {
	var lib Library
	if err := json.Unmarshal(b, &lib); err != nil {
		return nil, fmt.Errorf("fairscreen: parse rule library: %w", err)
	}
	if _, err := compile(&lib); err != nil {
		return nil, err
	}
	return &lib, nil
}

// Categories lists the four categories in the order of the 条例.
var categories = [...]string{CategoryEntry, CategoryFlow, CategoryCost, CategoryBehavior}

// Categories returns the four categories in the order of the 条例.
func Categories() []string { return categories[:] }

// pattern is a compiled pattern: alternatives, each a sequence of parts.
type pattern [][]string

type compiledRule struct {
	rule     *Rule
	triggers pattern
	context  []pattern
	unless   pattern
}

// Screener screens texts against a compiled library. It is safe for
// concurrent use.
type Screener struct {
	lib      *Library
	rules    []compiledRule
	negators []string
	window   int
	gap      int
}

// New compiles a library into a screener.
func New(lib *Library) (*Screener, error) {
	return compile(lib)
}

// Library returns the library the screener was compiled from.
func (s *Screener) Library() *Library { return s.lib }

func compile(lib *Library) (*Screener, error) {
	s := &Screener{lib: lib, negators: lib.Negators, window: lib.NegationWindow, gap: lib.Gap}
	if s.window <= 0 {
		s.window = 12
	}
	if s.gap <= 0 {
		s.gap = 16
	}
	seen := map[string]bool{}
	for i := range lib.Rules {
		r := &lib.Rules[i]
		if r.ID == "" {
			return nil, fmt.Errorf("fairscreen: rule %d: id is required", i+1)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("fairscreen: rule %s: duplicate id", r.ID)
		}
		seen[r.ID] = true
		if !validCategory(r.Category) {
			return nil, fmt.Errorf("fairscreen: rule %s: unknown category %q", r.ID, r.Category)
		}
		if r.Article == "" || r.Explanation == "" {
			return nil, fmt.Errorf("fairscreen: rule %s: article and explanation are required", r.ID)
		}
		if len(r.Triggers) == 0 {
			return nil, fmt.Errorf("fairscreen: rule %s: at least one trigger is required", r.ID)
		}
		cr := compiledRule{rule: r}
		var err error
		if cr.triggers, err = compilePatterns(lib, r.Triggers); err != nil {
			return nil, fmt.Errorf("fairscreen: rule %s: %w", r.ID, err)
		}
		for _, g := range r.Context {
			p, err := compilePatterns(lib, g)
			if err != nil {
				return nil, fmt.Errorf("fairscreen: rule %s: context: %w", r.ID, err)
			}
			cr.context = append(cr.context, p)
		}
		if cr.unless, err = compilePatterns(lib, r.Unless); err != nil {
			return nil, fmt.Errorf("fairscreen: rule %s: unless: %w", r.ID, err)
		}
		s.rules = append(s.rules, cr)
	}
	return s, nil
}

func validCategory(c string) bool {
	for _, k := range categories {
		if c == k {
			return true
		}
	}
	return false
}

// compilePatterns expands {list} references and splits parts at "…".
func compilePatterns(lib *Library, src []string) (pattern, error) {
	var out pattern
	for _, p := range src {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("empty pattern")
		}
		alts := [][]string{nil}
		for _, part := range strings.Split(p, "…") {
			if part == "" {
				return nil, fmt.Errorf("pattern %q: empty part", p)
			}
			words, err := expand(lib, part, 0)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
			var next [][]string
			for _, a := range alts {
				for _, w := range words {
					next = append(next, append(append([]string(nil), a...), w))
				}
			}
			alts = next
		}
		out = append(out, alts...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out, nil
}

// expand replaces {list} references in s by each word of the list.
func expand(lib *Library, s string, depth int) ([]string, error) {
	if depth > 4 {
		return nil, fmt.Errorf("lists nested too deeply")
	}
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return []string{s}, nil
	}
	j := strings.IndexByte(s[i:], '}')
	if j < 0 {
		return nil, fmt.Errorf("unclosed {")
	}
	name := s[i+1 : i+j]
	words, ok := lib.Lists[name]
	if !ok || len(words) == 0 {
		return nil, fmt.Errorf("unknown word list {%s}", name)
	}
	rest, err := expand(lib, s[i+j+1:], depth)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, w := range words {
		ws, err := expand(lib, w, depth+1)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			for _, r := range rest {
				out = append(out, s[:i]+w+r)
			}
		}
	}
	return out, nil
}

// Segment is one clause of a text with its place in it.
type Segment struct {
	Text    string // the clause, trimmed
	Start   int    // rune offset of Text in the whole text
	End     int    // rune offset just past Text
	Article string // "第五条" when the clause is inside a numbered article
	Item    string // "（二）" when the clause is inside an item
	Lead    string // the lead-in sentence ending in "：" that the items follow
}

// Split splits a text into clauses: at line breaks, at numbered articles
// (第X条) and items (（一）, 1.), and at the ends of sentences (。；！？ and
// a lead-in's "：").
func Split(text string) []Segment {
	var out []Segment
	var article, item, lead string
	runeAt := 0 // rune offset of byte position pos
	start, startRune := -1, 0
	flush := func(end, endRune int) {
		if start < 0 {
			return
		}
		raw := text[start:end]
		trimmed := strings.TrimLeftFunc(raw, isSpace)
		lead0 := utf8.RuneCountInString(raw[:len(raw)-len(trimmed)])
		trimmed = strings.TrimRightFunc(trimmed, isSpace)
		s0 := startRune + lead0
		if hasContent(trimmed) {
			seg := Segment{Text: trimmed, Start: s0, End: s0 + utf8.RuneCountInString(trimmed), Article: article, Item: item, Lead: lead}
			out = append(out, seg)
			if strings.HasSuffix(trimmed, "：") || strings.HasSuffix(trimmed, ":") {
				lead = trimmed
			}
		}
		start = -1
		_ = endRune
	}
	lineStart := true
	for pos := 0; pos < len(text); {
		r, size := utf8.DecodeRuneInString(text[pos:])
		if r == '\n' || r == '\r' || r == '\u2028' {
			flush(pos, runeAt)
			pos += size
			runeAt++
			lineStart = true
			continue
		}
		if lineStart && !isSpace(r) {
			lineStart = false
			if a, n := articleAt(text[pos:]); n > 0 {
				flush(pos, runeAt)
				article, item, lead = a, "", ""
			} else if it, n := itemAt(text[pos:]); n > 0 {
				flush(pos, runeAt)
				item = it
			}
		} else if r == '（' || r == '(' {
			// an item marker inside a line, after a lead-in or another item
			if it, n := itemAt(text[pos:]); n > 0 && (start < 0 || endsItem(text[start:pos])) {
				flush(pos, runeAt)
				item = it
			}
		}
		if start < 0 && !isSpace(r) {
			start, startRune = pos, runeAt
		}
		pos += size
		runeAt++
		switch r {
		case '。', '；', '！', '？', ';', '!', '?', '：':
			flush(pos, runeAt)
		}
	}
	flush(len(text), runeAt)
	return out
}

// endsItem reports whether the text before an inline item marker is empty
// or ends a phrase, so that "（一）" there starts a new item.
func endsItem(before string) bool {
	t := strings.TrimRightFunc(before, isSpace)
	if t == "" {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(t)
	return r == '，' || r == '、' || r == '：'
}

func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' }

func hasContent(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

const cnDigits = "零〇一二三四五六七八九十百千两"

// articleAt recognises "第X条" at the start of s and returns it and its byte length.
func articleAt(s string) (string, int) {
	if !strings.HasPrefix(s, "第") {
		return "", 0
	}
	i := len("第")
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !strings.ContainsRune(cnDigits, r) && !(r >= '0' && r <= '9') {
			break
		}
		j += size
	}
	if j == i || !strings.HasPrefix(s[j:], "条") {
		return "", 0
	}
	j += len("条")
	return s[:j], j
}

// itemAt recognises "（一）", "(一)", "（1）" at the start of s.
func itemAt(s string) (string, int) {
	var open, close string
	switch {
	case strings.HasPrefix(s, "（"):
		open, close = "（", "）"
	case strings.HasPrefix(s, "("):
		open, close = "(", ")"
	default:
		return "", 0
	}
	i := len(open)
	j := i
	for j < len(s) && j-i < 12 {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !strings.ContainsRune(cnDigits, r) && !(r >= '0' && r <= '9') {
			break
		}
		j += size
	}
	if j == i || !strings.HasPrefix(s[j:], close) {
		return "", 0
	}
	j += len(close)
	return "（" + s[i:j-len(close)] + "）", j
}

// Screen splits text into clauses and screens each one. Every clause has a
// non-nil list of findings.
func (s *Screener) Screen(ctx context.Context, text string) ([]Clause, error) {
	segs := Split(text)
	out := make([]Clause, len(segs))
	for i, seg := range segs {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = Clause{Text: seg.Text, Findings: s.ScreenClause(seg.Text, seg.Lead)}
	}
	return out, nil
}

// ScreenSegments screens clauses already split, keeping their offsets.
func (s *Screener) ScreenSegments(ctx context.Context, segs []Segment) ([]Clause, error) {
	out := make([]Clause, len(segs))
	for i, seg := range segs {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = Clause{Text: seg.Text, Findings: s.ScreenClause(seg.Text, seg.Lead)}
	}
	return out, nil
}

// ScreenClause screens one clause; lead is the lead-in sentence its article
// puts before its items ("" when none). The result is never nil.
func (s *Screener) ScreenClause(clause, lead string) []Finding {
	out := []Finding{}
	for i := range s.rules {
		cr := &s.rules[i]
		b0, b1, ok := s.find(clause, cr.triggers, true)
		if !ok {
			continue
		}
		if !s.contextHolds(cr, clause, lead) {
			continue
		}
		if _, _, hit := s.find(clause, cr.unless, false); hit {
			continue
		}
		start := utf8.RuneCountInString(clause[:b0])
		out = append(out, Finding{Rule: cr.rule.ID, Article: cr.rule.Article, Category: cr.rule.Category,
			Span:        [2]int{start, start + utf8.RuneCountInString(clause[b0:b1])},
			Explanation: cr.rule.Explanation})
	}
	return out
}

func (s *Screener) contextHolds(cr *compiledRule, clause, lead string) bool {
	for _, g := range cr.context {
		if _, _, ok := s.find(clause, g, false); ok {
			continue
		}
		if lead != "" {
			if _, _, ok := s.find(lead, g, false); ok {
				continue
			}
		}
		return false
	}
	return true
}

// find returns the byte span of the first match of any alternative of p in
// text; with negate, a match preceded by a negator in the same phrase is
// skipped. Alternatives sharing their first part are tried together, so
// the text is searched once per distinct first part.
func (s *Screener) find(text string, p pattern, negate bool) (int, int, bool) {
	best0, best1, found := 0, 0, false
	for i := 0; i < len(p); {
		first := p[i][0]
		j := i
		for j < len(p) && p[j][0] == first {
			j++
		}
		group := p[i:j]
		i = j
		if found && strings.Index(text[:best0], first) < 0 {
			continue
		}
		from := 0
	occurrences:
		for from < len(text) {
			k := strings.Index(text[from:], first)
			if k < 0 {
				break
			}
			k += from
			if !found || k < best0 {
				for _, alt := range group {
					end, ok := s.follow(text, k+len(first), alt[1:])
					if ok && !(negate && s.negated(text, k)) {
						best0, best1, found = k, end, true
						break occurrences
					}
				}
			} else {
				break
			}
			_, size := utf8.DecodeRuneInString(text[k:])
			from = k + size
		}
	}
	return best0, best1, found
}

// follow matches the remaining parts, each within gap runes of the last.
func (s *Screener) follow(text string, pos int, parts []string) (int, bool) {
	for _, part := range parts {
		window := text[pos:]
		// limit the window to gap runes plus the part
		n, cut := 0, len(window)
		for k := range window {
			if n == s.gap {
				cut = k
				break
			}
			n++
		}
		lim := cut + len(part)
		if lim > len(window) {
			lim = len(window)
		}
		j := strings.Index(window[:lim], part)
		if j < 0 {
			return 0, false
		}
		pos += j + len(part)
	}
	return pos, true
}

// negated reports whether a negator occurs within the window before byte
// position i, in the same phrase (not across "，" or "；").
func (s *Screener) negated(text string, i int) bool {
	before := text[:i]
	n := 0
	k := len(before)
	for k > 0 && n < s.window {
		r, size := utf8.DecodeLastRuneInString(before[:k])
		if r == '，' || r == '；' || r == '。' || r == ',' {
			break
		}
		k -= size
		n++
	}
	seg := before[k:]
	for _, w := range s.negators {
		if strings.Contains(seg, w) {
			return true
		}
	}
	return false
}

// Check runs every rule's examples and returns one message per failure.
func (s *Screener) Check() []string {
	var fails []string
	for i := range s.rules {
		cr := &s.rules[i]
		r := cr.rule
		if len(r.Examples.Flag) == 0 || len(r.Examples.Pass) == 0 {
			fails = append(fails, fmt.Sprintf("%s: needs at least one must-flag and one must-pass example", r.ID))
		}
		for _, ex := range r.Examples.Flag {
			if !s.ruleFires(r.ID, ex) {
				fails = append(fails, fmt.Sprintf("%s: must flag but passes: %s", r.ID, ex))
			}
		}
		for _, ex := range r.Examples.Pass {
			if s.ruleFires(r.ID, ex) {
				fails = append(fails, fmt.Sprintf("%s: must pass but is flagged: %s", r.ID, ex))
			}
		}
	}
	return fails
}

// ruleFires reports whether rule id flags any clause of text.
func (s *Screener) ruleFires(id, text string) bool {
	for _, seg := range Split(text) {
		for _, f := range s.ScreenClause(seg.Text, seg.Lead) {
			if f.Rule == id {
				return true
			}
		}
	}
	return false
}
