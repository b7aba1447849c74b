package annualreport_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// benchDB opens the engine YS_TEST_POSTGRES names, SQLite otherwise.
func benchDB(b *testing.B) *store.DB {
	if os.Getenv("YS_TEST_POSTGRES") != "" {
		return storetest.OpenPostgres(b)
	}
	return storetest.OpenSQLite(b)
}

// registerMany adds n businesses of 990102 that owe the 2026 report, as
// rows, so that setting up a benchmark costs little.
func registerMany(b *testing.B, db *store.DB, n int) []string {
	b.Helper()
	ctx := context.Background()
	codes := make([]string, n)
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			codes[i] = uscc(fmt.Sprintf("91990102MB%07d", i))
			if _, err := tx.ExecContext(ctx, `INSERT INTO entities (uscc, name, type, legal_rep, legal_rep_id_enc, legal_rep_id_index,
				address, region_code, industry, capital_yuan, established_on, status, scope, created_at, updated_at, version)
				VALUES (?, ?, '有限责任公司', '李娜', '', '', '云澜市', '990102', 'F5211', 100000, '2020-01-01', '存续', '', ?, ?, 1)`,
				codes[i], "云澜基准企业"+codes[i][10:17], store.Time(time.Now()), store.Time(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return codes
}

// BenchmarkJulyListing is the 1 July sweep, per business listed: the
// register read page by page, the filed reports checked, a listing row
// numbering the decision, the credit module's listing.
func BenchmarkJulyListing(b *testing.B) {
	db := benchDB(b)
	w := setup(b, db)
	registerMany(b, db, b.N)
	day := calendar.NewDate(2027, 7, 1)
	*w.now = day.Start().Add(10 * time.Hour)
	if err := w.m.ObserveWindow(context.Background(), 2026, calendar.NewDate(2027, 1, 1)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	res, err := w.m.Sweep(context.Background(), day, nil)
	if err != nil || res.Listed < b.N {
		b.Fatalf("%+v %v", res, err)
	}
}

// BenchmarkListingBaseline is the credit module's listing alone, per
// business: the least the sweep must do.
func BenchmarkListingBaseline(b *testing.B) {
	db := benchDB(b)
	w := setup(b, db)
	codes := registerMany(b, db, b.N)
	*w.now = calendar.NewDate(2027, 7, 1).Start().Add(10 * time.Hour)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := w.credit.ListAsAbnormal(ctx, w.handler, credit.AbnormalInput{USCC: codes[i], Reason: "annual_report",
			ListedOn: "2027-07-01", DecisionNo: fmt.Sprintf("市监异〔2027〕%06d号", i)}); err != nil {
			b.Fatal(err)
		}
	}
	_ = auth.System
}
