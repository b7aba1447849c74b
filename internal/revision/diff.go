package revision

import (
	"cmp"
	"slices"
)

// Row is one row of a set as a preview shows it: its key (a date, a
// category code, a material's name) and its content as text.
type Row struct {
	Key   string
	Value string
}

// Op is what a replacement does to one row.
type Op string

// The operations of a diff.
const (
	Added   Op = "added"
	Removed Op = "removed"
	Changed Op = "changed"
)

// Change is one row a replacement adds, removes or changes.
type Change struct {
	Op  Op     `json:"op" enum:"added,removed,changed"`
	Key string `json:"key"`
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
}

// Diff lists the rows that differ between old and next, by key. Rows are
// matched by key, so a reordering alone is no change; a key listed twice
// keeps its last row.
func Diff(old, next []Row) []Change {
	was := make(map[string]string, len(old))
	for _, r := range old {
		was[r.Key] = r.Value
	}
	is := make(map[string]string, len(next))
	for _, r := range next {
		is[r.Key] = r.Value
	}
	var out []Change
	for k, v := range was {
		n, ok := is[k]
		switch {
		case !ok:
			out = append(out, Change{Op: Removed, Key: k, Old: v})
		case n != v:
			out = append(out, Change{Op: Changed, Key: k, Old: v, New: n})
		}
	}
	for k, v := range is {
		if _, ok := was[k]; !ok {
			out = append(out, Change{Op: Added, Key: k, New: v})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// Counts tallies a diff.
type Counts struct{ Added, Removed, Changed int }

// Count tallies changes by operation.
func Count(changes []Change) Counts {
	var c Counts
	for _, ch := range changes {
		switch ch.Op {
		case Added:
			c.Added++
		case Removed:
			c.Removed++
		case Changed:
			c.Changed++
		}
	}
	return c
}
