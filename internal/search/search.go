// Package search is the platform's Chinese full-text search. It works the
// same on SQLite and PostgreSQL because it does not rely on either engine's
// text search: neither segments Chinese, so the package tokenizes in Go (see
// Tokens) and keeps its own inverted index in two tables, search_terms and
// search_docs.
//
// A module indexes a record with Put in the transaction that changes it, so
// the index never disagrees with committed data, and finds records with
// Search (one ranked page and the total) or SearchIDs (every match, for
// intersecting with the module's own SQL). Documents of different modules are
// kept apart by a kind such as "kb.article" or "hotline.ticket"; a document id
// is the module's own primary key.
package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// ErrEmptyQuery is returned by Search and SearchIDs for a query holding no
// searchable characters (empty, or only punctuation). HTTP handlers map it to
// 400, or simply show the unfiltered list.
var ErrEmptyQuery = errors.New("search: query has no searchable words (请输入检索词)")

// ErrInvalid is returned (wrapped) for a missing kind or a non-positive
// document id: a programming error in the calling module.
var ErrInvalid = errors.New("search: invalid kind or document id")

// MaxIDs is the most ids SearchIDs returns: the best-ranked ones. A module
// filtering further in SQL works on at most this many candidates.
const MaxIDs = 10000

// MaxLimit caps Options.Limit.
const MaxLimit = 1000

// Field is one searchable part of a document. Weight says how much a term
// found in it counts (a title might weigh 5, a body 1); zero means 1.
type Field struct {
	Text   string
	Weight int
}

// Options select one page of results.
type Options struct {
	Limit  int // 20 when zero, at most MaxLimit
	Offset int
	// Within, when set, is a subquery selecting one column of document ids,
	// such as db.NewSelect().Table("kb_articles").Column("id").Where("published");
	// only documents it selects match, and the total counts only those. This
	// keeps paging and totals right when a module filters by status, region
	// or department.
	Within schema.QueryAppender
}

// Hit is one matching document.
type Hit struct {
	DocID int64
	Score float64
}

// Index reads and writes the inverted index. The zero value is ready to use
// with the usual BM25 parameters. Index holds no connection: every method
// runs on the database or transaction it is given. It keeps each kind's
// collection statistics for a while, so one Index should be shared (it is
// safe for concurrent use) and must not be copied.
type Index struct {
	// K1 is how quickly repeats of a term stop adding to the score (1.2 when
	// zero); B is how much a long document is penalised (0.75 when zero;
	// negative means 0, no length normalisation).
	K1, B float64
	// StatsTTL is how long a kind's document count and average length are
	// reused for ranking (a minute when zero).
	StatsTTL time.Duration
	Now      func() time.Time // time.Now when nil

	mu    sync.Mutex
	cache map[string]kindStats
}

// Put replaces the indexed text of document docID of kind by fields, in tx,
// the caller's transaction: if that transaction rolls back, the index is as
// it was. A document whose fields hold no searchable text is removed from
// the index.
func (ix *Index) Put(ctx context.Context, tx store.IDB, kind string, docID int64, fields ...Field) error {
	if err := valid(kind, docID); err != nil {
		return err
	}
	if err := ix.Delete(ctx, tx, kind, docID); err != nil {
		return err
	}
	tf := map[string]int{}
	var order []string // first-seen order keeps the inserted rows deterministic
	dlen := 0
	for _, f := range fields {
		w := f.Weight
		if w <= 0 {
			w = 1
		}
		for _, t := range Tokens(f.Text) {
			if _, ok := tf[t]; !ok {
				order = append(order, t)
			}
			tf[t] += w
			dlen += w
		}
	}
	if len(order) == 0 {
		return nil
	}
	if _, err := tx.NewRaw("INSERT INTO search_docs (kind, doc_id, dlen) VALUES (?, ?, ?)",
		kind, docID, dlen).Exec(ctx); err != nil {
		return fmt.Errorf("search: put %s %d: %w", kind, docID, err)
	}
	const batch = 500
	var sb strings.Builder
	args := make([]any, 0, 5*batch)
	for start := 0; start < len(order); start += batch {
		end := min(start+batch, len(order))
		sb.Reset()
		args = args[:0]
		sb.WriteString("INSERT INTO search_terms (kind, term, doc_id, tf, dlen) VALUES ")
		for i, t := range order[start:end] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, kind, t, docID, tf[t], dlen)
		}
		if _, err := tx.NewRaw(sb.String(), args...).Exec(ctx); err != nil {
			return fmt.Errorf("search: put %s %d: %w", kind, docID, err)
		}
	}
	return nil
}

