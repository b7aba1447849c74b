package enforcement

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/store"
)

// BasicDiscretion is a small stand-in for the discretion engine (package
// discretion) over the rules' matters, used until that engine is wired
// and in tests: 首违不罚 (第三十三条: first violation, slight harm,
// corrected in time) proposes 不予处罚 with education; 第三十二条's
// circumstances (eliminated_harm, coerced, confessed, helped) propose 从轻
// up to 20% of the maximum; a repeat within a year proposes 从重 (60–100%);
// otherwise 一般, 40–60% of the maximum. Outcomes are only counted.
type BasicDiscretion struct {
	Rules *Rules

	mu       sync.Mutex
	outcomes []Outcome
}

// Outcomes returns the outcomes recorded so far.
func (b *BasicDiscretion) Outcomes() []Outcome {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Outcome(nil), b.outcomes...)
}

// Propose proposes the level and range for q.
func (b *BasicDiscretion) Propose(ctx context.Context, q discretion.Query) (discretion.Proposal, error) {
	mt, ok := b.Rules.Matter(q.MatterCode)
	if !ok {
		return discretion.Proposal{}, fmt.Errorf("enforcement: discretion: unknown matter %q", q.MatterCode)
	}
	max := mt.MaxFineYuan * 100
	is := func(k string) bool { v, _ := strconv.ParseBool(q.Facts[k]); return v }
	p := discretion.Proposal{Version: "basic-1"}
	first := is("first_violation") && is("harm_slight") && is("corrected_in_time")
	p.Trace = append(p.Trace, discretion.Step{Rule: "first_violation", Text: "初次违法且危害后果轻微并及时改正的，可以不予行政处罚",
		Basis: "《行政处罚法》第三十三条第一款", Held: first})
	if first {
		p.Level, p.Education = discretion.LevelNone, true
		p.Trace = append(p.Trace, discretion.Step{Rule: "education", Text: "对当事人不予行政处罚的，应当对当事人进行教育",
			Basis: "《行政处罚法》第三十三条第三款", Held: true})
		return p, nil
	}
	lighter := is("eliminated_harm") || is("coerced") || is("confessed") || is("helped")
	p.Trace = append(p.Trace, discretion.Step{Rule: "lighter", Text: "主动消除或者减轻违法行为危害后果等情形的，应当从轻或者减轻行政处罚",
		Basis: "《行政处罚法》第三十二条", Held: lighter})
	heavier := is("repeat_within_year")
	p.Trace = append(p.Trace, discretion.Step{Rule: "heavier", Text: "一年内再次实施同一违法行为的，从重处罚",
		Basis: "裁量基准", Held: heavier && !lighter})
	switch {
	case lighter:
		p.Level, p.FineMin, p.FineMax = discretion.LevelLighter, 0, max/5
	case heavier:
		p.Level, p.FineMin, p.FineMax = discretion.LevelHeavier, max*6/10, max
	default:
		p.Level, p.FineMin, p.FineMax = discretion.LevelNormal, max*4/10, max*6/10
		p.Trace = append(p.Trace, discretion.Step{Rule: "normal", Text: "只规定最高罚款数额的，一般处罚为最高额的40%至60%",
			Basis: "裁量基准（第三十四条）", Held: true})
	}
	return p, nil
}

// RecordOutcome keeps o.
func (b *BasicDiscretion) RecordOutcome(ctx context.Context, tx store.IDB, o Outcome) error {
	b.mu.Lock()
	b.outcomes = append(b.outcomes, o)
	b.mu.Unlock()
	return nil
}
