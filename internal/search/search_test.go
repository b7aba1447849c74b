package search_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

const kind = "kb.article"

// put indexes one document with a title (weight 5) and a body (weight 1) in
// its own transaction.
func put(t *testing.T, db *store.DB, ix *search.Index, id int64, title, body string) {
	t.Helper()
	err := db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return ix.Put(ctx, tx, kind, id, search.Field{Text: title, Weight: 5}, search.Field{Text: body, Weight: 1})
	})
	if err != nil {
		t.Fatalf("put %d: %v", id, err)
	}
}

func ids(hits []search.Hit) []int64 {
	out := make([]int64, len(hits))
	for i, h := range hits {
		out[i] = h.DocID
	}
	return out
}

func TestSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ix := &search.Index{}
		put(t, db, ix, 1, "营业执照办理指南", "企业设立登记后领取营业执照。")
		put(t, db, ix, 2, "食品经营许可", "食品经营许可证的申请条件和材料。")
		put(t, db, ix, 3, "网站 ICP 备案", "互联网信息服务备案，由通信管理局办理。")
		put(t, db, ix, 4, "常见问题", "个体工商户也可以申请营业执照吗？可以。")
		// Another kind with the same words must not leak into kb.article.
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return ix.Put(ctx, tx, "hotline.ticket", 99, search.Field{Text: "营业执照 ICP 备案"})
		}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			q    string
			want []int64 // in rank order
		}{
			{"执照", []int64{1, 4}},  // title hit ranks above body hit
			{"营业执", []int64{1, 4}}, // bigrams 营业 + 业执
			{"营业执照办理", []int64{1}}, // 4 lacks 照办 and 办理
			{"ICP 备案", []int64{3}}, // mixed scripts, AND
			{"ＩＣＰ", []int64{3}},    // full-width folds to icp
			{"icp", []int64{3}},    // case-insensitive
			{"食品", []int64{2}},     // not 营业执照
			{"执照 食品", nil},         // AND: no document has both
			{"不存在的词", nil},         // unknown terms
			{"营业执照，备案！", nil},      // punctuation separates; still AND
		}
		for _, tt := range tests {
			hits, total, err := ix.Search(ctx, db, kind, tt.q, search.Options{})
			if err != nil {
				t.Fatalf("Search(%q): %v", tt.q, err)
			}
			if got := ids(hits); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %v, want %v", tt.q, got, tt.want)
			}
			if total != len(tt.want) {
				t.Errorf("Search(%q) total = %d, want %d", tt.q, total, len(tt.want))
			}
		}
		hits, _, err := ix.Search(ctx, db, kind, "执照", search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 2 && !(hits[0].Score > hits[1].Score && hits[1].Score > 0) {
			t.Errorf("scores %v: want title hit strictly above a positive body hit", hits)
		}

		for _, q := range []string{"", "  ", "，。！？"} {
			if _, _, err := ix.Search(ctx, db, kind, q, search.Options{}); !errors.Is(err, search.ErrEmptyQuery) {
				t.Errorf("Search(%q) error = %v, want ErrEmptyQuery", q, err)
			}
			if _, err := ix.SearchIDs(ctx, db, kind, q); !errors.Is(err, search.ErrEmptyQuery) {
				t.Errorf("SearchIDs(%q) error = %v, want ErrEmptyQuery", q, err)
			}
		}
	})
}

func TestPutReplacesAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ix := &search.Index{}
		find := func(q string) []int64 {
			t.Helper()
			got, err := ix.SearchIDs(ctx, db, kind, q)
			if err != nil {
				t.Fatalf("SearchIDs(%q): %v", q, err)
			}
			return got
		}
		put(t, db, ix, 7, "营业执照办理指南", "")
		put(t, db, ix, 7, "食品经营许可", "")
		if got := find("执照"); len(got) != 0 {
			t.Errorf("after replacing, 执照 finds %v, want nothing", got)
		}
		if got := find("食品"); !slices.Equal(got, []int64{7}) {
			t.Errorf("after replacing, 食品 finds %v, want [7]", got)
		}
		var rows int
		if err := db.NewRaw("SELECT COUNT(*) FROM search_terms WHERE kind = ? AND doc_id = 7", kind).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if want := len(search.Tokens("食品经营许可")); rows != want {
			t.Errorf("doc 7 has %d term rows, want %d (old terms left behind?)", rows, want)
		}

		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return ix.Delete(ctx, tx, kind, 7)
		}); err != nil {
			t.Fatal(err)
		}
		if got := find("食品"); len(got) != 0 {
			t.Errorf("after Delete, 食品 finds %v", got)
		}
		var docs int
		if err := db.NewRaw("SELECT (SELECT COUNT(*) FROM search_terms) + (SELECT COUNT(*) FROM search_docs)").Scan(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		if docs != 0 {
			t.Errorf("after Delete, %d index rows remain", docs)
		}

		// Putting text with nothing searchable removes the document.
		put(t, db, ix, 8, "营业执照", "")
		put(t, db, ix, 8, "——", "")
		if got := find("营业"); len(got) != 0 {
			t.Errorf("after Put with no words, 营业 finds %v", got)
		}
	})
}

func TestRolledBackPutLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ix := &search.Index{}
		put(t, db, ix, 1, "食品经营许可", "")
		boom := errors.New("boom")
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := ix.Put(ctx, tx, kind, 1, search.Field{Text: "营业执照"}); err != nil {
				return err
			}
			if err := ix.Put(ctx, tx, kind, 2, search.Field{Text: "营业执照"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx = %v, want boom", err)
		}
		if got, _ := ix.SearchIDs(ctx, db, kind, "执照"); len(got) != 0 {
			t.Errorf("rolled-back Put is searchable: %v", got)
		}
		if got, _ := ix.SearchIDs(ctx, db, kind, "食品"); !slices.Equal(got, []int64{1}) {
			t.Errorf("rolled-back Put lost the committed text: 食品 finds %v", got)
		}
	})
}

func TestPagingAndWithin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ix := &search.Index{}
		if _, err := db.ExecContext(ctx, "CREATE TABLE kb_test (id INTEGER PRIMARY KEY, published BOOLEAN NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		for id := int64(1); id <= 25; id++ {
			put(t, db, ix, id, "办事指南", "营业执照")
			if _, err := db.NewRaw("INSERT INTO kb_test (id, published) VALUES (?, ?)", id, id%2 == 0).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Equal scores: newest id first, pages do not overlap.
		p1, total, err := ix.Search(ctx, db, kind, "执照", search.Options{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if total != 25 || !slices.Equal(ids(p1), []int64{25, 24, 23, 22, 21, 20, 19, 18, 17, 16}) {
			t.Errorf("page 1 = %v total %d", ids(p1), total)
		}
		p3, total, err := ix.Search(ctx, db, kind, "执照", search.Options{Limit: 10, Offset: 20})
		if err != nil {
			t.Fatal(err)
		}
		if total != 25 || !slices.Equal(ids(p3), []int64{5, 4, 3, 2, 1}) {
			t.Errorf("page 3 = %v total %d", ids(p3), total)
		}
		past, total, err := ix.Search(ctx, db, kind, "执照", search.Options{Limit: 10, Offset: 40})
		if err != nil {
			t.Fatal(err)
		}
		if total != 25 || len(past) != 0 {
			t.Errorf("past the end = %v total %d, want none of 25", ids(past), total)
		}

		within := db.NewSelect().Table("kb_test").Column("id").Where("published")
		hits, total, err := ix.Search(ctx, db, kind, "执照", search.Options{Limit: 3, Within: within})
		if err != nil {
			t.Fatal(err)
		}
		if total != 12 || !slices.Equal(ids(hits), []int64{24, 22, 20}) {
			t.Errorf("within published = %v total %d, want [24 22 20] of 12", ids(hits), total)
		}
	})
}

func TestInvalid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ix := &search.Index{}
		if err := ix.Put(ctx, db, "", 1, search.Field{Text: "营业执照"}); !errors.Is(err, search.ErrInvalid) {
			t.Errorf("Put with empty kind: %v, want ErrInvalid", err)
		}
		if err := ix.Put(ctx, db, kind, 0, search.Field{Text: "营业执照"}); !errors.Is(err, search.ErrInvalid) {
			t.Errorf("Put with id 0: %v, want ErrInvalid", err)
		}
		if _, _, err := ix.Search(ctx, db, "", "执照", search.Options{}); !errors.Is(err, search.ErrInvalid) {
			t.Errorf("Search with empty kind: %v, want ErrInvalid", err)
		}
	})
}

// A term in the title outweighs the same term in the body, even when the
// body-only document is newer and would win a tie.
func TestTitleOutranksBody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ix := &search.Index{}
		put(t, db, ix, 1, "备案办理须知", "请携带身份证明到窗口办理。")
		put(t, db, ix, 2, "办理须知", "网站上线前应当先行备案，请携带身份证明。")
		put(t, db, ix, 3, "其他事项", "与本次查询无关的内容。")
		hits, total, err := ix.Search(ctx, db, kind, "备案", search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || !slices.Equal(ids(hits), []int64{1, 2}) {
			t.Errorf("备案 = %v (total %d), want title hit 1 before body hit 2", hits, total)
		}
	})
}

// A rare term with a common one: the common term is looked up only for the
// rare term's documents, with the same result as reading all its postings.
func TestRareAndCommonTerms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ix := &search.Index{}
		for id := int64(1); id <= 30; id++ {
			body := "窗口办理"
			if id == 7 || id == 19 {
				body += "，营业执照"
			}
			if id == 12 {
				body = "营业执照" // no 办理
			}
			put(t, db, ix, id, "指南", body)
		}
		hits, total, err := ix.Search(ctx, db, kind, "执照 办理", search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || !slices.Equal(ids(hits), []int64{19, 7}) {
			t.Errorf("执照 办理 = %v (total %d), want [19 7]", ids(hits), total)
		}
	})
}