// Delete removes document docID of kind from the index, in tx. Deleting a
// document that is not indexed is not an error.
func (ix *Index) Delete(ctx context.Context, tx store.IDB, kind string, docID int64) error {
	if err := valid(kind, docID); err != nil {
		return err
	}
	if _, err := tx.NewRaw("DELETE FROM search_terms WHERE kind = ? AND doc_id = ?", kind, docID).Exec(ctx); err != nil {
		return fmt.Errorf("search: delete %s %d: %w", kind, docID, err)
	}
	if _, err := tx.NewRaw("DELETE FROM search_docs WHERE kind = ? AND doc_id = ?", kind, docID).Exec(ctx); err != nil {
		return fmt.Errorf("search: delete %s %d: %w", kind, docID, err)
	}
	return nil
}

// Search returns one page of the documents of kind that contain every term
// of q (see QueryTokens), best first, and how many match in all. Documents
// are ranked by BM25 over the weighted term frequencies, so a term in a heavy
// field (a title) and a rare term count for more; equal scores list the
// newest id first. A query without searchable text is ErrEmptyQuery.
//
// The work grows with the number of documents holding the query's terms: a
// query made only of very common terms reads all their postings.
func (ix *Index) Search(ctx context.Context, db store.IDB, kind string, q string, opt Options) ([]Hit, int, error) {
	limit := opt.Limit
	switch {
	case limit <= 0:
		limit = 20
	case limit > MaxLimit:
		limit = MaxLimit
	}
	return ix.search(ctx, db, kind, q, limit, max(opt.Offset, 0), opt.Within)
}

// SearchIDs returns the ids of the documents of kind containing every token
// of q, best first, at most MaxIDs of them. A module intersects them with its
// own query (WHERE id IN (?) with bun.In) when Options.Within does not fit.
func (ix *Index) SearchIDs(ctx context.Context, db store.IDB, kind string, q string) ([]int64, error) {
	hits, _, err := ix.search(ctx, db, kind, q, MaxIDs, 0, nil)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.DocID
	}
	return ids, nil
}

// posting is one document holding a term.
type posting struct {
	doc      int64
	tf, dlen int
}

