package fairscreen

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
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

// TestSpansInRunes: spans count runes within the clause, in non-ASCII text.
func TestSpansInRunes(t *testing.T) {
	s := defaultScreener(t)
	cs, err := s.Screen(context.Background(), "第五条　申请奖励的企业应当符合下列条件：\n（一）在本区依法纳税；\n（二）近三年无重大违法记录。")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range cs {
		for _, f := range c.Findings {
			r := []rune(c.Text)
			got := string(r[f.Span[0]:f.Span[1]])
			if f.Category == CategoryCost && got == "本区依法纳税" {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("no cost finding spanning 本区依法纳税: %+v", cs)
	}
}

// TestCategories: each category flagged on a typical clause, and lawful
// look-alikes pass.
func TestCategories(t *testing.T) {
	s := defaultScreener(t)
	for text, want := range map[string]string{
		"全市共享单车由市公交集团独家运营。":          CategoryEntry,
		"投标人须在本市设有分支机构或者售后服务网点。":     CategoryFlow,
		"对新落户本区的企业给予一次性奖励100万元。":     CategoryCost,
		"本区各物业服务企业的物业费每平方米每月不得高于2元。": CategoryBehavior,
	} {
		got := false
		for _, f := range s.ScreenClause(text, "") {
			got = got || f.Category == want
		}
		if !got {
			t.Errorf("%s: not flagged %s", text, want)
		}
	}
	for _, text := range []string{
		"食品生产经营者应当依法取得食品生产许可。",
		"对年营业收入达到2000万元以上的企业，给予一次性奖励20万元。",
		"不得以在本地纳税作为享受奖励的条件。",
		"投标人业绩不限地域，全国范围内完成的同类项目均予认可。",
	} {
		if fs := s.ScreenClause(text, ""); len(fs) != 0 {
			t.Errorf("lawful %s flagged: %+v", text, fs)
		}
	}
}

// TestHeldOutFloor keeps the figures on both labelled sets from falling
// below what docs/PERFORMANCE.md records.
func TestHeldOutFloor(t *testing.T) {
	s := defaultScreener(t)
	for _, name := range []string{"dev", "heldout"} {
		b, err := LabelledSet(name)
		if err != nil {
			t.Fatal(err)
		}
		set, err := ReadLabelled(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rep := s.Evaluate(set)
		if rep.Total.Recall() < 0.8 || rep.Total.Precision() < 0.85 {
			t.Errorf("%s: precision %.2f recall %.2f", name, rep.Total.Precision(), rep.Total.Recall())
		}
	}
}

func BenchmarkScreen50Pages(b *testing.B) {
	s := defaultScreener(b)
	text := fiftyPages()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := s.Screen(context.Background(), text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineSplit is splitting alone over the same text.
func BenchmarkBaselineSplit(b *testing.B) {
	text := fiftyPages()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = Split(text)
	}
}

// BenchmarkBaselineIndex is strings.Index of every first trigger word of
// the library over the whole text, without clauses, context or exceptions.
func BenchmarkBaselineIndex(b *testing.B) {
	s := defaultScreener(b)
	text := fiftyPages()
	var words []string
	for _, r := range s.rules {
		for _, alt := range r.triggers {
			words = append(words, alt[0])
		}
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		n := 0
		for _, w := range words {
			if strings.Contains(text, w) {
				n++
			}
		}
		_ = n
	}
}

// fiftyPages builds a draft of about 40,000 characters from the labelled
// clauses, numbered as articles.
func fiftyPages() string {
	var clauses []string
	for _, name := range []string{"dev", "heldout"} {
		b, _ := LabelledSet(name)
		set, _ := ReadLabelled(bytes.NewReader(b))
		for _, l := range set {
			clauses = append(clauses, l.Text)
		}
	}
	var sb strings.Builder
	for i := 0; utf8.RuneCountInString(sb.String()) < 40000; i++ {
		fmt.Fprintf(&sb, "第%d条　%s\n", i+1, clauses[i%len(clauses)])
	}
	return sb.String()
}
