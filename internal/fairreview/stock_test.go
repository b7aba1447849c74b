package fairreview

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func TestImportStock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		bad := zipOf(t, map[string]string{"a.txt": "第一条 平等对待各类经营主体。", "b.pdf": "x", "c.txt": "\xff\xfe"})
		var ie *ImportError
		if _, err := e.m.ImportStock(ctx, drafter, bad, nil); !errors.As(err, &ie) || len(ie.Rejected) != 2 {
			t.Fatalf("bad import: %v", err)
		}
		if list, _ := e.m.List(ctx, drafter, "", 0, 10); len(list) != 0 {
			t.Fatal("half-imported")
		}
		files := map[string]string{}
		for i := 0; i < 300; i++ {
			files[string(rune('a'+i%26))+string(rune('0'+i/26))+".txt"] = "第一条 平等对待。"
		}
		files["tax.txt"] = "第一条 对在本区纳税的企业给予奖励。"
		done := 0
		items, err := e.m.ImportStock(ctx, drafter, zipOf(t, files), func(d, n int) { done = d })
		if err != nil || len(items) != 301 || done != 301 {
			t.Fatalf("import: %v %d %d", err, len(items), done)
		}
		for _, it := range items {
			if it.Name == "tax.txt" && it.Verdict != VerdictRepeal {
				t.Fatalf("tax verdict %+v", it)
			}
		}
		figs, err := e.m.YearFigures(ctx, office, 2026)
		if err != nil || len(figs) != 1 || figs[0].Issued != 301 {
			t.Fatalf("figures: %+v %v", figs, err)
		}
		var buf bytes.Buffer
		if err := WriteFiguresXLSX(&buf, 2026, figs, func(int64) string { return "临江区科技局" }); err != nil || buf.Len() == 0 {
			t.Fatal(err)
		}
	})
}