func (ix *Index) search(ctx context.Context, db store.IDB, kind, q string, limit, offset int,
	within schema.QueryAppender) ([]Hit, int, error) {
	if kind == "" {
		return nil, 0, fmt.Errorf("%w: empty kind", ErrInvalid)
	}
	terms := QueryTokens(q)
	if len(terms) == 0 {
		return nil, 0, ErrEmptyQuery
	}
	fail := func(err error) ([]Hit, int, error) {
		return nil, 0, fmt.Errorf("search: %s %q: %w", kind, q, err)
	}

	// Count each term's documents (an index-only count, several times
	// cheaper than reading the postings). The counts give BM25 its idf and
	// the order of work: the rarest term's postings are read in full, and a
	// much more common term is then looked up only for the documents still
	// in the running, one index seek each, instead of reading every posting.
	// The intersection and ranking are done here rather than in SQL, where
	// both engines would group and sort every posting of every term. A term
	// no document holds means no document holds them all.
	type term struct {
		text string
		df   int
		list []posting
	}
	ts := make([]term, len(terms))
	for i, t := range terms {
		ts[i].text = t
		if err := db.NewRaw("SELECT COUNT(*) FROM search_terms WHERE kind = ? AND term = ?", kind, t).
			Scan(ctx, &ts[i].df); err != nil {
			return fail(err)
		}
		if ts[i].df == 0 {
			return nil, 0, nil
		}
	}
	slices.SortStableFunc(ts, func(a, b term) int { return a.df - b.df })
	var cand []int64 // documents holding every term read so far, ascending
	for i := range ts {
		query := "SELECT doc_id, tf, dlen FROM search_terms WHERE kind = ? AND term = ?"
		args := []any{kind, ts[i].text}
		switch {
		case i > 0 && ts[i].df > seekRatio*len(cand):
			query += " AND doc_id IN (?)"
			args = append(args, bun.In(cand))
		case i == 0 && within != nil:
			query += " AND doc_id IN (?)"
			args = append(args, within)
		}
		list, err := readPostings(ctx, db, db.NewRaw(query+" ORDER BY doc_id", args...).String())
		if err != nil {
			return fail(err)
		}
		if i > 0 {
			list = intersect(list, cand)
		}
		if len(list) == 0 {
			return nil, 0, nil
		}
		ts[i].list = list
		cand = cand[:0]
		for _, p := range list {
			cand = append(cand, p.doc)
		}
	}
	st, err := ix.stats(ctx, db, kind)
	if err != nil {
		return fail(err)
	}

	k1, b := ix.K1, ix.B
	if k1 <= 0 {
		k1 = 1.2
	}
	if b == 0 {
		b = 0.75
	} else if b < 0 {
		b = 0
	}
	n := st.docs
	for _, t := range ts {
		n = max(n, int64(t.df)) // statistics a moment old must not go negative
	}
	avg := st.avgLen
	if avg <= 0 {
		avg = 1
	}
	// score = Σ idf(t)·(k1+1)·tf / (tf + k1·(1−b+b·dlen/avg)). Every list
	// now holds exactly the documents in cand, in the same order.
	hits := make([]Hit, len(cand))
	for i, doc := range cand {
		hits[i].DocID = doc
	}
	for _, t := range ts {
		idf := math.Log(1 + (float64(n)-float64(t.df)+0.5)/(float64(t.df)+0.5))
		for i, p := range intersect(t.list, cand) {
			tf := float64(p.tf)
			hits[i].Score += idf * (k1 + 1) * tf / (tf + k1*(1-b+b*float64(p.dlen)/avg))
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(b.DocID, a.DocID)
	})
	total := len(hits)
	if offset >= total {
		return nil, total, nil
	}
	return slices.Clip(hits[offset:min(offset+limit, total)]), total, nil
}

// seekRatio is how many times more documents a term must hold than the
// candidates left before looking the candidates up beats reading all its
// postings: an index seek costs a few times a posting read.
const seekRatio = 4

// intersect returns the postings of list whose documents are in docs; both
// are in ascending document order.
func intersect(list []posting, docs []int64) []posting {
	out, j := list[:0], 0
	for _, p := range list {
		for j < len(docs) && docs[j] < p.doc {
			j++
		}
		if j == len(docs) {
			break
		}
		if docs[j] == p.doc {
			out = append(out, p)
		}
	}
	return out
}

func readPostings(ctx context.Context, db store.IDB, query string) ([]posting, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []posting
	for rows.Next() {
		var p posting
		if err := rows.Scan(&p.doc, &p.tf, &p.dlen); err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

// kindStats are the collection statistics BM25 needs.
type kindStats struct {
	docs   int64
	avgLen float64
	at     time.Time
}

// stats returns the document count and average length of kind, read at most
// once per StatsTTL: counting means reading every document row of the kind,
// and ranking does not need it to the minute. Matching never depends on it.
func (ix *Index) stats(ctx context.Context, db store.IDB, kind string) (kindStats, error) {
	now := time.Now
	if ix.Now != nil {
		now = ix.Now
	}
	ttl := ix.StatsTTL
	if ttl == 0 {
		ttl = time.Minute
	}
	t := now()
	ix.mu.Lock()
	st, ok := ix.cache[kind]
	ix.mu.Unlock()
	if ok && t.Sub(st.at) < ttl && t.Sub(st.at) >= 0 {
		return st, nil
	}
	var total int64
	if err := db.NewRaw("SELECT COUNT(*), COALESCE(SUM(dlen), 0) FROM search_docs WHERE kind = ?", kind).
		Scan(ctx, &st.docs, &total); err != nil {
		return kindStats{}, err
	}
	if st.docs > 0 {
		st.avgLen = float64(total) / float64(st.docs)
	}
	st.at = t
	ix.mu.Lock()
	if ix.cache == nil {
		ix.cache = map[string]kindStats{}
	}
	ix.cache[kind] = st
	ix.mu.Unlock()
	return st, nil
}

func valid(kind string, docID int64) error {
	if kind == "" || docID <= 0 {
		return fmt.Errorf("%w: kind %q, id %d", ErrInvalid, kind, docID)
	}
	return nil
}
