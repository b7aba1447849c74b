package discretion

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func engine(t *testing.T) *Engine {
	t.Helper()
	e, err := NewEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func facts(names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = "true"
	}
	return m
}

// 首违不罚 (第三十三条第一款): on the list of the matter, a first violation
// with slight harm corrected in time is not penalised, and the party is
// educated (第三十三条第三款).
func TestFirstViolationNotPenalised(t *testing.T) {
	p, err := engine(t).Propose(context.Background(), Query{MatterCode: "SCJG-SP-01",
		Facts: facts("first_violation", "harm_slight", "corrected_in_time")})
	if err != nil {
		t.Fatal(err)
	}
	if p.Level != LevelNone || !p.Education || p.FineMax != 0 {
		t.Fatalf("proposal %+v, want 不予处罚 with education", p)
	}
	last := p.Trace[len(p.Trace)-1]
	if last.Rule != "education" || !strings.Contains(last.Basis, "第三十三条第三款") {
		t.Errorf("trace ends with %+v, want the duty to educate", last)
	}
	// Not corrected: the entry does not hold, and the level is 一般.
	p, _ = engine(t).Propose(context.Background(), Query{MatterCode: "SCJG-SP-01",
		Facts: facts("first_violation", "harm_slight")})
	if p.Level != LevelNormal || p.Education {
		t.Errorf("uncorrected first violation: %+v, want 一般", p)
	}
}

// 首违不罚 is "可以": a matter whose list has no first-violation entry (a
// food-safety matter) is penalised even for a first violation; the
// statutory rule (minor, corrected, no harm) holds for every matter.
func TestFirstViolationOnlyWhereListed(t *testing.T) {
	p, _ := engine(t).Propose(context.Background(), Query{MatterCode: "SC-FOOD-001",
		Facts: facts("first_violation", "harm_slight", "corrected_in_time")})
	if p.Level == LevelNone {
		t.Errorf("a first sale of expired food was not penalised: %+v", p)
	}
	p, _ = engine(t).Propose(context.Background(), Query{MatterCode: "SC-FOOD-001",
		Facts: facts("violation_minor", "corrected_in_time", "no_harm")})
	if p.Level != LevelNone || p.Trace[0].Rule != "statutory_no_penalty" || !p.Trace[0].Held {
		t.Errorf("statutory no-penalty did not hold: %+v", p)
	}
}

// With only a maximum (10,000 yuan): 一般 is 40–60% of it, 从轻 up to 20%,
// 从重 above 60%; a 第三十二条 circumstance makes it 从轻; a repeat within a
// year 从重; both together 一般.
func TestBenchmarkRangesWithOnlyAMaximum(t *testing.T) {
	e := engine(t)
	for _, c := range []struct {
		facts    []string
		level    Level
		min, max int64
	}{
		{nil, LevelNormal, 400000, 600000},
		{[]string{"confessed"}, LevelLighter, 0, 200000},
		{[]string{"repeat_within_year"}, LevelHeavier, 600000, 1000000},
		{[]string{"confessed", "repeat_within_year"}, LevelNormal, 400000, 600000},
	} {
		p, err := e.Propose(context.Background(), Query{MatterCode: "SCJG-NB-01", Facts: facts(c.facts...)})
		if err != nil {
			t.Fatal(err)
		}
		if p.Level != c.level || p.FineMin != c.min || p.FineMax != c.max {
			t.Errorf("%v: %s %d–%d fen, want %s %d–%d", c.facts, p.Level, p.FineMin, p.FineMax, c.level, c.min, c.max)
		}
	}
}

// With a minimum and a maximum (50,000–100,000 yuan): the levels are
// positions between them; 减轻 on the list goes below the minimum.
func TestBenchmarkWithAMinimum(t *testing.T) {
	e := engine(t)
	p, _ := e.Propose(context.Background(), Query{MatterCode: "SC-FOOD-001"})
	if p.Level != LevelNormal || p.FineMin != 6500000 || p.FineMax != 8500000 {
		t.Errorf("一般: %+v, want 65,000–85,000 yuan", p)
	}
	p, _ = e.Propose(context.Background(), Query{MatterCode: "SC-FOOD-001", Facts: facts("helped", "eliminated_harm")})
	if p.Level != LevelReduced || p.FineMax != 5000000 {
		t.Errorf("减轻: %+v, want below the 50,000 yuan minimum", p)
	}
}

