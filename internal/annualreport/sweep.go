package annualreport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// rosterPage is how many businesses a sweep reads at a time.
const rosterPage = 500

// owing calls fn for each page of businesses that owe a report for year
// (status in the rules, established by 31 December of year) and have not
// filed it, in code order, watching ctx.
func (m *Module) owing(ctx context.Context, year int, fn func([]entity.Brief) error) error {
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := m.d.Register.Roster(ctx, m.d.Rules.Statuses, calendar.NewDate(year, 12, 31), after, rosterPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].USCC
		filed, err := m.filedAmong(ctx, year, page)
		if err != nil {
			return err
		}
		var out []entity.Brief
		for _, b := range page {
			if !filed[b.USCC] {
				out = append(out, b)
			}
		}
		if len(out) > 0 {
			if err := fn(out); err != nil {
				return err
			}
		}
	}
}

// filedAmong returns which of page filed their report for year.
func (m *Module) filedAmong(ctx context.Context, year int, page []entity.Brief) (map[string]bool, error) {
	args := []any{year}
	for _, b := range page {
		args = append(args, b.USCC)
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT uscc FROM annual_reports WHERE year = ? AND uscc IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(page)), ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("annualreport: filed: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out[u] = true
	}
	return out, rows.Err()
}

// SweepResult says what a sweep did.
type SweepResult struct {
	Year     int `json:"year"`
	Reminded int `json:"reminded"`
	Listed   int `json:"listed"`
	// Done is true when the year's listing had already run.
	Done bool `json:"done"`
	// Unobserved is true when the platform did not run during the year's
	// filing window, so nobody is listed for it.
	Unobserved bool `json:"unobserved,omitempty"`
}

// ObserveWindow records that the businesses could file year's report on
// the platform. Sweep records it on any day of the window; a city that
// loads earlier reports, or the demo, records it itself.
func (m *Module) ObserveWindow(ctx context.Context, year int, day calendar.Date) error {
	_, err := m.d.DB.ExecContext(ctx, "INSERT INTO annual_report_windows (year, seen_on) VALUES (?, ?) ON CONFLICT DO NOTHING",
		year, day.String())
	if err != nil {
		return fmt.Errorf("annualreport: observe window %d: %w", year, err)
	}
	return nil
}

// Sweep does what day calls for, and is safe to run any number of times
// on any number of nodes: from RemindDaysBefore days before the window's
// end to its end, it reminds each business that has not filed, once; from
// the day after the end, it lists every business that owed the report and
// did not file (once per business and year; the year is then marked done)
// — provided the platform ran during the window (ObserveWindow): one
// started on 1 August lists nobody for the year its businesses reported
// elsewhere.
// progress, when set, is told each page.
func (m *Module) Sweep(ctx context.Context, day calendar.Date, progress func(SweepResult)) (SweepResult, error) {
	year := ReportYear(day)
	res := SweepResult{Year: year}
	from, to := m.d.Rules.Window(year)
	if !day.Before(from) && !day.After(to) {
		if err := m.ObserveWindow(ctx, year, day); err != nil {
			return res, err
		}
	}
	switch {
	case day.After(to):
		var seen string
		err := m.d.DB.QueryRowContext(ctx, "SELECT seen_on FROM annual_report_windows WHERE year = ?", year).Scan(&seen)
		if errors.Is(err, sql.ErrNoRows) {
			res.Unobserved = true
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("annualreport: sweep %d: %w", year, err)
		}
		var ran string
		err = m.d.DB.QueryRowContext(ctx, "SELECT ran_on FROM annual_report_sweeps WHERE year = ?", year).Scan(&ran)
		if err == nil {
			res.Done = true
			return res, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return res, fmt.Errorf("annualreport: sweep %d: %w", year, err)
		}
		return m.list(ctx, year, day, progress)
	case !day.Before(to.AddDays(-m.d.Rules.RemindDaysBefore)):
		return m.remind(ctx, year, day, progress)
	}
	return res, nil
}

