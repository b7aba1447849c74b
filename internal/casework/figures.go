package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/ids"
)

// The figures of the service hall, over the applications submitted in a
// period, per item, per department, per month and per pair of regions of
// cross-region handling. Definitions:
//
//   - decided: finished with a decision — approved (also when later revoked),
//     rejected or refused; withdrawn applications count as applications but
//     not as decided.
//   - on the spot (即办): decided on the (China) day it was submitted;
//     OnTheSpotShare is on-the-spot / decided.
//   - on time: decided no later than its workflow deadline (which moves with
//     clock pauses for correction and with granted extensions);
//     OnTimeRate is on-time / decided.
//   - days used: working days from submission to decision on the calendar
//     (the day of submission not counted), averaged over decided
//     applications beside the average promised and legal limits of their
//     items' versions.
//   - materials saved: materials not uploaded at submission because they
//     were satisfied by an e-certificate or checked with the issuing
//     department (共享, 免证办), or promised for later (容缺, counted even
//     after they were supplied).
//   - instant: approved by a rule (秒批).

// FiguresQuery selects the applications the figures cover: submitted in
// the months From through To (China time; zero From is twelve months
// before To, zero To the current month).
type FiguresQuery struct {
	From, To     time.Time
	ItemCode     string
	DepartmentID int64
}

// FigureRow is the figures of one group.
type FigureRow struct {
	Key            string  `json:"key"`
	Label          string  `json:"label"`
	Applications   int     `json:"applications"`
	Decided        int     `json:"decided"`
	OnTheSpot      int     `json:"on_the_spot"`
	OnTime         int     `json:"on_time"`
	Instant        int     `json:"instant"`
	SavedShared    int     `json:"saved_shared"`
	SavedShortfall int     `json:"saved_shortfall"`
	DaysUsed       float64 `json:"avg_days_used"`
	PromisedDays   float64 `json:"avg_promised_days"`
	LegalDays      float64 `json:"avg_legal_days"`

	daysSum, promisedSum, legalSum int
}

// OnTheSpotShare is the share of decided applications decided on the spot.
func (r FigureRow) OnTheSpotShare() float64 { return ratio(r.OnTheSpot, r.Decided) }

// OnTimeRate is the share of decided applications decided in time.
func (r FigureRow) OnTimeRate() float64 { return ratio(r.OnTime, r.Decided) }

// OnTheSpotPercent formats OnTheSpotShare for display.
func (r FigureRow) OnTheSpotPercent() string { return Percent(r.OnTheSpotShare()) }

// OnTimePercent formats OnTimeRate for display.
func (r FigureRow) OnTimePercent() string { return Percent(r.OnTimeRate()) }

