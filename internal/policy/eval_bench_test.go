package policy

import (
	"testing"

	"github.com/yingshang/yingshang/internal/entity"
)

// BenchmarkDecide measures deciding one business against one policy of
// three clauses and a benefit formula: the fast evaluator, and CEL's own
// evaluation of the same compiled rules as the baseline.
func BenchmarkDecide(b *testing.B) {
	e, err := newEnvir(entity.DefaultCatalogue())
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Code: "B-1", Title: "t", SourceDoc: "d", ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", Mode: ModeAuto,
		Clauses: []Clause{{Text: "a", Rule: `biz.region.startsWith("9901") && biz.status == "存续"`},
			{Text: "b", Rule: "fact.employees >= 10"}, {Text: "c", Rule: "fact.rd_spend >= 200000.0"}},
		Benefit: "fact.rd_spend * 0.1", CapYuan: 50000}
	c, err := e.check(&in)
	if err != nil {
		b.Fatal(err)
	}
	c.p = &Policy{Input: in}
	x := e.newInputs()
	x.vals[slotRegion], x.vals[slotStatus] = str("990102"), str("存续")
	x.vals[e.facts["employees"]], x.vals[e.facts["rd_spend"]] = num(25), num(800000)
	buf := make([]byte, 0, 8)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			e.decide(c, x, buf, true)
		}
	})
	b.Run("cel", func(b *testing.B) {
		for b.Loop() {
			for _, r := range c.rules {
				r.runCEL(e, x)
			}
			c.benefit.runCEL(e, x)
		}
	})
}
