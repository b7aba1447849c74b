package search_test

import (
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

//go:embed testdata/phrases.txt
var phraseList string

const benchDocs = 20000

// genDoc returns a title of two or three phrases and a body of six to
// twelve, joined by Chinese punctuation, like a knowledge-base article.
func genDoc(r *rand.Rand, phrases []string) (title, body string) {
	pick := func(n int, sep string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = phrases[r.IntN(len(phrases))]
		}
		return strings.Join(parts, sep)
	}
	return pick(2+r.IntN(2), " "), pick(6+r.IntN(7), "，") + "。"
}

// BenchmarkSearch indexes benchDocs generated documents and measures queries
// of increasing breadth on each engine, next to the baseline modules would
// otherwise use: a LIKE '%…%' scan over the same titles and bodies.
func BenchmarkSearch(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchSearch(b, storetest.OpenSQLite(b)) })
	if os.Getenv(storetest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { benchSearch(b, storetest.OpenPostgres(b)) })
	}
}

func benchSearch(b *testing.B, db *store.DB) {
	ctx := context.Background()
	ix := &search.Index{}
	phrases := strings.Fields(phraseList)
	r := rand.New(rand.NewPCG(1, 2))
	if _, err := db.ExecContext(ctx, "CREATE TABLE bench_docs (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	const perTx = 500
	for start := 1; start <= benchDocs; start += perTx {
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for id := int64(start); id < int64(start+perTx); id++ {
				title, body := genDoc(r, phrases)
				if _, err := tx.NewRaw("INSERT INTO bench_docs (id, title, body) VALUES (?, ?, ?)", id, title, body).Exec(ctx); err != nil {
					return err
				}
				if err := ix.Put(ctx, tx, "bench", id, search.Field{Text: title, Weight: 5}, search.Field{Text: body, Weight: 1}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if db.Kind() == store.Postgres {
		// Autovacuum would do this in production; index-only scans need it.
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE search_terms"); err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE search_docs"); err != nil {
			b.Fatal(err)
		}
	} else if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"执照", "营业执照", "ICP 备案", "食品经营许可 申请材料", "不存在的词"} {
		hits, total, err := ix.Search(ctx, db, "bench", q, search.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %q matches %d documents (page %d)", db.Kind(), q, total, len(hits))
		b.Run("index/"+q, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := ix.Search(ctx, db, "bench", q, search.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("like/"+q, func(b *testing.B) {
			var where []string
			var args []any
			for _, w := range strings.Fields(q) {
				where = append(where, fmt.Sprintf("(title %[1]s ? OR body %[1]s ?)", db.Like()))
				args = append(args, "%"+w+"%", "%"+w+"%")
			}
			query := "SELECT id, COUNT(*) OVER () FROM bench_docs WHERE " + strings.Join(where, " AND ") + " ORDER BY id DESC LIMIT 20"
			for b.Loop() {
				rows, err := db.QueryContext(ctx, db.NewRaw(query, args...).String())
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		})
	}
}
