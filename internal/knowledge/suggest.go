package knowledge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
)

// SuggestLimit is how many answers Suggest offers: what an operator can
// glance over while the caller is still talking.
const SuggestLimit = 5

// maxSuggestTerms bounds the words of a caller's text Suggest looks up.
// A work order's title comes first in the text the hotline passes, so the
// first words are the ones that name the matter.
const maxSuggestTerms = 24

// perTermHits is how many documents the OR ranking reads per word. A word
// so common that more documents hold it has a small weight (BM25's idf),
// so the documents past this many would add little to any score.
const perTermHits = 50

// filler are the character pairs of conversational Chinese that carry no
// topic (请问, 我想问一下, 怎么, 什么…). They are dropped from a caller's
// sentence before ranking: they would otherwise cost a lookup each and
// slightly favour chatty answers. Pairs that name a matter stay, however
// common (办理, 材料), and BM25 weighs those by rarity anyway.
var filler = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`你好 您好 请问 我想 想问 问一 一下 问下 我要 我们 我的 你们 他们 这个 那个 一个
		怎么 怎样 么办 什么 为什 如何 是否 可以 能不 不能 需要 要什 么样 哪些 哪里 多少 多久 有没 没有 还是 还有
		就是 的话 是不 不是 因为 所以 现在 已经 知道 咨询 一些 这样 那么 谢谢 麻烦 帮我 了解 下个`) {
		filler[w] = true
	}
}

