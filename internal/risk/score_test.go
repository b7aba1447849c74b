package risk

import (
	"testing"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
)

// The class is the highest whose threshold the score reaches: a score
// equal to a threshold is in that class.
func TestThresholds(t *testing.T) {
	th := Thresholds{B: 10, C: 20, D: 35}
	for _, c := range []struct {
		score float64
		want  string
	}{{0, "A"}, {9.99, "A"}, {10, "B"}, {19.99, "B"}, {20, "C"}, {34.99, "C"}, {35, "D"}, {100, "D"}} {
		if got := th.classOf(c.score); got != c.want {
			t.Errorf("score %v: %s, want %s", c.score, got, c.want)
		}
	}
}

// Each formula kind with literal values on a literal business, and the
// scoring of bands (the last band reached), maps, missing facts and the
// class floor.
func TestFormulas(t *testing.T) {
	missing := 30.0
	m := &Model{Name: "测试", Thresholds: Thresholds{B: 10, C: 20, D: 35}, Root: Node{Key: "root", Name: "根", Children: []Node{
		{Key: "penalty", Name: "处罚", Weight: 2, Formula: &Formula{Op: OpCount, Kind: "penalty", Months: 12},
			Bands: []Band{{0, 0}, {1, 50}, {3, 100}}},
		{Key: "report", Name: "年报", Weight: 1, Formula: &Formula{Op: OpExists, Kind: "annual_report", Months: 18},
			Bands: []Band{{0, 100}, {1, 0}}},
		{Key: "abnormal", Name: "异常", Weight: 1, Formula: &Formula{Op: OpListed, List: "abnormal"},
			Bands: []Band{{0, 0}, {1, 100}}, AtLeast: "C"},
		{Key: "rep", Name: "关联", Weight: 1, Formula: &Formula{Op: OpRelated, List: "serious"}, Bands: []Band{{1, 80}}},
		{Key: "grade", Name: "纳税", Weight: 1, Formula: &Formula{Op: OpFact, Name: "纳税信用等级"}, Map: map[string]float64{"A": 0, "D": 100}, Else: 40, Missing: &missing},
		{Key: "staff", Name: "职工", Weight: 1, Formula: &Formula{Op: OpFact, Name: "职工人数"}, Bands: []Band{{0, 60}, {5, 20}, {50, 0}}},
		{Key: "age", Name: "年限", Weight: 1, Formula: &Formula{Op: OpAttr, Name: "age_years"}, Bands: []Band{{0, 70}, {3, 0}}},
		{Key: "capital", Name: "资本", Weight: 1, Formula: &Formula{Op: OpAttr, Name: "capital_wan"}, Bands: []Band{{0, 50}, {100, 0}}},
		{Key: "industry", Name: "行业", Weight: 1, Formula: &Formula{Op: OpAttr, Name: "industry"}, Map: map[string]float64{"H": 40}, Else: 10},
	}}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	c := compile(m, 7)
	today, _ := calendar.ParseDate("2026-12-03")
	p := newPlan(today, c)
	in := p.newInputs()
	in.b = entity.Basic{USCC: "x", Industry: "H6210", CapitalYuan: 1_234_500, EstablishedOn: "2024-12-03"}
	for _, r := range []struct{ kind, date string }{{"penalty", "2025-12-04"}, {"penalty", "2026-11-30"}, {"penalty", "2025-12-03"},
		{"annual_report", "2025-06-03"}, {"license", "2026-01-01"}} {
		p.record(&in, []byte(r.kind), []byte(r.date))
	}
	in.listed[listAbnormal] = true
	in.related[listSerious] = 2
	in.facts[p.factIdx["职工人数"]] = fact{set: true, typ: "integer", value: "12"}
	vals := make([]Value, len(c.leaves))
	res := p.evaluate(c, &in, vals)
	lines, err := c.explain(res.vals)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		value string
		score float64
	}{
		{"2", 50},     // two penalties from 2025-12-04 (12 months end today; 2025-12-03 is outside)
		{"0", 100},    // the report of 2025-06-03 is 18 months and a day old
		{"1", 100},    // listed
		{"2", 80},     // two related businesses on the serious list
		{"—", 30},     // no tax grade: missing
		{"12", 20},    // 12 staff: the band from 5
		{"2", 70},     // established 2024-12-03: 2 years
		{"123.45", 0}, // 123.45 万元
		{"H", 40},     // section H
	}
	for i, w := range want {
		if lines[i].Value != w.value || lines[i].Score != w.score {
			t.Errorf("%s: value %s score %v, want %s %v", lines[i].Key, lines[i].Value, lines[i].Score, w.value, w.score)
		}
	}
	// (2×50 + 100 + 100 + 80 + 30 + 20 + 70 + 0 + 40) / 10 = 54.
	if res.score != 54 || res.class != "D" {
		t.Errorf("score %v class %s, want 54 D", res.score, res.class)
	}
	if lines[0].Weight != 0.2 || lines[0].Contribution != 10 || lines[2].Floor != "C" {
		t.Errorf("weights and floors: %+v %+v", lines[0], lines[2])
	}
	// The floor lifts a low score: only the listing left.
	in.reset()
	in.b = entity.Basic{USCC: "x", Industry: "A0111", CapitalYuan: 10_000_000, EstablishedOn: "2000-01-01"}
	in.listed[listAbnormal] = true
	in.counts[c.leaves[1].win] = 1
	in.facts[p.factIdx["纳税信用等级"]] = fact{set: true, typ: "text", value: "A"}
	in.facts[p.factIdx["职工人数"]] = fact{set: true, typ: "integer", value: "80"}
	res = p.evaluate(c, &in, vals)
	if res.score != 11 || res.class != "C" { // (100 + 10) / 10 = 11 → B by score, C by the floor
		t.Errorf("floor: score %v class %s, want 11 C", res.score, res.class)
	}
}
