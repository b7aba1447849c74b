package discretion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// Deps are the services the module uses.
type Deps struct {
	DB *store.DB
	// Lists are the published lists in force; nil means the national
	// default embedded in the program.
	Lists *Lists
	// DepartmentCode names a department by id, for the figures' scope.
	DepartmentCode func(ctx context.Context, id int64) string
	Now            func() time.Time
}

// Module is the discretion engine with its pages, API and figures.
type Module struct {
	*Engine
	d Deps
	s *web.Server
}

// New returns the module.
func New(d Deps) (*Module, error) {
	if d.DB == nil {
		return nil, errors.New("discretion: a database is required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	e, err := NewEngine(d.Lists)
	if err != nil {
		return nil, err
	}
	return &Module{Engine: e, d: d}, nil
}

// Outcome is what an officer decided on a proposal.
type Outcome struct {
	CaseRef        string
	DepartmentCode string
	MatterCode     string
	Proposed       Level
	Decided        Level
	FineFen        int64
	// Departed marks a decision outside the proposal: another level, or a
	// fine outside the proposed range. A different level is a departure
	// whatever Departed says.
	Departed bool
	// Reason is required for a departure (the officer states why; legal
	// review reads it).
	Reason         string
	FirstViolation bool
	Education      bool
	Version        string
	DecidedOn      string // YYYY-MM-DD
}

// ErrInvalid is returned for an outcome or activity that cannot be stored.
var ErrInvalid = errors.New("discretion: invalid (数据不完整或不正确)")

var levels = []Level{LevelNone, LevelReduced, LevelLighter, LevelNormal, LevelHeavier}

// RecordOutcome stores o in tx, once per case (recording it again replaces
// nothing and is not an error). A departure without a reason is refused.
func (m *Module) RecordOutcome(ctx context.Context, tx store.IDB, o Outcome) error {
	switch {
	case o.CaseRef == "" || o.DepartmentCode == "" || o.MatterCode == "":
		return fmt.Errorf("%w: case, department and matter are required", ErrInvalid)
	case !slices.Contains(levels, o.Proposed) || !slices.Contains(levels, o.Decided):
		return fmt.Errorf("%w: level %q or %q", ErrInvalid, o.Proposed, o.Decided)
	case (o.Departed || o.Proposed != o.Decided) && strings.TrimSpace(o.Reason) == "":
		return fmt.Errorf("%w: departing from the proposal (%s → %s) needs a stated reason", ErrInvalid, LevelName(o.Proposed), LevelName(o.Decided))
	case o.FineFen < 0:
		return fmt.Errorf("%w: negative fine", ErrInvalid)
	}
	if _, err := time.Parse(time.DateOnly, o.DecidedOn); err != nil {
		return fmt.Errorf("%w: decided on %q", ErrInvalid, o.DecidedOn)
	}
	_, err := tx.NewRaw(`INSERT INTO discretion_outcomes (case_ref, department_code, matter_code, proposed, decided, fine_fen,
		departed, reason, first_violation, education, version, decided_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (case_ref) DO NOTHING`,
		o.CaseRef, o.DepartmentCode, o.MatterCode, o.Proposed, o.Decided, o.FineFen, o.Departed || o.Proposed != o.Decided,
		strings.TrimSpace(o.Reason), o.FirstViolation, o.Education, o.Version, o.DecidedOn).Exec(ctx)
	if err != nil {
		return fmt.Errorf("discretion: record outcome of %s: %w", o.CaseRef, err)
	}
	kind := ActivityEnforcement
	if o.Decided == LevelNone {
		kind = ActivityManagement // 责令改正 and education, no penalty
	}
	return m.RecordActivity(ctx, tx, o.DepartmentCode, kind, "case:"+o.CaseRef, o.DecidedOn)
}

// Activity kinds of the 721 method: about seventy per cent of the work
// should be service (指导, 提醒), twenty management (约谈, 责令改正, 教育)
// and ten enforcement (处罚).
const (
	ActivityService     = "service"
	ActivityManagement  = "management"
	ActivityEnforcement = "enforcement"
)

// RecordActivity counts one activity of a department on a day, once per
// kind and ref.
func (m *Module) RecordActivity(ctx context.Context, tx store.IDB, dept, kind, ref, on string) error {
	if dept == "" || ref == "" || !slices.Contains([]string{ActivityService, ActivityManagement, ActivityEnforcement}, kind) {
		return fmt.Errorf("%w: activity %q %q of %q", ErrInvalid, kind, ref, dept)
	}
	if _, err := time.Parse(time.DateOnly, on); err != nil {
		return fmt.Errorf("%w: activity on %q", ErrInvalid, on)
	}
	_, err := tx.NewRaw(`INSERT INTO discretion_activities (department_code, kind, ref, on_date) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, ref) DO NOTHING`, dept, kind, ref, on).Exec(ctx)
	if err != nil {
		return fmt.Errorf("discretion: record activity %s: %w", ref, err)
	}
	return nil
}

// Figure is one department's figures over a period.
type Figure struct {
	DepartmentCode string             `json:"department_code"`
	ByLevel        map[Level]int      `json:"by_level"`
	FirstViolation int                `json:"first_violation_not_penalised" doc:"首违不罚: first violations ending without a penalty"`
	Departures     int                `json:"departures"`
	Reasons        []string           `json:"departure_reasons"`
	Activities     map[string]int     `json:"activities" doc:"721: service, management, enforcement"`
	Shares         map[string]float64 `json:"shares" doc:"each kind's share of the activities, 0–1"`
}

// Count returns the cases decided at level (a name such as "none").
func (f Figure) Count(level string) int { return f.ByLevel[Level(level)] }

// Figures returns the figures of the departments the actor may see from
// from to to (YYYY-MM-DD, inclusive): supervisors and administrators every
// department, other staff their own.
func (m *Module) Figures(ctx context.Context, a *auth.Actor, from, to string) ([]Figure, error) {
	var depts []string
	all := a.HasAny(auth.RoleSupervisor, auth.RoleAdmin)
	if !all {
		if m.d.DepartmentCode == nil {
			return []Figure{}, nil
		}
		for _, id := range a.DepartmentIDs {
			if c := m.d.DepartmentCode(ctx, id); c != "" {
				depts = append(depts, c)
			}
		}
		if len(depts) == 0 {
			return []Figure{}, nil
		}
	}
	figs := map[string]*Figure{}
	fig := func(d string) *Figure {
		if f := figs[d]; f != nil {
			return f
		}
		f := &Figure{DepartmentCode: d, ByLevel: map[Level]int{}, Activities: map[string]int{}, Shares: map[string]float64{}, Reasons: []string{}}
		figs[d] = f
		return f
	}
	// Counts are grouped in the database, so a year of cases is one small
	// answer; the reasons read are only the newest departures.
	var counts []struct {
		DepartmentCode string `bun:"department_code"`
		Decided        Level  `bun:"decided"`
		Departed       bool   `bun:"departed"`
		FirstViolation bool   `bun:"first_violation"`
		N              int    `bun:"n"`
	}
	scoped := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Table("discretion_outcomes").Where("decided_on >= ? AND decided_on <= ?", from, to)
		if !all {
			q = q.Where("department_code IN (?)", bun.In(depts))
		}
		return q
	}
	if err := scoped(m.d.DB.NewSelect()).ColumnExpr("department_code, decided, departed, first_violation, COUNT(*) AS n").
		Group("department_code", "decided", "departed", "first_violation").Scan(ctx, &counts); err != nil {
		return nil, fmt.Errorf("discretion: figures: %w", err)
	}
	for _, c := range counts {
		f := fig(c.DepartmentCode)
		f.ByLevel[c.Decided] += c.N
		if c.FirstViolation && c.Decided == LevelNone {
			f.FirstViolation += c.N
		}
		if c.Departed {
			f.Departures += c.N
		}
	}
	var reasons []struct {
		DepartmentCode string `bun:"department_code"`
		Reason         string `bun:"reason"`
	}
	if err := scoped(m.d.DB.NewSelect()).Column("department_code", "reason").Where("departed").
		OrderExpr("id DESC").Limit(500).Scan(ctx, &reasons); err != nil {
		return nil, fmt.Errorf("discretion: figures: %w", err)
	}
	for _, r := range reasons {
		if f := fig(r.DepartmentCode); len(f.Reasons) < 50 {
			f.Reasons = append(f.Reasons, r.Reason)
		}
	}
	var acts []struct {
		DepartmentCode string `bun:"department_code"`
		Kind           string `bun:"kind"`
		N              int    `bun:"n"`
	}
	aq := m.d.DB.NewSelect().Table("discretion_activities").ColumnExpr("department_code, kind, COUNT(*) AS n").
		Where("on_date >= ? AND on_date <= ?", from, to).Group("department_code", "kind")
	if !all {
		aq = aq.Where("department_code IN (?)", bun.In(depts))
	}
	if err := aq.Scan(ctx, &acts); err != nil {
		return nil, fmt.Errorf("discretion: figures: %w", err)
	}
	for _, x := range acts {
		fig(x.DepartmentCode).Activities[x.Kind] += x.N
	}
	out := make([]Figure, 0, len(figs))
	for _, f := range figs {
		total := 0
		for _, n := range f.Activities {
			total += n
		}
		for k, n := range f.Activities {
			f.Shares[k] = float64(n) / float64(total)
		}
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Figure) int { return strings.Compare(a.DepartmentCode, b.DepartmentCode) })
	return out, nil
}