// Percent formats a share as a percentage with one decimal.
func Percent(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Figures is the report.
type Figures struct {
	From, To     time.Time
	Total        FigureRow
	ByItem       []FigureRow
	ByDepartment []FigureRow
	ByMonth      []FigureRow
	// ByPair are cross-region applications by "intake → owning" region.
	ByPair []FigureRow
}

// figureApp is what the figures read of one application.
type figureApp struct {
	ItemCode, ItemName       string
	DepartmentID             int64
	Department               string
	IntakeRegion, Region     string
	Status                   Status
	SubmittedAt, FinishedAt  time.Time
	DueAt                    time.Time
	RuleVersion              int
	Promised, Legal          int
	SavedShared, SavedShortf int
}

// decided reports whether the application was decided.
func (f *figureApp) decided() bool {
	switch f.Status {
	case StatusApproved, StatusRejected, StatusRefused, StatusRevoked:
		return !f.FinishedAt.IsZero()
	}
	return false
}

// add counts f into r.
func (r *FigureRow) add(f *figureApp, cal *calendar.Calendar) {
	r.Applications++
	r.SavedShared += f.SavedShared
	r.SavedShortfall += f.SavedShortf
	if f.RuleVersion > 0 {
		r.Instant++
	}
	if !f.decided() {
		return
	}
	r.Decided++
	if f.SubmittedAt.In(cst).Format(time.DateOnly) == f.FinishedAt.In(cst).Format(time.DateOnly) {
		r.OnTheSpot++
	}
	if f.DueAt.IsZero() || !f.FinishedAt.After(f.DueAt) {
		r.OnTime++
	}
	r.daysSum += cal.WorkingDaysBetween(f.SubmittedAt, f.FinishedAt)
	r.promisedSum += f.Promised
	r.legalSum += f.Legal
	n := float64(r.Decided)
	r.DaysUsed, r.PromisedDays, r.LegalDays = float64(r.daysSum)/n, float64(r.promisedSum)/n, float64(r.legalSum)/n
}

// computeFigures groups apps.
func computeFigures(apps []figureApp, cal *calendar.Calendar, regionName func(string) string) *Figures {
	fg := &Figures{Total: FigureRow{Key: "total", Label: "合计"}}
	items, depts, months, pairs := map[string]*FigureRow{}, map[string]*FigureRow{}, map[string]*FigureRow{}, map[string]*FigureRow{}
	group := func(m map[string]*FigureRow, key, label string) *FigureRow {
		r, ok := m[key]
		if !ok {
			r = &FigureRow{Key: key, Label: label}
			m[key] = r
		}
		return r
	}
	for i := range apps {
		f := &apps[i]
		fg.Total.add(f, cal)
		group(items, f.ItemCode, f.ItemName).add(f, cal)
		group(depts, fmt.Sprint(f.DepartmentID), f.Department).add(f, cal)
		mo := f.SubmittedAt.In(cst).Format("2006-01")
		group(months, mo, mo).add(f, cal)
		if f.IntakeRegion != "" && !ids.RegionContains(f.Region, f.IntakeRegion) {
			group(pairs, f.IntakeRegion+"→"+f.Region, regionName(f.IntakeRegion)+" → "+regionName(f.Region)).add(f, cal)
		}
	}
	sorted := func(m map[string]*FigureRow) []FigureRow {
		out := make([]FigureRow, 0, len(m))
		for _, r := range m {
			out = append(out, *r)
		}
		slices.SortFunc(out, func(a, b FigureRow) int { return strings.Compare(a.Key, b.Key) })
		return out
	}
	fg.ByItem, fg.ByDepartment, fg.ByMonth, fg.ByPair = sorted(items), sorted(depts), sorted(months), sorted(pairs)
	return fg
}

// monthStart returns the first instant of t's month in China time, in UTC.
func monthStart(t time.Time) time.Time {
	c := t.In(cst)
	return time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, cst).UTC()
}

