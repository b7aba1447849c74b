package credit

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/yingshang/yingshang/internal/calendar"
)

// Rules are the publication, listing and repair rules of credit
// information. The national defaults are embedded (rules.json); a province
// that sets a rule differently (the low-fine threshold above all) gives its
// own file, read with ParseRules, which starts from the defaults.
type Rules struct {
	// LowFine is the largest fine, in yuan, that counts as low: a penalty
	// of 通报批评 or a low fine is shown for ShortTerm. "以下" includes the
	// amount itself (民法典 第一千二百五十九条). A province's setting.
	LowFine struct {
		Person       int64 `json:"person"`
		Organisation int64 `json:"organisation"`
	} `json:"low_fine_yuan"`
	// LightKinds are the penalty kinds that, alone or together (with any
	// fine low), make a penalty a light one.
	LightKinds []string `json:"light_kinds"`
	// WarningKind is the kind that, alone, is never published.
	WarningKind string `json:"warning_kind"`
	// FineKind names the fine among penalty kinds.
	FineKind string `json:"fine_kind"`
	// ShortTerm and LongTerm are how long light and other penalties are
	// shown (总局令第45号: 3 months and 3 years).
	ShortTerm calendar.Period `json:"short_term"`
	LongTerm  calendar.Period `json:"long_term"`
	// RepairAfter is the minimum publication before a penalty may be
	// repaired; StrictRepairAfter applies in StrictSectors (food, drugs,
	// special equipment).
	RepairAfter       calendar.Period `json:"repair_after"`
	StrictRepairAfter calendar.Period `json:"strict_repair_after"`
	StrictSectors     []string        `json:"strict_sectors"`
	// PublishWithin is the working days from decision to publication:
	// 双公示 of licences and penalties 7, information produced by market
	// regulation 20 (企业信息公示暂行条例 第六条).
	PublishWithin       int `json:"publish_within_working_days"`
	PublishWithinMarket int `json:"publish_within_working_days_market"`
	// WithdrawWithin is the working days to withdraw a changed or revoked
	// decision.
	WithdrawWithin int `json:"withdraw_within_working_days"`
	// RepairDecideWithin is the working days the record's department has
	// to decide an application for credit repair (市场监督管理信用修复管理办法
	// 第十二条: 15 working days from receipt).
	RepairDecideWithin int `json:"repair_decide_within_working_days"`
	// ReportPeriod is the period a 专用信用报告 covers by default, ending on
	// the day it is issued.
	ReportPeriod calendar.Period `json:"report_period"`
	// AbnormalToSerious: listed as abnormal this long and not removed →
	// 严重违法失信名单.
	AbnormalToSerious calendar.Period `json:"abnormal_to_serious"`
	// SeriousEarlyRemoval is after how long early removal may be applied
	// for; SeriousTerm how long a listing lasts unless removed earlier.
	SeriousEarlyRemoval calendar.Period `json:"serious_early_removal"`
	SeriousTerm         calendar.Period `json:"serious_term"`
	// Checks says, for each purpose of 信用核查, what a listing means:
	// "deny" refuses, "weigh" lets the caller decide with the reason shown
	// (审慎), "allow" ignores it.
	Checks map[string]CheckRule `json:"checks"`
	// Kinds says, for each record kind, whether it is public and for how
	// long (no term: while it is in force).
	Kinds map[Kind]KindRule `json:"kinds"`
}

// CheckRule is what the lists mean for one purpose of 信用核查.
type CheckRule struct {
	Name     string `json:"name"`
	Serious  string `json:"serious" enum:"deny,weigh,allow"`
	Abnormal string `json:"abnormal" enum:"deny,weigh,allow"`
}

// KindRule is the publication rule of one kind of record.
type KindRule struct {
	Name   string           `json:"name"`
	NameEn string           `json:"name_en"`
	Public bool             `json:"public"`
	Term   *calendar.Period `json:"term,omitempty"`
	// Market marks information produced by market regulation, published
	// within PublishWithinMarket rather than PublishWithin.
	Market bool `json:"market,omitempty"`
}

//go:embed rules.json
var defaultRules []byte

// DefaultRules returns the national defaults.
func DefaultRules() *Rules {
	r, err := ParseRules(nil)
	if err != nil {
		panic("credit: embedded rules: " + err.Error())
	}
	return r
}

// ParseRules reads a province's rules over the national defaults: fields
// it names replace the defaults, the others stay. nil gives the defaults.
func ParseRules(province []byte) (*Rules, error) {
	var r Rules
	if err := json.Unmarshal(defaultRules, &r); err != nil {
		return nil, err
	}
	if len(province) > 0 {
		if err := json.Unmarshal(province, &r); err != nil {
			return nil, fmt.Errorf("credit: rules: %w", err)
		}
	}
	return &r, r.validate()
}

