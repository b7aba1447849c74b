package knowledge

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// benchArticles is the size of the knowledge base the benchmark searches.
const benchArticles = 2000

// fill adds published articles until the base holds n: the demo articles
// and generated ones built from a city's everyday vocabulary, written in
// one transaction straight through the module's own storage functions.
func fill(b *testing.B, w *world, n int) {
	ctx := context.Background()
	if err := SeedDemo(ctx, w.m, w.depts); err != nil {
		b.Fatal(err)
	}
	places := []string{"临江区", "青山区", "新港区", "开发区", "高新区", "老城区", "滨江街道", "东湖社区"}
	things := []string{"停车位", "充电桩", "学位", "门诊", "公交站", "路灯", "下水道", "绿化带", "菜市场", "养老院",
		"幼儿园", "体育馆", "图书馆", "健身器材", "共享单车", "快递柜", "消防通道", "井盖", "广告牌", "围挡"}
	asks := []string{"如何申请", "谁来维修", "归哪个部门管", "收费标准是什么", "开放时间", "怎么预约", "能否延期", "投诉渠道"}
	sys := auth.System()
	depts := []int64{w.depts["YL-ZWFW"], w.depts["YL-ZJ"], w.depts["LJ-CGJ"], w.depts["YL-SHJ"]}
	cats := []string{"070401", "010100", "010300", "050000"}
	now := store.Time(w.now)
	err := w.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := len(demoArticles); i < n; i++ {
			p, th, a := places[i%len(places)], things[(i/len(places))%len(things)], asks[(i/7)%len(asks)]
			title := fmt.Sprintf("%s%s%s？（%d）", p, th, a, i)
			answer := fmt.Sprintf("%s的%s由%s负责。可通过“云澜市一网通办”或拨打 12345 咨询，工作日 9:00–17:00 办理。\n\n相关事项按规定在 %d 个工作日内答复。",
				p, th, []string{"街道办事处", "区住建局", "区城管局", "属地社区"}[i%4], 3+i%10)
			row := &articleRow{Status: StatusPublished, Version: 1, Rev: 2, CreatedByName: "bench", UpdatedByName: "bench",
				CreatedAt: now, UpdatedAt: now}
			row.setDraft(&Draft{Title: title, Answer: answer, CategoryCode: cats[i%4], DepartmentID: depts[i%4],
				RegionCode: "990100", Questions: []string{p + th + "的问题"}, Tags: []string{th}})
			if _, err := tx.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
				return err
			}
			v := &versionRow{ArticleID: row.ID, Version: 1, Title: row.Title, Questions: row.Questions, Answer: row.Answer,
				CategoryCode: row.CategoryCode, DepartmentID: row.DepartmentID, RegionCode: row.RegionCode, Tags: row.Tags,
				PublishedByName: sys.Name, PublishedAt: now}
			if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
				return err
			}
			if err := w.m.index(ctx, tx, v.version()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSuggest measures Suggest over 2,000 articles on each database:
// a two-character word as typed, and a caller's whole sentence (which needs
// the OR ranking, one index lookup per word). The baseline is a single AND
// search of the index for the same sentence's terms, the least any answer
// costs.
func BenchmarkSuggest(b *testing.B) {
	dbs := []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.OpenSQLite}}
	if os.Getenv(storetest.EnvPostgres) != "" {
		dbs = append(dbs, struct {
			name string
			open func(testing.TB) *store.DB
		}{"postgres", storetest.OpenPostgres})
	}
	const sentence = "我想问一下个体工商户营业执照怎么办理需要什么材料"
	for _, d := range dbs {
		b.Run(d.name, func(b *testing.B) {
			w := newWorld(b, d.open(b), false)
			fill(b, w, benchArticles)
			ctx := context.Background()
			report := func(b *testing.B) {
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
			}
			b.Run("baseline-and-search", func(b *testing.B) {
				q := strings.Join(suggestTerms(sentence), " ")
				for b.Loop() {
					if _, _, err := w.m.d.Search.Search(ctx, w.db, SearchKind, q, search.Options{Limit: SuggestLimit}); err != nil {
						b.Fatal(err)
					}
				}
				report(b)
			})
			b.Run("suggest-word", func(b *testing.B) {
				for b.Loop() {
					if hits, err := w.m.Suggest(ctx, "执照"); err != nil || len(hits) == 0 {
						b.Fatal(hits, err)
					}
				}
				report(b)
			})
			b.Run("suggest-sentence", func(b *testing.B) {
				for b.Loop() {
					if hits, err := w.m.Suggest(ctx, sentence); err != nil || len(hits) == 0 {
						b.Fatal(hits, err)
					}
				}
				report(b)
			})
		})
	}
}
