package hotline

import (
	"sort"
	"sync"
	"unicode"
)

// Text similarity for duplicate offers and dispatch suggestions works on
// character bigrams: Chinese has no spaces to split words on, and two
// adjacent characters already carry most of a word's meaning ("占道", "道经",
// "经营"). Punctuation and spaces are dropped; Latin letters are folded to
// lower case.

// bigrams returns the distinct character bigrams of s, sorted.
func bigrams(s string) []uint64 {
	var prev rune = -1
	set := make(map[uint64]struct{}, len(s)/2)
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			prev = -1
			continue
		}
		r = unicode.ToLower(r)
		if prev >= 0 {
			set[uint64(prev)<<32|uint64(r)] = struct{}{}
		}
		prev = r
	}
	out := make([]uint64, 0, len(set))
	for g := range set {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// gramCacheMax bounds the texts a gramCache keeps (a few MiB at most).
const gramCacheMax = 4096

// gramCache remembers the bigrams of texts by the text itself. The
// duplicate check compares each new order with up to 70 recent orders of
// the same caller or place; in a burst of reports about one place they are
// the same orders each time, and splitting their text into bigrams again
// and again was most of the check's cost. Keyed by the text, an entry can
// never be stale; when full, the cache starts afresh.
type gramCache struct {
	mu sync.Mutex
	m  map[string][]uint64
}

// get returns the bigrams of s, from the cache when it holds them. The
// slice returned is shared: callers must not change it.
func (c *gramCache) get(s string) []uint64 {
	c.mu.Lock()
	g, ok := c.m[s]
	c.mu.Unlock()
	if ok {
		return g
	}
	g = bigrams(s)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= gramCacheMax {
		c.m = make(map[string][]uint64, gramCacheMax)
	}
	c.m[s] = g
	c.mu.Unlock()
	return g
}

// overlap counts the bigrams two sorted sets share.
func overlap(a, b []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// jaccard returns |a∩b| / |a∪b| of two sorted bigram sets (0 when both are
// empty).
func jaccard(a, b []uint64) float64 {
	inter := overlap(a, b)
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// Similarity returns the bigram Jaccard similarity of two texts, from 0
// (nothing shared) to 1 (the same bigrams).
func Similarity(a, b string) float64 { return jaccard(bigrams(a), bigrams(b)) }

// simDoc is one past order in the similarity index.
type simDoc struct {
	id     int64
	number string
	dept   int64
	grams  []uint64
}

// simIndex is an inverted index from bigram to past orders, for finding
// the past orders most like a new one without comparing it with each.
type simIndex struct {
	docs []simDoc
	post map[uint64][]int32
}

func newSimIndex(docs []simDoc) *simIndex {
	ix := &simIndex{docs: docs, post: map[uint64][]int32{}}
	for i, d := range docs {
		for _, g := range d.grams {
			ix.post[g] = append(ix.post[g], int32(i))
		}
	}
	return ix
}

// simHit is a past order like the query, and how alike.
type simHit struct {
	doc   *simDoc
	score float64
}

// nearest returns the k past orders most like grams by Jaccard similarity,
// best first, leaving out those scoring below min.
func (ix *simIndex) nearest(grams []uint64, k int, min float64) []simHit {
	if ix == nil || len(grams) == 0 {
		return nil
	}
	counts := map[int32]int{}
	for _, g := range grams {
		for _, d := range ix.post[g] {
			counts[d]++
		}
	}
	hits := make([]simHit, 0, len(counts))
	for d, inter := range counts {
		doc := &ix.docs[d]
		s := float64(inter) / float64(len(grams)+len(doc.grams)-inter)
		if s >= min {
			hits = append(hits, simHit{doc: doc, score: s})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].doc.id > hits[j].doc.id
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// deptVote is a department's share of the nearest past orders.
type deptVote struct {
	dept  int64
	score float64
	best  simHit // the most similar past order it handled
	n     int
}

// vote groups the nearest past orders by their final department, summing
// their similarity, best department first.
func vote(hits []simHit) []deptVote {
	by := map[int64]*deptVote{}
	var order []int64
	for _, h := range hits {
		v, ok := by[h.doc.dept]
		if !ok {
			v = &deptVote{dept: h.doc.dept, best: h}
			by[h.doc.dept] = v
			order = append(order, h.doc.dept)
		}
		v.score += h.score
		v.n++
	}
	out := make([]deptVote, 0, len(order))
	for _, d := range order {
		out = append(out, *by[d])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}
