package calendar_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

var now = time.Date(2026, 11, 20, 9, 30, 0, 123456789, calendar.CST)

func fixedNow() time.Time { return now }

func TestSeedAndLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := calendar.Store{Now: fixedNow}
		added, err := s.SeedDefaults(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(added) != 2 || added[0] != 2025 || added[1] != 2026 {
			t.Fatalf("SeedDefaults added %v, want [2025 2026]", added)
		}
		// Seeding again adds nothing and changes nothing.
		if added, err := s.SeedDefaults(ctx, db); err != nil || len(added) != 0 {
			t.Fatalf("second SeedDefaults: added %v, err %v", added, err)
		}
		c, err := s.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		want := calendar.New(calendar.Official())
		for d := time.Date(2025, 1, 1, 12, 0, 0, 0, calendar.CST); d.Year() < 2027; d = d.AddDate(0, 0, 1) {
			if c.IsWorkday(d) != want.IsWorkday(d) {
				t.Fatalf("loaded calendar differs from the shipped one on %s", d.Format(calendar.DateLayout))
			}
		}
		if got, _ := calendar.DueDate(c, "2026-09-30", 5); got != "2026-10-13" {
			t.Errorf("DueDate on the loaded calendar = %s, want 2026-10-13", got)
		}
		infos, err := s.ListYears(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 2 {
			t.Fatalf("ListYears = %+v", infos)
		}
		// 2026: 3+9+3+5+3+3+7 days off, 6 make-up workdays.
		got := infos[1]
		if got.Year != 2026 || got.Holidays != 33 || got.Workdays != 6 || got.UpdatedBy != calendar.SystemAuthor ||
			!got.UpdatedAt.Equal(store.Time(now)) || !strings.Contains(got.Note, "2026") {
			t.Errorf("ListYears[1] = %+v", got)
		}
	})
}

func TestSetYear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := calendar.Store{Now: fixedNow}
		if _, err := s.SeedDefaults(ctx, db); err != nil {
			t.Fatal(err)
		}
		y2027 := calendar.Year{Year: 2027, Note: "测试安排", Days: []calendar.Day{
			{Date: "2027-01-01", Kind: calendar.Holiday, Name: "元旦"},
			{Date: "2027-02-06", Kind: calendar.Workday, Name: "春节"}, // Saturday
			{Date: "2027-02-08", Kind: calendar.Holiday, Name: "春节"},
		}}
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return s.SetYear(ctx, tx, y2027, "admin-1")
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetYear(ctx, db, 2027)
		if err != nil || got.Note != "测试安排" || len(got.Days) != 3 || got.Days[1] != y2027.Days[1] {
			t.Fatalf("GetYear(2027) = %+v, %v", got, err)
		}

		// Replacing a year replaces all of its days.
		y2027.Days = y2027.Days[:1]
		if err := s.SetYear(ctx, db, y2027, "admin-2"); err != nil {
			t.Fatal(err)
		}
		c, err := s.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if c.Missing(2027) || c.IsWorkday(time.Date(2027, 1, 1, 9, 0, 0, 0, calendar.CST)) ||
			!c.IsWorkday(time.Date(2027, 2, 8, 9, 0, 0, 0, calendar.CST)) ||
			c.IsWorkday(time.Date(2027, 2, 6, 9, 0, 0, 0, calendar.CST)) {
			t.Error("2027 after replacement: want only 01-01 off and no make-up day")
		}
		infos, _ := s.ListYears(ctx, db)
		if last := infos[len(infos)-1]; last.Year != 2027 || last.UpdatedBy != "admin-2" || last.Holidays != 1 || last.Workdays != 0 {
			t.Errorf("ListYears 2027 = %+v", last)
		}

		// A rolled-back transaction leaves the year as it was.
		boom := errors.New("boom")
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := s.SetYear(ctx, tx, calendar.Year{Year: 2027, Note: "x"}, "admin-3"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx: %v", err)
		}
		if got, _ := s.GetYear(ctx, db, 2027); len(got.Days) != 1 || got.Note != "测试安排" {
			t.Errorf("after rollback 2027 = %+v", got)
		}
	})
}

func TestSetYearRefusesAndStoresNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := calendar.Store{Now: fixedNow}
		if _, err := s.SeedDefaults(ctx, db); err != nil {
			t.Fatal(err)
		}
		before, err := s.GetYear(ctx, db, 2026)
		if err != nil {
			t.Fatal(err)
		}
		ok := calendar.Day{Date: "2026-01-01", Kind: calendar.Holiday, Name: "元旦"}
		tests := []struct {
			name string
			y    calendar.Year
			date string
		}{
			{"date of another year", calendar.Year{Year: 2026, Days: []calendar.Day{ok, {Date: "2027-01-01", Kind: calendar.Holiday}}}, "2027-01-01"},
			{"date twice", calendar.Year{Year: 2026, Days: []calendar.Day{ok, ok}}, "2026-01-01"},
			{"make-up on a weekday", calendar.Year{Year: 2026, Days: []calendar.Day{ok, {Date: "2026-10-09", Kind: calendar.Workday, Name: "国庆节"}}}, "2026-10-09"},
			{"unknown kind", calendar.Year{Year: 2026, Days: []calendar.Day{ok, {Date: "2026-10-10", Kind: "rest"}}}, "2026-10-10"},
			{"not a date", calendar.Year{Year: 2026, Days: []calendar.Day{ok, {Date: "2026/10/10", Kind: calendar.Holiday}}}, "2026/10/10"},
		}
		for _, tt := range tests {
			// Straight on the database, with no transaction to roll back:
			// the refusal itself must come before any write.
			err := s.SetYear(ctx, db, tt.y, "admin")
			var ve *calendar.ValidationError
			if !errors.As(err, &ve) || ve.Date != tt.date || !errors.Is(err, calendar.ErrInvalid) {
				t.Errorf("%s: err = %v, want a ValidationError naming %s", tt.name, err, tt.date)
			}
		}
		if err := s.SetYear(ctx, db, calendar.Year{Year: 2026}, ""); !errors.Is(err, calendar.ErrInvalid) {
			t.Errorf("no author: err = %v, want ErrInvalid", err)
		}
		after, err := s.GetYear(ctx, db, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Days) != len(before.Days) || after.Note != before.Note {
			t.Errorf("refused SetYear changed 2026: %d days before, %d after", len(before.Days), len(after.Days))
		}
		for i := range before.Days {
			if before.Days[i] != after.Days[i] {
				t.Fatalf("day %d changed: %+v → %+v", i, before.Days[i], after.Days[i])
			}
		}
	})
}

func TestDeleteYear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := calendar.Store{Now: fixedNow}
		if _, err := s.SeedDefaults(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteYear(ctx, db, 2025); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteYear(ctx, db, 2025); !errors.Is(err, calendar.ErrNotFound) {
			t.Errorf("second DeleteYear: err = %v, want ErrNotFound", err)
		}
		if _, err := s.GetYear(ctx, db, 2025); !errors.Is(err, calendar.ErrNotFound) {
			t.Errorf("GetYear after delete: err = %v, want ErrNotFound", err)
		}
		c, err := s.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Missing(2025) || c.Missing(2026) {
			t.Errorf("Years() = %v, want [2026]", c.Years())
		}
		var n int
		if err := db.NewRaw("SELECT COUNT(*) FROM calendar_days WHERE year = 2025").Scan(ctx, &n); err != nil || n != 0 {
			t.Errorf("days of 2025 left: %d, %v", n, err)
		}
	})
}

func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		clock := now // 2026-11-20: 2027 not yet entered
		svc := calendar.NewService(db, func() time.Time { return clock }, log)

		if !svc.Current().Missing(2026) {
			t.Error("before Init the calendar must be empty")
		}
		if err := svc.Init(ctx); err != nil {
			t.Fatal(err)
		}
		if svc.Current().Missing(2026) {
			t.Error("Init did not load the shipped years")
		}
		if year, missing := svc.NextYearMissing(); year != 2027 || !missing {
			t.Errorf("NextYearMissing() = %d, %v; want 2027, true", year, missing)
		}
		if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "year=2027") {
			t.Errorf("Reload did not warn about 2027; log:\n%s", buf.String())
		}

		// An administrator enters 2027; after Reload the warning stops.
		y := calendar.Year{Year: 2027, Note: "国务院办公厅关于2027年部分节假日安排的通知", Days: []calendar.Day{
			{Date: "2027-01-01", Kind: calendar.Holiday, Name: "元旦"},
		}}
		if err := svc.Store.SetYear(ctx, db, y, "admin"); err != nil {
			t.Fatal(err)
		}
		old := svc.Current()
		buf.Reset()
		if err := svc.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if _, missing := svc.NextYearMissing(); missing {
			t.Error("2027 still missing after Reload")
		}
		if strings.Contains(buf.String(), "level=WARN") {
			t.Errorf("unexpected warning: %s", buf.String())
		}
		if !old.Missing(2027) {
			t.Error("a snapshot taken before Reload must not change")
		}

		// Once 2027 has begun, 2028 is the year to warn about.
		clock = time.Date(2027, 1, 2, 0, 30, 0, 0, calendar.CST)
		if year, missing := svc.NextYearMissing(); year != 2028 || !missing {
			t.Errorf("NextYearMissing() on 2027-01-02 = %d, %v; want 2028, true", year, missing)
		}
		// 2026-12-31 17:00 UTC is already 2027 in Beijing.
		clock = time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)
		if year, _ := svc.NextYearMissing(); year != 2028 {
			t.Errorf("NextYearMissing() at 2026-12-31T17:00Z: year %d, want 2028 (CST)", year)
		}
	})
}
