package hotline

import "testing"

// Six departments at 100.0 share first place (not 1 to 6); the next is
// seventh; a difference below the one decimal shown is no difference.
func TestAssignRanksTies(t *testing.T) {
	var rows []Rates
	for range 6 {
		rows = append(rows, Rates{Score: 100, Scored: true})
	}
	rows = append(rows, Rates{Score: 95.04, Scored: true}, Rates{Score: 94.96, Scored: true}, Rates{Score: 90, Scored: true}, Rates{})
	assignRanks(rows)
	want := []int{1, 1, 1, 1, 1, 1, 7, 7, 9, 0}
	for i, r := range rows {
		if r.Rank != want[i] {
			t.Errorf("row %d (%.2f): rank %d, want %d", i, r.Score, r.Rank, want[i])
		}
		if tied := i < 8; r.Tied != tied {
			t.Errorf("row %d: tied %v", i, r.Tied)
		}
	}
}
