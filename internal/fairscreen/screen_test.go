package fairscreen

import (
	"context"
	"testing"
)

func defaultScreener(t testing.TB) *Screener {
	t.Helper()
	lib, err := DefaultLibrary()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(lib)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDefaultExamples runs every rule's must-flag and must-pass examples.
func TestDefaultExamples(t *testing.T) {
	s := defaultScreener(t)
	for _, f := range s.Check() {
		t.Error(f)
	}
}

func TestScreenShape(t *testing.T) {
	s := defaultScreener(t)
	cs, err := s.Screen(context.Background(), "第三条 申请奖励的企业须在本区依法纳税。\n第四条 本办法自发布之日起施行。")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("clauses = %d, want 2: %+v", len(cs), cs)
	}
	if len(cs[0].Findings) == 0 || cs[1].Findings == nil || len(cs[1].Findings) != 0 {
		t.Fatalf("findings = %+v", cs)
	}
}