// Figures computes the figures of the applications a may see (a
// department's staff their departments', supervisors and administrators
// those taken in or owned within their region) selected by q.
func (m *Module) Figures(ctx context.Context, a *auth.Actor, q FiguresQuery) (*Figures, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if q.To.IsZero() {
		q.To = m.now()
	}
	to := monthStart(q.To).In(cst).AddDate(0, 1, 0).UTC()
	from := q.From
	if from.IsZero() {
		from = monthStart(q.To).In(cst).AddDate(0, -11, 0)
	}
	from = monthStart(from)
	var ors []string
	var args []any
	if a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) && a.RegionCode != "" {
		pat := regionPattern(a.RegionCode)
		ors, args = append(ors, "intake_region LIKE ?", "region_code LIKE ?"), append(args, pat, pat)
	}
	if a.HasAny(auth.RoleHandler, auth.RoleApprover) {
		for _, d := range a.DepartmentIDs {
			ors, args = append(ors, "department_id = ?"), append(args, d)
		}
	}
	if a.Has(auth.RoleSystem) {
		ors = append(ors, "1 = 1")
	}
	if len(ors) == 0 {
		return nil, ErrForbidden
	}
	where := "(" + strings.Join(ors, " OR ") + ") AND submitted_at >= ? AND submitted_at < ?"
	args = append(args, from, to)
	if q.ItemCode != "" {
		where, args = where+" AND item_code = ?", append(args, q.ItemCode)
	}
	if q.DepartmentID != 0 {
		where, args = where+" AND department_id = ?", append(args, q.DepartmentID)
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id, item_code, item_version, item_name, department_id, intake_region,
		region_code, status, submitted_at, finished_at, rule_version, instance_id FROM casework_applications WHERE `+where+
		` ORDER BY id LIMIT 50001`, args...)
	if err != nil {
		return nil, fmt.Errorf("casework: figures: %w", err)
	}
	type row struct {
		id, instance int64
		version      int
		f            figureApp
	}
	var rs []row
	for rows.Next() {
		var r row
		var finished sql.NullTime
		if err := rows.Scan(&r.id, &r.f.ItemCode, &r.version, &r.f.ItemName, &r.f.DepartmentID, &r.f.IntakeRegion,
			&r.f.Region, &r.f.Status, &r.f.SubmittedAt, &finished, &r.f.RuleVersion, &r.instance); err != nil {
			rows.Close()
			return nil, fmt.Errorf("casework: figures: %w", err)
		}
		r.f.SubmittedAt, r.f.FinishedAt = r.f.SubmittedAt.UTC(), nt(finished)
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("casework: figures: %w", err)
	}
	if len(rs) > 50000 {
		return nil, &FieldError{Path: "from", Message: "所选期间办件超过5万件，请缩小范围 (more than 50 000 applications: narrow the period)"}
	}
	saved, err := m.savedMaterials(ctx, where, args)
	if err != nil {
		return nil, err
	}
	limits := map[string][2]int{}
	apps := make([]figureApp, len(rs))
	for i, r := range rs {
		f := r.f
		key := fmt.Sprintf("%s@%d", f.ItemCode, r.version)
		lim, ok := limits[key]
		if !ok {
			if it, err := m.d.Catalog.Version(ctx, f.ItemCode, r.version); err == nil {
				lim = [2]int{it.PromisedLimitDays, it.LegalLimitDays}
			} else if !isCatalogNotFound(err) {
				return nil, fmt.Errorf("casework: figures: %w", err)
			}
			limits[key] = lim
		}
		f.Promised, f.Legal = lim[0], lim[1]
		f.Department = m.departmentName(ctx, f.DepartmentID)
		s := saved[r.id]
		f.SavedShared, f.SavedShortf = s[0], s[1]
		if f.decided() && r.instance != 0 {
			if in, err := m.d.Flow.Instance(ctx, r.instance); err == nil {
				f.DueAt = in.DueAt
			}
		}
		apps[i] = f
	}
	fg := computeFigures(apps, m.d.Calendar(), m.regionName(ctx))
	fg.From, fg.To = from, to
	return fg, nil
}

// savedMaterials counts, per application selected by where, the materials
// satisfied by sharing and those promised (容缺).
func (m *Module) savedMaterials(ctx context.Context, where string, args []any) (map[int64][2]int, error) {
	rows, err := m.d.DB.QueryContext(ctx, `SELECT application_id,
		SUM(CASE WHEN provision IN ('certificate', 'verification') THEN 1 ELSE 0 END),
		SUM(CASE WHEN provision = 'shortfall' OR supplied_at IS NOT NULL THEN 1 ELSE 0 END)
		FROM casework_materials WHERE application_id IN (SELECT id FROM casework_applications WHERE `+where+`)
		GROUP BY application_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("casework: figures: materials: %w", err)
	}
	defer rows.Close()
	out := map[int64][2]int{}
	for rows.Next() {
		var id int64
		var shared, short int
		if err := rows.Scan(&id, &shared, &short); err != nil {
			return nil, fmt.Errorf("casework: figures: materials: %w", err)
		}
		out[id] = [2]int{shared, short}
	}
	return out, rows.Err()
}

// regionName returns a function naming regions, cached for one report.
func (m *Module) regionName(ctx context.Context) func(string) string {
	names := map[string]string{}
	return func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		n := code
		if r, err := m.d.Org.GetRegion(ctx, code); err == nil {
			n = r.Name
		}
		names[code] = n
		return n
	}
}

func isCatalogNotFound(err error) bool { return errors.Is(err, catalog.ErrNotFound) }