// remind writes one reminder per business not yet reminded for year, in
// the transaction that records it.
func (m *Module) remind(ctx context.Context, year int, day calendar.Date, progress func(SweepResult)) (SweepResult, error) {
	res := SweepResult{Year: year}
	_, to := m.d.Rules.Window(year)
	err := m.owing(ctx, year, func(page []entity.Brief) error {
		return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for _, b := range page {
				r, err := tx.ExecContext(ctx, `INSERT INTO annual_report_reminders (uscc, year, sent_on) VALUES (?, ?, ?)
					ON CONFLICT DO NOTHING`, b.USCC, year, day.String())
				if err != nil {
					return fmt.Errorf("annualreport: remind %s: %w", b.USCC, err)
				}
				if n, _ := r.RowsAffected(); n == 0 {
					continue
				}
				if err := outbox.Add(ctx, tx, m.d.Now(), TopicReminder, map[string]any{"uscc": b.USCC, "name": b.Name,
					"year": year, "deadline": to.String()}); err != nil {
					return err
				}
				res.Reminded++
			}
			return nil
		})
	})
	if progress != nil {
		progress(res)
	}
	return res, err
}

// keeper returns the department that lists business of region: of the
// departments granted the abnormal list, the one whose region is nearest
// above region; 0 (the platform) when none is.
func (m *Module) keeper(ctx context.Context, keepers []int64, region string) (int64, string, error) {
	best, bestRegion := int64(0), ""
	for _, id := range keepers {
		d, err := m.d.Org.Department(ctx, id)
		if err != nil {
			return 0, "", err
		}
		if !d.Active || !ids.RegionContains(d.RegionCode, region) {
			continue
		}
		if best == 0 || ids.RegionContains(bestRegion, d.RegionCode) && d.RegionCode != bestRegion {
			best, bestRegion = d.ID, d.RegionCode
		}
	}
	return best, bestRegion, nil
}

// listerActor is the actor in whose name the sweep lists for department
// dept: the platform, acting as that department.
func listerActor(dept int64, region string) *auth.Actor {
	if dept == 0 {
		return auth.System()
	}
	return &auth.Actor{Name: "年度报告自动列入 (annual report sweep)", Roles: []auth.Role{auth.RoleHandler},
		RegionCode: region, DepartmentIDs: []int64{dept}}
}

// list lists the non-filers of year on the day after the window, a page
// of the register at a time: one transaction writes the page's listing
// rows (their ids number the decisions), the credit module lists each
// business in its own, and one more names the listings in the rows. A
// rerun after a crash finds the rows and completes those not yet named.
func (m *Module) list(ctx context.Context, year int, day calendar.Date, progress func(SweepResult)) (SweepResult, error) {
	res := SweepResult{Year: year}
	_, to := m.d.Rules.Window(year)
	listedOn := to.AddDays(1)
	keepers, err := m.d.Credit.Keepers(ctx, credit.ListAbnormal)
	if err != nil {
		return res, err
	}
	// The keeper of each region, found once per sweep.
	byRegion := map[string]keeperOf{}
	err = m.owing(ctx, year, func(page []entity.Brief) error {
		for _, b := range page {
			if _, ok := byRegion[b.RegionCode]; !ok {
				dept, region, err := m.keeper(ctx, keepers, b.RegionCode)
				if err != nil {
					return err
				}
				byRegion[b.RegionCode] = keeperOf{dept, region}
			}
		}
		n, err := m.listBatch(ctx, byRegion, page, year, listedOn)
		res.Listed += n
		if progress != nil {
			progress(res)
		}
		return err
	})
	if err != nil {
		return res, err
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO annual_report_sweeps (year, ran_on, listed, finished_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, year, day.String(), res.Listed, store.Time(m.d.Now())); err != nil {
			return fmt.Errorf("annualreport: sweep %d: %w", year, err)
		}
		if res.Listed == 0 {
			return nil // each listing has its own audit entry in credit
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorName: "system", Action: "annualreport.sweep",
			ObjectType: "annual_report_year", ObjectID: strconv.Itoa(year), Detail: map[string]any{"listed": res.Listed, "on": day.String()}})
		return err
	})
	return res, err
}

// keeperOf is the department that lists the businesses of a region.
type keeperOf struct {
	dept   int64
	region string
}

