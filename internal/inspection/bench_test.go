package inspection

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

// benchPool is n businesses with codes in order and the class mix of a
// city's register (A 50%, B 35%, C 12%, D 3%).
func benchPool(n int) []PoolEntry {
	pool := make([]PoolEntry, n)
	for i := range pool {
		c := "A"
		switch r := i % 100; {
		case r >= 97:
			c = "D"
		case r >= 85:
			c = "C"
		case r >= 50:
			c = "B"
		}
		pool[i] = PoolEntry{Code: fmt.Sprintf("9199%014d", i), Class: c}
	}
	return pool
}

const benchSize = 3_000_000

// BenchmarkDraw is a whole draw over 3,000,000 businesses at the national
// default ratios with 0, 10 and 40 inspectors: pool hash, seed, every score,
// selection per stratum and two inspectors per business drawn.
func BenchmarkDraw(b *testing.B) {
	for _, n := range []int{0, 10, 40} {
		b.Run(fmt.Sprintf("inspectors=%d", n), func(b *testing.B) { benchDraw(b, n) })
	}
}

func benchDraw(b *testing.B, inspectors int) {
	pool := benchPool(benchSize)
	var ins []PoolInspector
	for i := range inspectors {
		ins = append(ins, PoolInspector{Code: fmt.Sprintf("LJ%04d", i), Department: "LJ-SCJG"})
	}
	b.ResetTimer()
	for b.Loop() {
		d := &Draw{TaskID: "T-2026-001", Department: "LJ-SCJG", Pool: pool, InspectorPool: ins,
			Ratios:       map[string]float64{"A": 0.05, "B": 0.2, "C": 0.6, "D": 1.0},
			Participants: []Participant{{Name: "a", Secret: "s1", Commitment: Commitment("s1")}, {Name: "b", Secret: "s2", Commitment: Commitment("s2")}}}
		if err := Compute(d); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(d.Selected)), "selected")
	}
}

// BenchmarkHashCodes is the baseline: SHA-256 of each of the same codes
// alone, on one core.
func BenchmarkHashCodes(b *testing.B) {
	pool := benchPool(benchSize)
	b.ResetTimer()
	for b.Loop() {
		var x byte
		for _, p := range pool {
			s := sha256.Sum256([]byte(p.Code))
			x ^= s[0]
		}
		_ = x
	}
}