// suggestTerms returns the distinct search terms of a caller's text, filler
// dropped (unless nothing else is left), at most maxSuggestTerms.
func suggestTerms(text string) []string {
	all := search.Tokens(text)
	seen := map[string]bool{}
	var out, fill []string
	for _, t := range all {
		if seen[t] {
			continue
		}
		seen[t] = true
		if filler[t] {
			fill = append(fill, t)
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		out = fill
	}
	if len(out) > maxSuggestTerms {
		out = out[:maxSuggestTerms]
	}
	return out
}

// Ranked is one article found for a text, with its relevance.
type Ranked struct {
	ID    int64
	Score float64
	// Complete says the article holds every word looked up.
	Complete bool
}

// Rank finds the published, currently valid articles best answering text,
// at most limit of them, best first. It works for a few typed words as
// well as a caller's whole rambling sentence:
//
//  1. The text becomes search terms (character pairs for Chinese, whole
//     ASCII words), with conversational filler dropped.
//  2. All terms at once (the index's AND search, ranked by BM25). For a few
//     typed words that is exact, and it is one query; when it fills limit,
//     Rank stops there.
//  3. Otherwise, typically for a long sentence no article contains word for
//     word, each term is looked up alone and the articles' per-term BM25
//     scores are summed: BM25 is a sum over terms, so this is the article's
//     BM25 score for the text as an OR query. The sum is then multiplied by
//     the share of terms the article holds (coordination, as in classic
//     Lucene), so an article holding 营业, 执照, 个体 and 材料 beats one holding
//     only the common 办理 many times.
//
// Articles found in step 2 keep their exact score with a share of one.
// Scores are comparable within one call only.
func (m *Module) Rank(ctx context.Context, text string, limit int) ([]Ranked, error) {
	return m.rank(ctx, text, limit, nil)
}

// acc accumulates one article's score over the terms of a text.
type acc struct {
	sum      float64
	matched  int
	complete bool // found holding every term: sum is exact
}

// lookupWorkers is how many per-term lookups run at once: enough to hide
// PostgreSQL's round trips, few enough to leave connections for others.
const lookupWorkers = 4

// rank is Rank within the articles that also satisfy narrow (may be nil),
// such as one category.
//
// The index is searched without Options.Within: a validity subquery makes
// SQLite probe the index once per (term, valid article) and costs more than
// the search itself. Archived articles are not in the index, so the few
// found that are out of their validity window (or outside narrow) are
// dropped afterwards with one query.
func (m *Module) rank(ctx context.Context, text string, limit int, narrow func(*bun.SelectQuery) *bun.SelectQuery) ([]Ranked, error) {
	terms := suggestTerms(text)
	if len(terms) == 0 || limit <= 0 {
		return nil, nil
	}
	db := m.d.DB
	found := map[int64]*acc{}
	hits, _, err := m.d.Search.Search(ctx, db, SearchKind, strings.Join(terms, " "), search.Options{Limit: perTermHits})
	if err != nil {
		return nil, fmt.Errorf("knowledge: rank: %w", err)
	}
	for _, h := range hits {
		found[h.DocID] = &acc{sum: h.Score, matched: len(terms), complete: true}
	}
	valid, err := m.keepValid(ctx, found, narrow)
	if err != nil {
		return nil, err
	}
	if valid < limit && len(terms) > 1 {
		perTerm := make([][]search.Hit, len(terms))
		errs := make([]error, len(terms))
		var wg sync.WaitGroup
		next := make(chan int)
		for range min(lookupWorkers, len(terms)) {
			wg.Go(func() {
				for i := range next {
					perTerm[i], _, errs[i] = m.d.Search.Search(ctx, db, SearchKind, terms[i], search.Options{Limit: perTermHits})
				}
			})
		}
		for i := range terms {
			next <- i
		}
		close(next)
		wg.Wait()
		for i := range terms {
			if errs[i] != nil && !errors.Is(errs[i], search.ErrEmptyQuery) {
				return nil, fmt.Errorf("knowledge: rank: %w", errs[i])
			}
			for _, h := range perTerm[i] {
				a := found[h.DocID]
				if a == nil {
					a = &acc{}
					found[h.DocID] = a
				}
				if !a.complete {
					a.sum += h.Score
					a.matched++
				}
			}
		}
		if _, err := m.keepValid(ctx, found, narrow); err != nil {
			return nil, err
		}
	}
	out := make([]Ranked, 0, len(found))
	for id, a := range found {
		out = append(out, Ranked{ID: id, Score: a.sum * float64(a.matched) / float64(len(terms)), Complete: a.complete})
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// keepValid removes from found the articles that are not published and
// valid now (or fail narrow), and returns how many are left.
func (m *Module) keepValid(ctx context.Context, found map[int64]*acc, narrow func(*bun.SelectQuery) *bun.SelectQuery) (int, error) {
	if len(found) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	q := m.validIDs(m.d.DB, m.d.Now()).Where("pa.id IN (?)", bun.In(ids))
	if narrow != nil {
		q = narrow(q)
	}
	var keep []int64
	if err := q.Scan(ctx, &keep); err != nil {
		return 0, fmt.Errorf("knowledge: rank: validity: %w", err)
	}
	ok := make(map[int64]bool, len(keep))
	for _, id := range keep {
		ok[id] = true
	}
	for id := range found {
		if !ok[id] {
			delete(found, id)
		}
	}
	return len(found), nil
}

// Suggest offers the answers that best fit what a caller said (see Rank),
// for the hotline's intake page: it implements hotline.Knowledge. Only
// published, currently valid articles are offered; Answer is the start of
// the answer and URL its public page.
func (m *Module) Suggest(ctx context.Context, text string) ([]hotline.KnowledgeHit, error) {
	ranked, err := m.Rank(ctx, text, SuggestLimit)
	if err != nil || len(ranked) == 0 {
		return []hotline.KnowledgeHit{}, err
	}
	vs, err := m.published(ctx, m.d.DB, ranked)
	if err != nil {
		return nil, err
	}
	score := make(map[int64]float64, len(ranked))
	for _, r := range ranked {
		score[r.ID] = r.Score
	}
	out := make([]hotline.KnowledgeHit, len(vs))
	for i, v := range vs {
		out[i] = hotline.KnowledgeHit{ID: v.ArticleID, Title: v.Title, Answer: Excerpt(v.Answer, 300),
			URL: "/faq/" + strconv.FormatInt(v.ArticleID, 10), Score: score[v.ArticleID]}
	}
	return out, nil
}

var _ hotline.Knowledge = (*Module)(nil)

// published returns the latest published versions of the ranked articles,
// in the same order.
func (m *Module) published(ctx context.Context, db store.IDB, ranked []Ranked) ([]*Version, error) {
	ids := make([]int64, len(ranked))
	for i, r := range ranked {
		ids[i] = r.ID
	}
	var rows []versionRow
	err := db.NewSelect().Model(&rows).
		Join("JOIN kb_articles AS a ON a.id = v.article_id AND a.version = v.version").
		Where("v.article_id IN (?)", bun.In(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("knowledge: read published: %w", err)
	}
	byID := map[int64]*Version{}
	for i := range rows {
		byID[rows[i].ArticleID] = rows[i].version()
	}
	out := make([]*Version, 0, len(ids))
	for _, id := range ids {
		if v, ok := byID[id]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}
