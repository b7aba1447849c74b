package discretion

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
)

//go:embed lists.json
var defaultLists []byte

// Lists are the published 包容审慎 lists and the 裁量基准 of one version:
// per matter the entries of the 不予处罚, 减轻处罚 and 从轻处罚 lists with the
// facts each requires, the circumstances of 第三十二条 and the aggravating
// ones, and the fine ranges of each level. They are data so that a
// province or a city publishes its own (第三十四条 requires publication).
type Lists struct {
	Version   string    `json:"version"`
	Name      string    `json:"name"`
	Benchmark Benchmark `json:"benchmark"`
	Matters   []Matter  `json:"matters"`
	// Circumstances that lead to a lighter or a heavier level whatever
	// the matter.
	Circumstances struct {
		Lighter []Circumstance `json:"lighter"`
		Heavier []Circumstance `json:"heavier"`
	} `json:"circumstances"`
	// StatutoryNoPenalty is 第三十三条第一款's first sentence, which holds
	// for every matter: minor, corrected in time, no harm.
	StatutoryNoPenalty Entry `json:"statutory_no_penalty"`
	// Education is the duty that follows every 不予处罚 (第三十三条第三款).
	Education Entry `json:"education"`
}

// Benchmark gives each level's fine range as shares of the provision:
// for a provision with only a maximum, shares of the maximum; for one with
// a minimum and a maximum, positions between them. 减轻处罚 goes below the
// minimum (or to a lighter kind of penalty), so its range is [0, 0] of the
// provision: the officer sets it, with reasons.
type Benchmark struct {
	Basis   string               `json:"basis"`
	MaxOnly map[Level][2]float64 `json:"max_only"`
	Range   map[Level][2]float64 `json:"range"`
}

// Matter is one violation (违法事项) with its fine provision and its list
// entries.
type Matter struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Basis string `json:"basis"`
	Fine  struct {
		MinYuan int64 `json:"min_yuan"`
		MaxYuan int64 `json:"max_yuan"`
	} `json:"fine"`
	// LifeHealth marks matters touching life, health or financial
	// security (a longer limitation period, 第三十六条).
	LifeHealth bool    `json:"life_health,omitempty"`
	NoPenalty  []Entry `json:"no_penalty"`
	Reduced    []Entry `json:"reduced"`
	Lighter    []Entry `json:"lighter"`
	// Departments, when set, are the codes of the departments that
	// enforce the matter; a query from another department is refused.
	// Empty means any department (the national default names none).
	Departments []string `json:"departments,omitempty"`
}

// Entry is one entry of a list: what it says, its legal basis and the
// facts that must all hold.
type Entry struct {
	ID       string   `json:"id,omitempty"`
	Text     string   `json:"text"`
	Basis    string   `json:"basis"`
	Requires []string `json:"requires"`
}

// Circumstance is a fact that moves the level.
type Circumstance struct {
	Fact  string `json:"fact"`
	Text  string `json:"text"`
	Basis string `json:"basis"`
}

// DefaultLists returns the national default lists embedded in the program.
func DefaultLists() (*Lists, error) { return ParseLists(defaultLists) }

// ParseLists reads and validates lists; the error names every bad node.
func ParseLists(b []byte) (*Lists, error) {
	var l Lists
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("discretion: lists: %w", err)
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// Facts are the names of the facts the lists may require, with their
// meaning; a list requiring another name is refused, so that a typo cannot
// make an entry unreachable.
var Facts = map[string]string{
	"first_violation":    "初次违法",
	"harm_slight":        "危害后果轻微",
	"corrected_in_time":  "及时改正",
	"violation_minor":    "违法行为轻微",
	"no_harm":            "没有造成危害后果",
	"eliminated_harm":    "主动消除或者减轻危害后果",
	"coerced":            "受他人胁迫或者诱骗",
	"confessed":          "主动供述尚未掌握的违法行为",
	"helped":             "配合查处有立功表现",
	"repeat_within_year": "一年内再次实施同一违法行为",
	"refused_correction": "拒不改正或者逃避、阻碍检查",
}

// Validate checks the lists and names each bad node.
func (l *Lists) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("discretion: lists: %s: %s", path, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(l.Version) == "" {
		bad("version", "required")
	}
	for name, levels := range map[string]map[Level][2]float64{"benchmark.max_only": l.Benchmark.MaxOnly, "benchmark.range": l.Benchmark.Range} {
		for _, lv := range []Level{LevelReduced, LevelLighter, LevelNormal, LevelHeavier} {
			r, ok := levels[lv]
			if !ok {
				bad(name+"."+string(lv), "required")
				continue
			}
			if r[0] < 0 || r[1] > 1 || r[0] > r[1] || math.IsNaN(r[0]) || math.IsNaN(r[1]) {
				bad(name+"."+string(lv), "range %v must be within [0, 1], low to high", r)
			}
		}
		for lv := range levels {
			if !slices.Contains([]Level{LevelReduced, LevelLighter, LevelNormal, LevelHeavier}, lv) {
				bad(name+"."+string(lv), "unknown level")
			}
		}
	}
	entry := func(path string, e Entry) {
		if strings.TrimSpace(e.Text) == "" {
			bad(path+".text", "required")
		}
		if strings.TrimSpace(e.Basis) == "" {
			bad(path+".basis", "required")
		}
		if len(e.Requires) == 0 {
			bad(path+".requires", "at least one fact")
		}
		for _, f := range e.Requires {
			if _, ok := Facts[f]; !ok {
				bad(path+".requires", "unknown fact %q", f)
			}
		}
	}
	entry("statutory_no_penalty", l.StatutoryNoPenalty)
	seen := map[string]bool{}
	for i, m := range l.Matters {
		p := fmt.Sprintf("matters[%d]", i)
		if m.Code == "" {
			bad(p+".code", "required")
		} else if seen[m.Code] {
			bad(p+".code", "duplicate %q", m.Code)
		}
		seen[m.Code] = true
		for j, d := range m.Departments {
			if strings.TrimSpace(d) == "" || strings.ContainsFunc(d, unicode.IsControl) {
				bad(fmt.Sprintf("%s.departments[%d]", p, j), "a department code is required")
			}
		}
		if strings.TrimSpace(m.Name) == "" {
			bad(p+".name", "required")
		}
		if m.Fine.MaxYuan <= 0 || m.Fine.MinYuan < 0 || m.Fine.MinYuan > m.Fine.MaxYuan {
			bad(p+".fine", "max_yuan must be positive and min_yuan between 0 and it")
		}
		for j, e := range m.NoPenalty {
			entry(fmt.Sprintf("%s.no_penalty[%d]", p, j), e)
		}
		for j, e := range m.Reduced {
			entry(fmt.Sprintf("%s.reduced[%d]", p, j), e)
		}
		for j, e := range m.Lighter {
			entry(fmt.Sprintf("%s.lighter[%d]", p, j), e)
		}
	}
	for i, c := range append(slices.Clone(l.Circumstances.Lighter), l.Circumstances.Heavier...) {
		if _, ok := Facts[c.Fact]; !ok {
			bad(fmt.Sprintf("circumstances[%d].fact", i), "unknown fact %q", c.Fact)
		}
	}
	return errors.Join(errs...)
}

// Matter returns the matter with code.
func (l *Lists) Matter(code string) (*Matter, bool) {
	for i := range l.Matters {
		if l.Matters[i].Code == code {
			return &l.Matters[i], true
		}
	}
	return nil, false
}
