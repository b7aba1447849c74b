package monitoring

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/visit"
)

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func rules(t *testing.T) *RuleSet {
	t.Helper()
	rs, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

var devs = map[int64]Device{
	1: {1, "91150100MA0000001X", "fuel_tank"},
	2: {2, "91150100MA0000002X", "cold_chain"},
}

func TestThresholdBoundary(t *testing.T) {
	e := NewEngine(rules(t))
	for _, c := range []struct {
		v    float64
		fire bool
	}{{-15, false}, {-14.9, true}, {-25, false}, {-25.1, true}} {
		fs := e.Evaluate([]Reading{{2, t0, "temp_c", c.v}}, devs)
		if got := len(fs) == 1; got != c.fire {
			t.Errorf("temp %g: fired %v, want %v", c.v, got, c.fire)
		}
	}
}

func TestRateLeakBoundary(t *testing.T) {
	// 1 hour apart, 100 l dispensed; allowed excess 50 l/h.
	run := func(drop float64) int {
		e := NewEngine(rules(t))
		e.Evaluate([]Reading{{1, t0, "dispensed_l", 1000}, {1, t0.Add(time.Second), "volume_l", 20000}}, devs)
		return len(e.Evaluate([]Reading{
			{1, t0.Add(time.Hour), "dispensed_l", 1100},
			{1, t0.Add(time.Hour + time.Second), "volume_l", 20000 - drop},
		}, devs))
	}
	if n := run(150); n != 0 {
		t.Errorf("drop 150 with 100 dispensed: %d firings, want 0", n)
	}
	if n := run(151); n != 1 {
		t.Errorf("drop 151 with 100 dispensed: %d firings, want 1", n)
	}
}

func TestGapSweep(t *testing.T) {
	e := NewEngine(rules(t))
	e.Evaluate([]Reading{{2, t0, "temp_c", -18}}, devs)
	list := []Device{devs[2]}
	if fs := e.Sweep(t0.Add(60*time.Minute), list, nil); len(fs) != 0 {
		t.Errorf("at 60 min: %d firings, want 0", len(fs))
	}
	fs := e.Sweep(t0.Add(61*time.Minute), list, nil)
	if len(fs) != 1 || fs[0].RuleCode != "cold-chain-offline" {
		t.Errorf("at 61 min: %+v, want cold-chain-offline", fs)
	}
}

func TestDedupEscalationAndCheck(t *testing.T) {
	rs := rules(t)
	b := NewBook(rs)
	f := Firing{"cold-chain-temp", 2, devs[2].USCC, t0, "温度 -10"}
	var grades []Grade
	for i := 0; i < 5; i++ {
		for _, a := range b.Apply([]Firing{f}) {
			grades = append(grades, a.Grade)
		}
	}
	// escalate_after 2: open (remind), after 2 more → interview, after 2 more → check.
	want := []Grade{GradeRemind, GradeInterview, GradeCheck}
	if len(grades) != 3 || grades[0] != want[0] || grades[1] != want[1] || grades[2] != want[2] {
		t.Fatalf("grades %v, want %v", grades, want)
	}
	if n := len(b.Open()); n != 1 {
		t.Fatalf("open alerts %d, want 1 (dedup)", n)
	}
	var got []visit.Assignment
	r := Responder{RaiseCheck: func(_ context.Context, _ store.IDB, a visit.Assignment) error { got = append(got, a); return nil }}
	if err := r.Respond(context.Background(), nil, 7, Action{b.Open()[0], GradeCheck}, t0); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Source != visit.SourceMonitoring || got[0].Reason != "温度 -10" || got[0].DepartmentID != 7 {
		t.Fatalf("assignment %+v", got)
	}
	if err := b.Close(b.Open()[0].ID, "bad\x01"); err == nil {
		t.Error("close with control character accepted")
	}
	if err := b.Close(b.Open()[0].ID, "已整改"); err != nil {
		t.Fatal(err)
	}
	if acts := b.Apply([]Firing{f}); len(acts) != 1 || acts[0].Grade != GradeRemind {
		t.Errorf("after close: %+v, want a new remind alert", acts)
	}
}

func TestValidateBatch(t *testing.T) {
	last := func(int64, string) time.Time { return t0 }
	ok := Reading{1, t0, "volume_l", 1}
	for _, c := range []struct {
		r     Reading
		field string
	}{
		{Reading{9, t0, "volume_l", 1}, "items[1].device_id"},
		{Reading{1, t0.Add(-time.Second), "volume_l", 1}, "items[1].time"},
		{Reading{1, t0.Add(3 * time.Minute), "volume_l", 1}, "items[1].time"},
		{Reading{1, t0, "volume_l", math.NaN()}, "items[1].value"},
		{Reading{1, t0, "vol\x07", 1}, "items[1].metric"},
	} {
		err := ValidateBatch([]Reading{ok, c.r}, devs, last, t0)
		var fe *FieldError
		var fb *ForbiddenError
		if errors.As(err, &fb) && fb.Field == c.field {
			continue
		}
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v, want field %s", c.r, err, c.field)
		}
	}
	if err := ValidateBatch([]Reading{ok, ok}, devs, last, t0); err != nil {
		t.Errorf("repeat of last time refused: %v", err)
	}
	if err := ValidateBatch(make([]Reading, MaxBatch+1), devs, nil, t0); err == nil {
		t.Error("oversized batch accepted")
	}
}