// listBatch lists the businesses of page for year and returns how many it
// listed now.
func (m *Module) listBatch(ctx context.Context, keepers map[string]keeperOf, page []entity.Brief, year int, listedOn calendar.Date) (int, error) {
	type row struct {
		id       int64
		b        entity.Brief
		decision string
		abnormal int64
		dept     int64
	}
	var rows []row
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rows = rows[:0]
		args := []any{year}
		for _, b := range page {
			args = append(args, b.USCC)
		}
		found := map[string]row{}
		q, err := tx.QueryContext(ctx, `SELECT id, uscc, abnormal_id, decision_no FROM annual_report_listings WHERE year = ? AND uscc IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(page)), ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("annualreport: listings: %w", err)
		}
		for q.Next() {
			var r row
			if err := q.Scan(&r.id, &r.b.USCC, &r.abnormal, &r.decision); err != nil {
				q.Close()
				return err
			}
			found[r.b.USCC] = r
		}
		q.Close()
		if err := q.Err(); err != nil {
			return err
		}
		for _, b := range page {
			r, ok := found[b.USCC]
			r.b, r.dept = b, keepers[b.RegionCode].dept
			if !ok {
				if err := tx.QueryRowContext(ctx, `INSERT INTO annual_report_listings (uscc, year, abnormal_id, department_id, region_code,
					decision_no, listed_on) VALUES (?, ?, 0, ?, ?, '', ?) RETURNING id`, b.USCC, year, r.dept, b.RegionCode,
					listedOn.String()).Scan(&r.id); err != nil {
					return fmt.Errorf("annualreport: list %s: %w", b.USCC, err)
				}
				r.decision = fmt.Sprintf("%s〔%d〕%06d号", m.d.Rules.DecisionPrefix, listedOn.Year(), r.id)
				if _, err := tx.ExecContext(ctx, "UPDATE annual_report_listings SET decision_no = ? WHERE id = ?", r.decision, r.id); err != nil {
					return err
				}
			}
			if r.abnormal == 0 {
				rows = append(rows, r)
			}
		}
		return nil
	})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	listed := 0
	for i := range rows {
		if err := ctx.Err(); err != nil {
			return listed, err
		}
		r := &rows[i]
		k := keepers[r.b.RegionCode]
		ab, err := m.d.Credit.ListAsAbnormal(ctx, listerActor(k.dept, k.region), credit.AbnormalInput{USCC: r.b.USCC,
			Reason: "annual_report", ListedOn: listedOn.String(), DecisionNo: r.decision})
		var fe *valid.FieldError
		if errors.As(err, &fe) && fe.Path == "reason" {
			// Already on the list for not reporting (an earlier year's
			// listing not yet removed, or this one written before a crash):
			// name it.
			ab, err = m.activeListing(ctx, r.b.USCC, listedOn)
		} else if err == nil {
			listed++
		}
		if err != nil {
			return listed, fmt.Errorf("annualreport: list %s: %w", r.b.USCC, err)
		}
		r.abnormal, r.dept = ab.ID, ab.DepartmentID
	}
	return listed, m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, "UPDATE annual_report_listings SET abnormal_id = ?, department_id = ? WHERE id = ?",
				r.abnormal, r.dept, r.id); err != nil {
				return fmt.Errorf("annualreport: list %s: %w", r.b.USCC, err)
			}
		}
		return nil
	})
}

// activeListing returns uscc's listing for not reporting in force on day.
//
// The listing in force may also be one made after day (a city that loaded
// its history listed the business later in the year): it is looked for as
// of day first, then as of today (the zero Date).
func (m *Module) activeListing(ctx context.Context, uscc string, day calendar.Date) (*credit.Abnormal, error) {
	for _, on := range []calendar.Date{day, {}} {
		st, err := m.d.Credit.StateOf(ctx, auth.System(), uscc, on)
		if err != nil {
			return nil, err
		}
		for i := len(st.Abnormal) - 1; i >= 0; i-- {
			if ab := st.Abnormal[i]; ab.Reason == "annual_report" && ab.Active {
				return &ab, nil
			}
		}
	}
	return nil, ErrNotFound
}

// Listing is a business's listing for not reporting a year, and its
// removal.
type Listing struct {
	ID            int64     `json:"id"`
	USCC          string    `json:"uscc"`
	Year          int       `json:"year"`
	AbnormalID    int64     `json:"abnormal_id"`
	DepartmentID  int64     `json:"department_id"`
	RegionCode    string    `json:"region_code"`
	DecisionNo    string    `json:"decision_no"`
	ListedOn      string    `json:"listed_on"`
	RemovalStatus string    `json:"removal_status" enum:",pending,removed,refused"`
	AppliedAt     time.Time `json:"removal_applied_at,omitzero"`
	RemovalNo     string    `json:"removal_decision_no,omitempty"`
	DecidedAt     time.Time `json:"removal_decided_at,omitzero"`
	RefusalReason string    `json:"removal_reason,omitempty"`
}

const listingCols = `id, uscc, year, abnormal_id, department_id, region_code, decision_no, listed_on, removal_status,
	removal_applied_at, removal_decision_no, removal_decided_at, removal_reason`

func scanListing(r interface{ Scan(...any) error }) (*Listing, error) {
	var l Listing
	var applied, decided sql.NullTime
	if err := r.Scan(&l.ID, &l.USCC, &l.Year, &l.AbnormalID, &l.DepartmentID, &l.RegionCode, &l.DecisionNo, &l.ListedOn,
		&l.RemovalStatus, &applied, &l.RemovalNo, &decided, &l.RefusalReason); err != nil {
		return nil, err
	}
	if applied.Valid {
		l.AppliedAt = applied.Time.UTC()
	}
	if decided.Valid {
		l.DecidedAt = decided.Time.UTC()
	}
	return &l, nil
}

// listing returns the listing of uscc for year, nil when none.
func (m *Module) listing(ctx context.Context, db store.IDB, uscc string, year int) (*Listing, error) {
	l, err := scanListing(db.QueryRowContext(ctx, "SELECT "+listingCols+" FROM annual_report_listings WHERE uscc = ? AND year = ? AND abnormal_id <> 0",
		uscc, year))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return l, err
}

// Listings returns the listings of a's business, newest first.
func (m *Module) Listings(ctx context.Context, a *auth.Actor, uscc string) ([]Listing, error) {
	if a == nil || (!a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object(ids.NormalizeUSCC(uscc), "")) != nil) {
		return nil, ErrNotFound
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+listingCols+` FROM annual_report_listings WHERE uscc = ? AND abnormal_id <> 0
		ORDER BY year DESC LIMIT 50`, ids.NormalizeUSCC(uscc))
	if err != nil {
		return nil, fmt.Errorf("annualreport: listings: %w", err)
	}
	defer rows.Close()
	var out []Listing
	for rows.Next() {
		l, err := scanListing(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	return out, rows.Err()
}

// ApplyRemoval is the business's application to be removed from the list
// for year, once it has filed that year's report.
func (m *Module) ApplyRemoval(ctx context.Context, a *auth.Actor, year int) (*Listing, error) {
	if a == nil || !a.Has(auth.RoleEnterprise) || a.USCC == "" {
		return nil, ErrNotFound
	}
	l, err := m.listing(ctx, m.d.DB, a.USCC, year)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, ErrNotFound
	}
	if _, err := m.Get(ctx, a, a.USCC, year); errors.Is(err, ErrNotFound) {
		return nil, &valid.FieldError{Path: "year", Message: "须先补报该年度报告 (file the year's report first)"}
	} else if err != nil {
		return nil, err
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE annual_report_listings SET removal_status = 'pending', removal_applied_at = ?,
			removal_applied_by = ?, removal_reason = '' WHERE id = ? AND removal_status IN ('', 'refused')`, store.Time(m.d.Now()), a.UserID, l.ID)
		if err != nil {
			return fmt.Errorf("annualreport: apply removal: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "annualreport.removal.apply",
			ObjectType: "annual_report_listing", ObjectID: strconv.FormatInt(l.ID, 10), RegionCode: l.RegionCode,
			Detail: map[string]any{"uscc": l.USCC, "year": year}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.listing(ctx, m.d.DB, a.USCC, year)
}

// listingByID returns listing id, if a may decide it (404 otherwise).
func (m *Module) listingByID(ctx context.Context, a *auth.Actor, id int64) (*Listing, error) {
	l, err := scanListing(m.d.DB.QueryRowContext(ctx, "SELECT "+listingCols+" FROM annual_report_listings WHERE id = ? AND abnormal_id <> 0", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("annualreport: listing %d: %w", id, err)
	}
	if !m.mayDecide(a, l) {
		return nil, ErrNotFound
	}
	return l, nil
}

// mayDecide: handlers and approvers of the listing department; for a
// listing of the platform (no department kept the list), administrators
// of the business's region.
func (m *Module) mayDecide(a *auth.Actor, l *Listing) bool {
	if a.Has(auth.RoleSystem) {
		return true
	}
	if l.DepartmentID == 0 {
		return m.d.Policy.Authorize(a, auth.ActRead, object(l.USCC, l.RegionCode)) == nil && a.Has(auth.RoleAdmin) &&
			ids.RegionContains(a.RegionCode, l.RegionCode)
	}
	o := object(l.USCC, l.RegionCode)
	o.DepartmentIDs = []int64{l.DepartmentID}
	return m.d.Policy.Authorize(a, auth.ActAct, o) == nil
}

// RemovalDecision is the listing department's decision on an application.
type RemovalDecision struct {
	Remove     bool   `json:"remove"`
	DecisionNo string `json:"decision_no,omitempty" maxLength:"100" doc:"The removal decision's number (移出经营异常名录决定书文号); required to remove"`
	Reason     string `json:"reason,omitempty" maxLength:"1000" doc:"Required to refuse"`
}

// DecideRemoval decides a pending application: removal takes the business
// off the list through the credit module, dated today, under the decision
// number; a refusal gives reasons.
func (m *Module) DecideRemoval(ctx context.Context, a *auth.Actor, id int64, d RemovalDecision) (*Listing, error) {
	l, err := m.listingByID(ctx, a, id)
	if err != nil {
		return nil, err
	}
	d.DecisionNo, d.Reason = strings.TrimSpace(d.DecisionNo), strings.TrimSpace(d.Reason)
	switch {
	case d.Remove && d.DecisionNo == "":
		return nil, &valid.FieldError{Path: "decision_no", Message: "须填写移出决定书文号 (the decision number is required)"}
	case !d.Remove && d.Reason == "":
		return nil, &valid.FieldError{Path: "reason", Message: "不予移出须说明理由 (give the reasons)"}
	case len([]rune(d.DecisionNo)) > 100 || valid.Text("decision_no", d.DecisionNo) != nil:
		return nil, &valid.FieldError{Path: "decision_no", Message: "文号不超过100字，不含控制字符 (at most 100 characters)"}
	case len([]rune(d.Reason)) > 1000 || valid.Text("reason", d.Reason) != nil:
		return nil, &valid.FieldError{Path: "reason", Message: "理由不超过1000字，不含控制字符 (at most 1000 characters)"}
	case l.RemovalStatus != "pending":
		return nil, ErrState
	}
	today := m.today()
	status := "refused"
	if d.Remove {
		status = "removed"
		lister := a
		if l.DepartmentID == 0 {
			lister = auth.System()
		}
		if _, err := m.d.Credit.RemoveAbnormal(ctx, lister, l.AbnormalID, today.String(), d.DecisionNo); err != nil &&
			!errors.Is(err, credit.ErrState) {
			return nil, err
		}
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE annual_report_listings SET removal_status = ?, removal_decision_no = ?, removal_reason = ?,
			removal_decided_at = ?, removal_decided_by = ? WHERE id = ? AND removal_status = 'pending'`, status, d.DecisionNo, d.Reason,
			store.Time(m.d.Now()), a.UserID, l.ID)
		if err != nil {
			return fmt.Errorf("annualreport: decide removal: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "annualreport.removal." + status,
			ObjectType: "annual_report_listing", ObjectID: strconv.FormatInt(l.ID, 10), RegionCode: l.RegionCode,
			Detail: map[string]any{"uscc": l.USCC, "year": l.Year, "decision_no": d.DecisionNo, "reason": d.Reason}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.listingByID(ctx, auth.System(), id)
}

// PendingRemovals returns the applications a may decide, oldest first,
// up to limit after id after.
func (m *Module) PendingRemovals(ctx context.Context, a *auth.Actor, after int64, limit int) ([]Listing, error) {
	if a == nil || !a.HasAny(auth.RoleHandler, auth.RoleApprover, auth.RoleAdmin, auth.RoleSystem) {
		return nil, auth.ErrForbidden
	}
	q := "SELECT " + listingCols + " FROM annual_report_listings WHERE removal_status = 'pending' AND id > ?"
	args := []any{after}
	if !a.HasAny(auth.RoleSystem, auth.RoleAdmin) {
		if len(a.DepartmentIDs) == 0 {
			return nil, nil
		}
		q += " AND department_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(a.DepartmentIDs)), ", ") + ")"
		for _, d := range a.DepartmentIDs {
			args = append(args, d)
		}
	}
	rows, err := m.d.DB.QueryContext(ctx, q+" ORDER BY id LIMIT ?", append(args, limit*4)...)
	if err != nil {
		return nil, fmt.Errorf("annualreport: pending removals: %w", err)
	}
	defer rows.Close()
	var out []Listing
	for rows.Next() {
		l, err := scanListing(rows)
		if err != nil {
			return nil, err
		}
		if m.mayDecide(a, l) && len(out) < limit {
			out = append(out, *l)
		}
	}
	return out, rows.Err()
}

// Status is one business's standing for a year, as staff lists show it.
type Status struct {
	USCC       string `json:"uscc"`
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
	Filed      bool   `json:"filed"`
	FiledOn    string `json:"filed_on,omitempty"`
	Late       bool   `json:"late,omitempty"`
	// Cursor is where the next page starts after this row.
	Cursor string `json:"-"`
}

// Filed returns a page of the reports filed for year, in filing order,
// after cursor, and the bounded count of the list.
func (m *Module) Filed(ctx context.Context, a *auth.Actor, year int, after store.Cursor, limit int) ([]Status, store.Page, error) {
	var pg store.Page
	if a == nil || !a.IsStaff() {
		return nil, pg, auth.ErrForbidden
	}
	cond, args := store.After("filed_at", "id", after)
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id, uscc, name, region_code, filed_on, late, filed_at FROM annual_reports
		WHERE year = ? AND `+cond+` ORDER BY filed_at, id LIMIT ?`, append(append([]any{year}, args...), limit+1)...)
	if err != nil {
		return nil, pg, fmt.Errorf("annualreport: filed: %w", err)
	}
	defer rows.Close()
	var out []Status
	var last store.Cursor
	for rows.Next() {
		var s Status
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &s.USCC, &s.Name, &s.RegionCode, &s.FiledOn, &s.Late, &at); err != nil {
			return nil, pg, err
		}
		if len(out) == limit {
			pg.Next = last
			break
		}
		s.Filed, last = true, store.Cursor{At: at.UTC(), ID: id}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, pg, err
	}
	pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT id FROM annual_reports WHERE year = ?", year)
	return out, pg, err
}

// NotFiled returns a page of the businesses that owe year's report and
// have not filed it, in code order after code after, and the code to
// continue from ("" at the end).
func (m *Module) NotFiled(ctx context.Context, a *auth.Actor, year int, after string, limit int) ([]Status, string, error) {
	if a == nil || !a.IsStaff() {
		return nil, "", auth.ErrForbidden
	}
	var out []Status
	for len(out) < limit {
		page, err := m.d.Register.Roster(ctx, m.d.Rules.Statuses, calendar.NewDate(year, 12, 31), after, rosterPage)
		if err != nil {
			return nil, "", err
		}
		if len(page) == 0 {
			return out, "", nil
		}
		filed, err := m.filedAmong(ctx, year, page)
		if err != nil {
			return nil, "", err
		}
		for _, b := range page {
			after = b.USCC
			if filed[b.USCC] {
				continue
			}
			out = append(out, Status{USCC: b.USCC, Name: b.Name, RegionCode: b.RegionCode})
			if len(out) == limit {
				// Whether anything follows is known on the next page.
				return out, after, nil
			}
		}
	}
	return out, after, nil
}
