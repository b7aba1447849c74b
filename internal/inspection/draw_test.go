package inspection

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
)

func sampleDraw() *Draw {
	d := &Draw{TaskID: "T-2026-001", Department: "LJ-SCJG", Ratios: map[string]float64{"A": 0.05, "B": 0.2, "C": 0.6, "D": 1.0},
		Participants: []Participant{{Name: "临江区市场监管局", Secret: "alpha"}, {Name: "监督员", Secret: "beta"}}}
	for i := range 60 {
		d.Pool = append(d.Pool, PoolEntry{Code: fmt.Sprintf("91990102MA%07d", i), Class: Classes[i%4]})
	}
	for i := range d.Participants {
		d.Participants[i].Commitment = Commitment(d.Participants[i].Secret)
	}
	d.InspectorPool = []PoolInspector{{"I1", "LJ-SCJG"}, {"I2", "LJ-SCJG"}, {"I3", "LJ-SCJG"}, {"I4", "LJ-CGJ"}}
	return d
}

// TestDrawByHand recomputes a draw step by step with crypto/sha256 and
// crypto/hmac, independently of Compute.
func TestDrawByHand(t *testing.T) {
	d := sampleDraw()
	if err := Compute(d); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, p := range d.Pool {
		all.WriteString(p.Code + "\n")
	}
	ph := sha256.Sum256([]byte(all.String()))
	if want := hex.EncodeToString(ph[:]); d.PoolHash != want {
		t.Fatalf("pool_hash %s, want %s", d.PoolHash, want)
	}
	seed := sha256.Sum256([]byte(hex.EncodeToString(ph[:]) + "|alpha|beta"))
	if want := hex.EncodeToString(seed[:]); d.Seed != want {
		t.Fatalf("seed %s, want %s", d.Seed, want)
	}
	mac := func(msg string) string {
		h := hmac.New(sha256.New, seed[:])
		h.Write([]byte(msg))
		return hex.EncodeToString(h.Sum(nil))
	}
	want := map[string]bool{}
	for _, c := range Classes {
		type cs struct{ code, score string }
		var st []cs
		for _, p := range d.Pool {
			if p.Class == c {
				st = append(st, cs{p.Code, mac(d.TaskID + ":" + p.Code)})
			}
		}
		sort.Slice(st, func(i, j int) bool { return st[i].score < st[j].score })
		// 15 per class: A ceil(0.75)=1, B ceil(3)=3, C ceil(9)=9, D 15.
		k := map[string]int{"A": 1, "B": 3, "C": 9, "D": 15}[c]
		for _, x := range st[:k] {
			want[x.code+" "+x.score] = true
		}
	}
	if len(d.Selected) != len(want) {
		t.Fatalf("selected %d, want %d", len(d.Selected), len(want))
	}
	for _, s := range d.Selected {
		if !want[s.Code+" "+s.Score] {
			t.Errorf("%s %s should not be drawn", s.Code, s.Score)
		}
		type is struct{ code, score string }
		var ins []is
		for _, c := range []string{"I1", "I2", "I3"} { // I4 is of another department
			ins = append(ins, is{c, mac(d.TaskID + ":" + s.Code + ":" + c)})
		}
		sort.Slice(ins, func(i, j int) bool { return ins[i].score < ins[j].score })
		if len(s.Inspectors) != 2 || s.Inspectors[0] != ins[0].code || s.Inspectors[1] != ins[1].code {
			t.Errorf("%s: inspectors %v, want %s %s", s.Code, s.Inspectors, ins[0].code, ins[1].code)
		}
	}
	if err := Recompute(d); err != nil {
		t.Fatal(err)
	}
}

func TestCommitmentMismatchRefused(t *testing.T) {
	d := sampleDraw()
	d.Participants[1].Secret = "gamma"
	if err := Compute(d); err == nil || !strings.Contains(err.Error(), "commitment") {
		t.Fatalf("err = %v, want a commitment mismatch", err)
	}
	d = sampleDraw()
	d.Participants = d.Participants[:1]
	if err := Compute(d); err == nil {
		t.Fatal("a single participant was accepted")
	}
}