// Unknown matters and facts are refused, not guessed.
func TestProposeRefusesUnknown(t *testing.T) {
	e := engine(t)
	if _, err := e.Propose(context.Background(), Query{MatterCode: "NOPE"}); !errors.Is(err, ErrUnknownMatter) {
		t.Errorf("unknown matter: %v", err)
	}
	if _, err := e.Propose(context.Background(), Query{MatterCode: "SCJG-NB-01", Facts: map[string]string{"frist_violation": "true"}}); !errors.Is(err, ErrUnknownFact) {
		t.Errorf("misspelt fact: %v", err)
	}
	if _, err := e.Propose(context.Background(), Query{MatterCode: "SCJG-NB-01", Facts: map[string]string{"confessed": "maybe"}}); !errors.Is(err, ErrUnknownFact) {
		t.Errorf("bad value: %v", err)
	}
}

// Lists name their bad nodes.
func TestValidateNamesBadNodes(t *testing.T) {
	bad := `{"version":"x","benchmark":{"basis":"b","max_only":{"reduced":[0,0],"lighter":[0,0.2],"normal":[0.6,0.4],"heavier":[0.6,1]},
	"range":{"reduced":[0,0],"lighter":[0,0.3],"normal":[0.3,0.7],"heavier":[0.7,1]}},
	"matters":[{"code":"A","name":"n","basis":"b","fine":{"max_yuan":0},"no_penalty":[{"text":"t","basis":"b","requires":["firstviolation"]}],"reduced":[],"lighter":[]}],
	"circumstances":{"lighter":[],"heavier":[]},"statutory_no_penalty":{"text":"t","basis":"b","requires":["no_harm"]},"education":{"text":"t","basis":"b"}}`
	_, err := ParseLists([]byte(bad))
	if err == nil {
		t.Fatal("bad lists accepted")
	}
	for _, want := range []string{"benchmark.max_only.normal", "matters[0].fine", `matters[0].no_penalty[0].requires: unknown fact "firstviolation"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// A city's lists may name the departments that enforce a matter; a query
// from another department is refused with a typed error, and every
// proposal records the version of the lists it was made from.
func TestDepartmentAndVersion(t *testing.T) {
	l, err := DefaultLists()
	if err != nil {
		t.Fatal(err)
	}
	l.Version = "yunlan-2026-2"
	for i := range l.Matters {
		if l.Matters[i].Code == "SCJG-NB-01" {
			l.Matters[i].Departments = []string{"LJ-SCJG"}
		}
	}
	e, err := NewEngine(l)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.Propose(ctx, Query{DepartmentCode: "LJ-CGJ", MatterCode: "SCJG-NB-01"}); !errors.Is(err, ErrUnknownDepartment) {
		t.Errorf("other department: %v, want ErrUnknownDepartment", err)
	}
	p, err := e.Propose(ctx, Query{DepartmentCode: "LJ-SCJG", MatterCode: "SCJG-NB-01"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "yunlan-2026-2" {
		t.Errorf("version %q, want yunlan-2026-2", p.Version)
	}
	d, _ := engine(t).Propose(ctx, Query{MatterCode: "SCJG-NB-01"})
	if d.Version != "national-2026-1" {
		t.Errorf("default version %q", d.Version)
	}
}

// 第三十二条第（二）项 on the 减轻处罚清单: coerced and corrected → 减轻, and
// the trace shows the entry that held with its basis.
func TestCoercedIsReduced(t *testing.T) {
	p, err := engine(t).Propose(context.Background(), Query{MatterCode: "SCJG-JY-01", Facts: facts("coerced", "corrected_in_time")})
	if err != nil {
		t.Fatal(err)
	}
	if p.Level != LevelReduced || p.Education {
		t.Fatalf("coerced: %+v, want 减轻 without education", p)
	}
	found := false
	for _, s := range p.Trace {
		if s.Rule == "jy-coerced" && s.Held && strings.Contains(s.Basis, "第三十二条") {
			found = true
		}
	}
	if !found {
		t.Errorf("trace lacks the held 减轻 entry: %+v", p.Trace)
	}
}
