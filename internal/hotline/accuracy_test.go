package hotline

import (
	"testing"
)

// TestSuggestionAccuracy measures the dispatch suggestion on the demo
// history: 80% of 1,000 generated orders build the similarity index, the
// other 20% are suggested for, and the first suggestion (top-1) or any of
// the three (top-3) is compared with the department that really handled
// the order. The directory is deliberately wrong for one category (lifts,
// which the demo's market regulators handle) and about 12% of orders end
// with another department than the usual, as happens.
func TestSuggestionAccuracy(t *testing.T) {
	all := demoHistory(1000, 20260930)
	cut := len(all) * 8 / 10
	train, test := all[:cut], all[cut:]
	ids := map[string]int64{}
	id := func(code string) int64 {
		if ids[code] == 0 {
			ids[code] = int64(len(ids) + 1)
		}
		return ids[code]
	}
	dir := map[dirKey]int64{}
	for _, e := range demoDirectory() {
		dir[dirKey{e.cat, e.region}] = id(e.dept)
	}
	docs := make([]simDoc, 0, len(train))
	for i, o := range train {
		docs = append(docs, simDoc{id: int64(i + 1), number: "demo", dept: id(o.dept), grams: bigrams(o.title + " " + o.content)})
	}
	ix := newSimIndex(docs)
	path := func(c string) string { return c }
	measure := func(name string, dir map[dirKey]int64) (top1, top3 float64) {
		var h1, h3 int
		for _, o := range test {
			s := suggest(dir, ix, o.cat, o.region, bigrams(o.title+" "+o.content), path)
			for k, x := range s {
				if x.DepartmentID == id(o.dept) {
					if k == 0 {
						h1++
					}
					h3++
					break
				}
			}
		}
		top1, top3 = float64(h1)/float64(len(test)), float64(h3)/float64(len(test))
		t.Logf("%s: top-1 %.1f%%, top-3 %.1f%% on %d held-out orders", name, 100*top1, 100*top3, len(test))
		return top1, top3
	}
	top1, top3 := measure("directory + history", dir)
	if top1 < 0.80 || top3 < 0.95 {
		t.Errorf("directory + history: top-1 %.2f (floor 0.80), top-3 %.2f (floor 0.95)", top1, top3)
	}
	h1, h3 := measure("history alone", map[dirKey]int64{})
	if h1 < 0.55 || h3 < 0.85 {
		t.Errorf("history alone: top-1 %.2f (floor 0.55), top-3 %.2f (floor 0.85)", h1, h3)
	}
}

func TestBigramSimilarity(t *testing.T) {
	cases := []struct {
		a, b     string
		min, max float64
	}{
		{"江滨路夜市占道经营", "江滨路夜市占道经营", 1, 1},
		{"江滨路夜市占道经营严重", "江滨路夜市占道经营，行人无法通行", 0.4, 0.9},
		{"路灯坏了", "餐馆油烟扰民", 0, 0},
		{"", "", 0, 0},
	}
	for _, c := range cases {
		if s := Similarity(c.a, c.b); s < c.min || s > c.max {
			t.Errorf("Similarity(%q, %q) = %.2f, want in [%.2f, %.2f]", c.a, c.b, s, c.min, c.max)
		}
	}
}
