package credit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// BenchmarkPublicQuery measures what an anonymous 信用公示 query and a
// report verification cost against one record read by primary key (the
// baseline), on a business with 60 records: go test ./internal/credit
// -run '^$' -bench PublicQuery -benchtime 2s.
func BenchmarkPublicQuery(b *testing.B) {
	db := storetest.OpenSQLite(b)
	p := setupPublic(b, db, 1000)
	ctx := context.Background()
	var last int64
	for i := 0; i < 60; i++ {
		rec, err := p.m.AddRecord(ctx, p.actor(b, "scjg"), credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty,
			DecisionNo: fmt.Sprintf("临市监罚〔2026〕%d号", i), DecisionDate: "2026-05-15", PublishedOn: "2026-05-20",
			Content: "罚款", Penalty: pen("other", 200000, "罚款")})
		if err != nil {
			b.Fatal(err)
		}
		last = rec.ID
	}
	rep, err := p.m.IssueReport(ctx, p.actor(b, "ent_a"), credit.ReportInput{USCC: bizA})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-get-record", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.m.GetRecord(ctx, auth.System(), last, calendar.Date{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("public-file", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.m.PublicFileOf(ctx, bizA, calendar.Date{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-report", func(b *testing.B) {
		for b.Loop() {
			if r, err := p.m.VerifyReport(ctx, rep.Token); err != nil || !r.Genuine {
				b.Fatal(err)
			}
		}
	})
}