func (r *Rules) validate() error {
	for name, p := range map[string]calendar.Period{"short_term": r.ShortTerm, "long_term": r.LongTerm,
		"repair_after": r.RepairAfter, "strict_repair_after": r.StrictRepairAfter, "abnormal_to_serious": r.AbnormalToSerious,
		"serious_early_removal": r.SeriousEarlyRemoval, "serious_term": r.SeriousTerm} {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("credit: rules: %s: %w", name, err)
		}
	}
	if r.LowFine.Person < 0 || r.LowFine.Organisation < 0 {
		return fmt.Errorf("credit: rules: low_fine_yuan may not be negative")
	}
	if r.PublishWithin <= 0 || r.PublishWithinMarket <= 0 || r.WithdrawWithin <= 0 {
		return fmt.Errorf("credit: rules: publication limits must be positive")
	}
	if r.RepairDecideWithin <= 0 {
		return fmt.Errorf("credit: rules: repair_decide_within_working_days must be positive")
	}
	if err := r.ReportPeriod.Validate(); err != nil {
		return fmt.Errorf("credit: rules: report_period: %w", err)
	}
	for purpose, c := range r.Checks {
		for _, v := range []string{c.Serious, c.Abnormal} {
			if v != "deny" && v != "weigh" && v != "allow" {
				return fmt.Errorf("credit: rules: check %s: %q is not deny, weigh or allow", purpose, v)
			}
		}
	}
	if _, ok := r.Checks["self"]; !ok {
		return fmt.Errorf("credit: rules: the check purpose self is required")
	}
	for _, k := range AllKinds {
		if _, ok := r.Kinds[k]; !ok {
			return fmt.Errorf("credit: rules: kind %s has no rule", k)
		}
	}
	return nil
}

// Penalty is what decides a penalty's publication.
type Penalty struct {
	// Procedure is "ordinary" or "simple" (简易程序: never published).
	Procedure string `json:"procedure" enum:"ordinary,simple"`
	// Subject is "person" or "organisation", for the low-fine threshold.
	Subject string `json:"subject" enum:"person,organisation"`
	// Sector is "food", "drug", "special_equipment" or "other", for the
	// repair period.
	Sector string `json:"sector" enum:"food,drug,special_equipment,other"`
	// Kinds are the kinds of penalty imposed (罚款, 通报批评, 警告, 没收违法所得, …).
	Kinds []string `json:"kinds" minItems:"1" maxItems:"10"`
	// FineYuan is the fine in yuan, 0 when none.
	FineYuan int64 `json:"fine_yuan,omitempty" minimum:"0"`
}

// Terms are a record's computed publication dates.
type Terms struct {
	// Public: the record is ever shown.
	Public bool
	// PublishBy is the last day it must be published by.
	PublishBy calendar.Date
	// Until is the last day it is shown; zero while it is in force with no
	// term.
	Until calendar.Date
	// RepairableFrom is the first day repair may be applied for; zero
	// where repair does not apply.
	RepairableFrom calendar.Date
}

// Light reports whether p is shown for the short term: its kinds are all
// light ones and any fine is at most the subject's threshold.
func (r *Rules) Light(p Penalty) bool {
	for _, k := range p.Kinds {
		if !slices.Contains(r.LightKinds, k) {
			return false
		}
	}
	limit := r.LowFine.Organisation
	if p.Subject == "person" {
		limit = r.LowFine.Person
	}
	return p.FineYuan <= limit
}

// warningOnly reports whether p imposes a warning and nothing else.
func (r *Rules) warningOnly(p Penalty) bool {
	return len(p.Kinds) > 0 && !slices.ContainsFunc(p.Kinds, func(k string) bool { return k != r.WarningKind }) && p.FineYuan == 0
}

// TermsOf computes the publication terms of a record of kind k decided on
// decided and published on published (zero: not yet), withdrawn on
// withdrawn (zero: not withdrawn); pen is its penalty when k is
// KindPenalty. cal counts the working days of the publication limit.
func (r *Rules) TermsOf(cal *calendar.Calendar, k Kind, pen *Penalty, decided, published, withdrawn calendar.Date) Terms {
	kr := r.Kinds[k]
	t := Terms{Public: kr.Public}
	within := r.PublishWithin
	if kr.Market {
		within = r.PublishWithinMarket
	}
	if !decided.IsZero() && cal != nil {
		due := cal.AddWorkingDays(decided.Start(), within)
		t.PublishBy = calendar.DateOf(due)
	}
	term := kr.Term
	if k == KindPenalty && pen != nil {
		switch {
		case pen.Procedure == "simple" || r.warningOnly(*pen):
			t.Public = false
		case r.Light(*pen):
			term = &r.ShortTerm
		default:
			term = &r.LongTerm
			after := r.RepairAfter
			if slices.Contains(r.StrictSectors, pen.Sector) {
				after = r.StrictRepairAfter
			}
			if !published.IsZero() {
				t.RepairableFrom = calendar.PeriodEnd(published, after).AddDays(1)
			}
		}
	}
	if !t.Public {
		return Terms{Public: false, PublishBy: calendar.Date{}}
	}
	if term != nil && !published.IsZero() {
		t.Until = calendar.PeriodEnd(published, *term)
	}
	if !withdrawn.IsZero() {
		// Withdrawn: shown up to the day before.
		last := withdrawn.AddDays(-1)
		if t.Until.IsZero() || last.Before(t.Until) {
			t.Until = last
		}
		if !t.RepairableFrom.IsZero() && t.RepairableFrom.After(t.Until) {
			t.RepairableFrom = calendar.Date{}
		}
	}
	return t
}

// ShownOn reports whether a record with terms t, published on published,
// is shown on day.
func (t Terms) ShownOn(published, day calendar.Date) bool {
	if !t.Public || published.IsZero() || day.Before(published) {
		return false
	}
	return t.Until.IsZero() || !day.After(t.Until)
}
