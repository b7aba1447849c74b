package discretion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrUnknownMatter is returned for a matter the lists do not hold.
var ErrUnknownMatter = errors.New("discretion: unknown matter (未知违法事项)")

// ErrUnknownDepartment is returned when a matter's lists name the
// departments that enforce it and the query's department is not one.
var ErrUnknownDepartment = errors.New("discretion: matter not enforced by this department (该部门无此违法事项)")

// Engine proposes levels from one version of the lists.
type Engine struct {
	lists *Lists
}

// NewEngine returns an engine over l (the national default when nil).
func NewEngine(l *Lists) (*Engine, error) {
	if l == nil {
		var err error
		if l, err = DefaultLists(); err != nil {
			return nil, err
		}
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &Engine{lists: l}, nil
}

// Lists returns the lists in force.
func (e *Engine) Lists() *Lists { return e.lists }

// Propose proposes the level and the fine range for q, in this order:
// 第三十三条's statutory no-penalty; the matter's 不予处罚清单 (首违不罚
// among it); the matter's 减轻处罚清单; 第三十二条's must-lighter
// circumstances and the matter's 从轻处罚清单; the aggravating circumstances
// (which a lighter circumstance outweighs, leaving 一般); else 一般. Every
// rule tried is in the trace, held or not, so a legal reviewer reads why.
func (e *Engine) Propose(ctx context.Context, q Query) (Proposal, error) {
	m, ok := e.lists.Matter(q.MatterCode)
	if !ok {
		return Proposal{}, fmt.Errorf("%w: %q", ErrUnknownMatter, q.MatterCode)
	}
	if q.DepartmentCode != "" && len(m.Departments) > 0 && !slices.Contains(m.Departments, q.DepartmentCode) {
		return Proposal{}, fmt.Errorf("%w: %q of %q", ErrUnknownDepartment, q.MatterCode, q.DepartmentCode)
	}
	for k, v := range q.Facts {
		if _, known := Facts[k]; !known {
			return Proposal{}, fmt.Errorf("discretion: fact %q: %w", k, ErrUnknownFact)
		}
		if _, err := strconv.ParseBool(v); err != nil {
			return Proposal{}, fmt.Errorf("discretion: fact %q = %q: %w", k, v, ErrUnknownFact)
		}
	}
	is := func(f string) bool { v, _ := strconv.ParseBool(q.Facts[f]); return v }
	all := func(fs []string) bool {
		for _, f := range fs {
			if !is(f) {
				return false
			}
		}
		return true
	}
	p := Proposal{Version: e.lists.Version}
	step := func(rule string, en Entry, held bool) {
		p.Trace = append(p.Trace, Step{Rule: rule, Text: en.Text, Basis: en.Basis, Held: held})
	}
	none := func() Proposal {
		p.Level, p.Education = LevelNone, true
		step("education", e.lists.Education, true)
		return p
	}
	st := e.lists.StatutoryNoPenalty
	held := all(st.Requires)
	step("statutory_no_penalty", st, held)
	if held {
		return none(), nil
	}
	for _, en := range m.NoPenalty {
		held := all(en.Requires)
		step(en.ID, en, held)
		if held {
			return none(), nil
		}
	}
	for _, en := range m.Reduced {
		held := all(en.Requires)
		step(en.ID, en, held)
		if held {
			p.Level = LevelReduced
			p.FineMin, p.FineMax = e.fine(m, LevelReduced)
			return p, nil
		}
	}
	lighter := false
	for _, c := range e.lists.Circumstances.Lighter {
		held := is(c.Fact)
		step(c.Fact, Entry{Text: c.Text, Basis: c.Basis}, held)
		lighter = lighter || held
	}
	for _, en := range m.Lighter {
		held := all(en.Requires)
		step(en.ID, en, held)
		lighter = lighter || held
	}
	heavier := false
	for _, c := range e.lists.Circumstances.Heavier {
		held := is(c.Fact)
		step(c.Fact, Entry{Text: c.Text, Basis: c.Basis}, held)
		heavier = heavier || held
	}
	switch {
	case lighter && heavier:
		p.Level = LevelNormal
		step("balanced", Entry{Text: "同时具有从轻和从重情节的，在一般处罚幅度内裁量", Basis: e.lists.Benchmark.Basis}, true)
	case lighter:
		p.Level = LevelLighter
	case heavier:
		p.Level = LevelHeavier
	default:
		p.Level = LevelNormal
	}
	p.FineMin, p.FineMax = e.fine(m, p.Level)
	step("benchmark", Entry{Text: e.rangeText(m, p), Basis: e.lists.Benchmark.Basis}, true)
	return p, nil
}

// ErrUnknownFact is returned for a fact the lists do not know or a value
// that is not true or false.
var ErrUnknownFact = errors.New("unknown fact or value (未知情节)")

// fine returns the range of level for m in fen.
func (e *Engine) fine(m *Matter, lv Level) (int64, int64) {
	minF, maxF := m.Fine.MinYuan*100, m.Fine.MaxYuan*100
	if minF == 0 {
		r := e.lists.Benchmark.MaxOnly[lv]
		return int64(float64(maxF) * r[0]), int64(float64(maxF) * r[1])
	}
	if lv == LevelReduced {
		return 0, minF
	}
	r := e.lists.Benchmark.Range[lv]
	span := float64(maxF - minF)
	return minF + int64(span*r[0]), minF + int64(span*r[1])
}

func (e *Engine) rangeText(m *Matter, p Proposal) string {
	var b strings.Builder
	if m.Fine.MinYuan == 0 {
		fmt.Fprintf(&b, "法定罚款最高%s元", yuan(m.Fine.MaxYuan*100))
	} else {
		fmt.Fprintf(&b, "法定罚款%s元至%s元", yuan(m.Fine.MinYuan*100), yuan(m.Fine.MaxYuan*100))
	}
	fmt.Fprintf(&b, "，%s的幅度为%s元至%s元", LevelName(p.Level), yuan(p.FineMin), yuan(p.FineMax))
	return b.String()
}

// yuan writes an amount in fen as yuan.
func yuan(fen int64) string {
	if fen%100 == 0 {
		return strconv.FormatInt(fen/100, 10)
	}
	return strconv.FormatFloat(float64(fen)/100, 'f', 2, 64)
}

// LevelName names a level in Chinese.
func LevelName(l Level) string {
	return map[Level]string{LevelNone: "不予处罚", LevelReduced: "减轻处罚", LevelLighter: "从轻处罚",
		LevelNormal: "一般处罚", LevelHeavier: "从重处罚"}[l]
}