func TestQuotaCeil(t *testing.T) {
	for _, c := range []struct {
		r    float64
		n, k int
	}{{0.05, 1, 1}, {0.05, 20, 1}, {0.05, 21, 2}, {0.2, 10, 2}, {0.2, 11, 3}, {0.6, 5, 3}, {1, 7, 7}, {0, 9, 0}, {0.07, 100, 7}, {0.05, 0, 0}} {
		if got := Quota(c.r, c.n); got != c.k {
			t.Errorf("Quota(%v, %d) = %d, want %d", c.r, c.n, got, c.k)
		}
	}
	d := sampleDraw()
	d.Ratios = map[string]float64{"A": 0.01, "B": 0.5, "C": 0, "D": 0.34}
	if err := Compute(d); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, s := range d.Selected {
		n[s.Class]++
	}
	if n["A"] != 1 || n["B"] != 8 || n["C"] != 0 || n["D"] != 6 {
		t.Fatalf("per stratum %v, want A1 B8 C0 D6", n)
	}
	d.Ratios["C"] = 1.2
	if err := Compute(d); err == nil {
		t.Fatal("a ratio above 1 was accepted")
	}
}

func TestAvoidance(t *testing.T) {
	base := sampleDraw()
	if err := Compute(base); err != nil {
		t.Fatal(err)
	}
	s := base.Selected[0]
	first := s.Inspectors[0]
	t.Run("conflict", func(t *testing.T) {
		d := sampleDraw()
		d.Conflicts = []Conflict{{Inspector: first, Code: s.Code}}
		if err := Compute(d); err != nil {
			t.Fatal(err)
		}
		if got := d.Selected[0].Inspectors; contains(got, first) || len(got) != 2 {
			t.Fatalf("inspectors %v: %s has a declared conflict", got, first)
		}
	})
	t.Run("previous", func(t *testing.T) {
		d := sampleDraw()
		d.Previous = []Previous{{Code: s.Code, Inspectors: s.Inspectors}}
		if err := Compute(d); err != nil {
			t.Fatal(err)
		}
		got := d.Selected[0].Inspectors
		if contains(got, s.Inspectors[0]) || contains(got, s.Inspectors[1]) {
			t.Fatalf("inspectors %v: the previous inspectors %v again", got, s.Inspectors)
		}
		if len(got) != 1 { // only one of the three of the department is left
			t.Fatalf("inspectors %v, want the one left", got)
		}
	})
	t.Run("department", func(t *testing.T) {
		d := sampleDraw()
		if err := Compute(d); err != nil {
			t.Fatal(err)
		}
		for _, s := range d.Selected {
			if contains(s.Inspectors, "I4") {
				t.Fatalf("%s: an inspector of another department in a task that is not joint", s.Code)
			}
		}
		d = sampleDraw()
		d.JointRef = "JOINT-2026-01"
		if err := Compute(d); err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, s := range d.Selected {
			seen = seen || contains(s.Inspectors, "I4")
		}
		if !seen {
			t.Fatal("a joint task never drew the other department's inspector")
		}
	})
}

func TestRecomputeDetectsTampering(t *testing.T) {
	for name, tamper := range map[string]func(d *Draw){
		"pool":      func(d *Draw) { d.Pool[4].Class = "D" },
		"secret":    func(d *Draw) { d.Participants[0].Secret = "x"; d.Participants[0].Commitment = Commitment("x") },
		"score":     func(d *Draw) { d.Selected[0].Score = strings.Repeat("0", 64) },
		"selection": func(d *Draw) { d.Selected = d.Selected[1:] },
		"inspector": func(d *Draw) { d.Selected[0].Inspectors[0] = "I4" },
		"ratio":     func(d *Draw) { d.Ratios["A"] = 0.5 },
	} {
		d := sampleDraw()
		if err := Compute(d); err != nil {
			t.Fatal(err)
		}
		tamper(d)
		if err := Recompute(d); err == nil {
			t.Errorf("%s: tampering not detected", name)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