func TestRulesValidation(t *testing.T) {
	for _, c := range []struct{ json, field string }{
		{`{"version":1,"scope":"150000","rules":[{"code":"x","name":"x","device_kind":"k","kind":"gap","gap_minutes":0,"grade":"remind"}]}`, "rules[0].gap_minutes"},
		{`{"version":1,"rules":[{"code":"x","name":"x","device_kind":"k","kind":"gap","gap_minutes":5,"grade":"remind"}]}`, "scope"},
		{`{"version":1,"scope":"150000","rules":[]}`, "rules"},
		{`{"version":1,"scope":"150000","ack_within_hours":{"warn":5},"rules":[{"code":"x","name":"x","device_kind":"k","kind":"gap","gap_minutes":5,"grade":"remind"}]}`, "ack_within_hours.warn"},
		{`{"version":1,"scope":"150000","rules":[{"code":"x","name":"x","device_kind":"k","kind":"threshold","metric":"m","min":5,"max":1,"grade":"remind"}]}`, "rules[0].min"},
		{`{"version":1,"scope":"150000","rules":[{"code":"x","name":"x","device_kind":"k","kind":"gap","gap_minutes":5,"grade":"alarm"}]}`, "rules[0].grade"},
	} {
		_, err := ParseRules([]byte(c.json))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want field %s", c.json, err, c.field)
		}
	}
	if _, err := ParseRules([]byte(`{"version":1,"scope":"x","rules":[]} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
	if _, err := ParseRules([]byte(`{"version":1,"rules":[],"extra":1}`)); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestDeviceToken(t *testing.T) {
	tok, h, err := NewDeviceToken()
	if err != nil {
		t.Fatal(err)
	}
	if !TokenMatches(tok, h) || TokenMatches(tok+"x", h) || strings.Contains(h, tok) {
		t.Error("token hash mismatch")
	}
}

func BenchmarkEvaluate(b *testing.B) {
	rs, _ := DefaultRules()
	e := NewEngine(rs)
	batch := make([]Reading, MaxBatch)
	for i := range batch {
		batch[i] = Reading{int64(i%2 + 1), t0.Add(time.Duration(i) * time.Second), []string{"volume_l", "temp_c"}[i%2], -18}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Evaluate(batch, devs)
	}
	b.ReportMetric(float64(b.N*MaxBatch)/b.Elapsed().Seconds(), "readings/s")
}

// A province's file shows, against the national default, which rules it
// changed, added or left out.
func TestRuleViewsAgainstNational(t *testing.T) {
	nat := rules(t)
	prov, err := ParseRules([]byte(`{"version":2,"scope":"150000","rules":[
		{"code":"tank-leak","name":"油罐液位下降快于付油量","device_kind":"fuel_tank","kind":"rate","metric":"volume_l","compare_metric":"dispensed_l","max_drop_per_hour":30,"grade":"interview","escalate_after":3},
		{"code":"cold-chain-temp","name":"冷链温度超出 -25℃~-15℃","device_kind":"cold_chain","kind":"threshold","metric":"temp_c","min":-25,"max":-15,"grade":"remind","escalate_after":2},
		{"code":"lng-pressure","name":"储罐压力过高","device_kind":"lng_tank","kind":"threshold","metric":"pressure_mpa","max":1.2,"grade":"check"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m := &Module{rules: prov, national: nat}
	got := map[string]string{}
	for _, v := range m.RuleViews() {
		got[v.Code] = v.Status
	}
	for code, want := range map[string]string{"tank-leak": "changed", "cold-chain-temp": "same", "lng-pressure": "added", "tank-offline": "removed"} {
		if got[code] != want {
			t.Errorf("%s: %q, want %q", code, got[code], want)
		}
	}
}
