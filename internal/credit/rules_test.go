package credit

import (
	"testing"

	"github.com/yingshang/yingshang/internal/calendar"
)

func day(t *testing.T, s string) calendar.Date {
	t.Helper()
	if s == "" {
		return calendar.Date{}
	}
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The publication rules of penalties (总局令第45号 and the reference).
func TestPenaltyTerms(t *testing.T) {
	r := DefaultRules()
	cal := calendar.New(calendar.Official())
	pen := func(proc, subject, sector string, fine int64, kinds ...string) *Penalty {
		return &Penalty{Procedure: proc, Subject: subject, Sector: sector, Kinds: kinds, FineYuan: fine}
	}
	cases := []struct {
		name                string
		p                   *Penalty
		published, withdraw string
		public              bool
		until, repair       string
	}{
		{"simple procedure is never shown", pen("simple", "organisation", "other", 200, "罚款"), "2026-03-02", "", false, "", ""},
		{"a warning alone is never shown", pen("ordinary", "organisation", "other", 0, "警告"), "2026-03-02", "", false, "", ""},
		{"通报批评: 3 months", pen("ordinary", "organisation", "other", 0, "通报批评"), "2026-01-31", "", true, "2026-04-30", ""},
		{"organisation fine at the threshold is low (以下 includes it)", pen("ordinary", "organisation", "other", 100000, "罚款"),
			"2026-03-02", "", true, "2026-06-02", ""},
		{"organisation fine above the threshold: 3 years", pen("ordinary", "organisation", "other", 100001, "罚款"),
			"2026-03-02", "", true, "2029-03-02", "2026-09-03"},
		{"person fine of 10,000 is low", pen("ordinary", "person", "other", 10000, "罚款", "警告"), "2026-03-02", "", true, "2026-06-02", ""},
		{"person fine of 10,001: 3 years", pen("ordinary", "person", "other", 10001, "罚款"), "2026-03-02", "", true, "2029-03-02", "2026-09-03"},
		{"confiscation makes it long", pen("ordinary", "organisation", "other", 5000, "罚款", "没收违法所得"), "2026-03-02", "", true,
			"2029-03-02", "2026-09-03"},
		{"food: repair after one year", pen("ordinary", "organisation", "food", 200000, "罚款"), "2024-02-29", "", true,
			"2027-02-28", "2025-03-01"},
		{"special equipment: one year", pen("ordinary", "organisation", "special_equipment", 0, "责令停产停业"), "2026-08-31", "",
			true, "2029-08-31", "2027-09-01"},
		{"withdrawn: shown to the day before", pen("ordinary", "organisation", "other", 500000, "罚款"), "2026-03-02", "2026-05-10",
			true, "2026-05-09", ""},
		{"not yet published: no term yet", pen("ordinary", "organisation", "other", 500000, "罚款"), "", "", true, "", ""},
	}
	for _, c := range cases {
		tm := r.TermsOf(cal, KindPenalty, c.p, day(t, "2026-02-27"), day(t, c.published), day(t, c.withdraw))
		if tm.Public != c.public || tm.Until.String() != c.until || tm.RepairableFrom.String() != c.repair {
			t.Errorf("%s: public %v until %q repair %q; want %v %q %q", c.name, tm.Public, tm.Until, tm.RepairableFrom,
				c.public, c.until, c.repair)
		}
	}
}

// Publication limits are working days on the calendar: 7 for 双公示, 20
// for what market regulation produces.
func TestPublishBy(t *testing.T) {
	r := DefaultRules()
	cal := calendar.New(calendar.Official())
	p := &Penalty{Procedure: "ordinary", Subject: "organisation", Sector: "other", Kinds: []string{"罚款"}, FineYuan: 200000}
	// Decided the day before 国庆节 2026: the holiday does not count.
	if got := r.TermsOf(cal, KindPenalty, p, day(t, "2026-09-30"), calendar.Date{}, calendar.Date{}).PublishBy.String(); got != "2026-10-15" {
		t.Errorf("penalty publish by %s, want 2026-10-15 (10 October is a make-up workday)", got)
	}
	if got := r.TermsOf(cal, KindInspection, nil, day(t, "2026-09-30"), calendar.Date{}, calendar.Date{}).PublishBy.String(); got != "2026-11-03" {
		t.Errorf("inspection publish by %s, want 2026-11-03", got)
	}
}

func TestShownOn(t *testing.T) {
	tm := Terms{Public: true, Until: day(t, "2026-06-02")}
	pub := day(t, "2026-03-02")
	for d, want := range map[string]bool{"2026-03-01": false, "2026-03-02": true, "2026-06-02": true, "2026-06-03": false} {
		if got := tm.ShownOn(pub, day(t, d)); got != want {
			t.Errorf("shown on %s: %v, want %v", d, got, want)
		}
	}
	if (Terms{Public: true}).ShownOn(calendar.Date{}, pub) {
		t.Error("an unpublished record is shown")
	}
}

// A province replaces what it sets; the rest stays national.
func TestParseRules(t *testing.T) {
	r, err := ParseRules([]byte(`{"low_fine_yuan": {"person": 5000, "organisation": 50000}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.LowFine.Person != 5000 || r.LongTerm != (calendar.Period{N: 3, Unit: calendar.Years}) {
		t.Errorf("province rules: %+v", r)
	}
	p := Penalty{Procedure: "ordinary", Subject: "person", Kinds: []string{"罚款"}, FineYuan: 8000}
	if r.Light(p) || !DefaultRules().Light(p) {
		t.Error("the province's threshold is not used")
	}
	for _, bad := range []string{`{"short_term": {"n": 0, "unit": "months"}}`, `{"publish_within_working_days": 0}`, `{`} {
		if _, err := ParseRules([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
