package warning

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
)

// SweepResult counts what a sweep did, by rule.
type SweepResult struct {
	Raised   map[string]int `json:"raised"`
	Unrouted map[string]int `json:"unrouted"`
}

// Sweep evaluates every enabled rule on today's date and raises the
// warnings that are not already open. Running it again the same day raises
// nothing (one open warning per rule and business). The risk class rule is
// event driven (ClassChanged) and skipped here. Each rule runs in its own
// transaction; the caller's ctx is checked between rules.
func (m *Module) Sweep(ctx context.Context) (*SweepResult, error) {
	res := &SweepResult{Raised: map[string]int{}, Unrouted: map[string]int{}}
	for i := range m.d.Rules.List {
		r := &m.d.Rules.List[i]
		if r.Disabled || r.Kind == KindRiskClass {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("warning: sweep: %w", err)
		}
		err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			hits, err := m.evaluate(ctx, tx, r)
			if err != nil {
				return err
			}
			for _, h := range hits {
				_, ok, err := m.raise(ctx, tx, r, h)
				if err != nil {
					return err
				}
				switch {
				case ok:
					res.Raised[r.ID]++
				case h.dept == 0 && r.Department == "":
					res.Unrouted[r.ID]++
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("warning: sweep %s: %w", r.ID, err)
		}
	}
	return res, nil
}

func (m *Module) evaluate(ctx context.Context, tx store.IDB, r *Rule) ([]hit, error) {
	today := m.today()
	switch r.Kind {
	case KindComplaints:
		return m.complaints(ctx, tx, r, today)
	case KindLicenceExpiry:
		return m.licences(ctx, tx, r, today)
	case KindAnnualReport:
		return m.annualReports(ctx, tx, r, today)
	case KindSharedLegalRep:
		return m.sharedLegalRep(ctx, tx, today)
	}
	return nil, nil
}

func collect(rows *sql.Rows, err error, scan func(*sql.Rows) (hit, error)) ([]hit, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []hit
	for rows.Next() {
		h, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// complaints: at least Count complaint records about one business decided
// within the last WithinDays days, today included. The warning goes to the
// department of the latest complaint.
func (m *Module) complaints(ctx context.Context, tx store.IDB, r *Rule, today calendar.Date) ([]hit, error) {
	from := today.AddDays(-(r.WithinDays - 1)).String()
	rows, err := tx.QueryContext(ctx, `SELECT uscc, COUNT(*) FROM credit_records WHERE kind = 'complaint'
		AND decision_date >= ? AND decision_date <= ? AND withdrawn_on IS NULL GROUP BY uscc HAVING COUNT(*) >= ? ORDER BY uscc`,
		from, today.String(), r.Count)
	hits, err := collect(rows, err, func(rows *sql.Rows) (hit, error) {
		var h hit
		var n int
		err := rows.Scan(&h.uscc, &n)
		h.detail = fmt.Sprintf("%s 至 %s 投诉 %d 件 (%d complaints from %s to %s)", from, today, n, n, from, today)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("complaints: %w", err)
	}
	for i := range hits {
		if err := tx.QueryRowContext(ctx, `SELECT department_id, region_code FROM credit_records WHERE uscc = ? AND kind = 'complaint'
			ORDER BY decision_date DESC, id DESC LIMIT 1`, hits[i].uscc).Scan(&hits[i].dept, &hits[i].region); err != nil {
			return nil, fmt.Errorf("complaints: department: %w", err)
		}
	}
	return hits, nil
}

// licences: a valid certificate held by a business whose validity ends
// within WithinDays days from today (the last valid day counted). The
// warning goes to the issuing department.
func (m *Module) licences(ctx context.Context, tx store.IDB, r *Rule, today calendar.Date) ([]hit, error) {
	horizon := today.AddDays(r.WithinDays).Start()
	rows, err := tx.QueryContext(ctx, `SELECT holder_uscc, issuer_department_id, region_code, number, valid_until FROM certificates
		WHERE holder_uscc <> '' AND status = 'valid' AND valid_until IS NOT NULL AND valid_until > ? AND valid_until <= ?
		ORDER BY holder_uscc, valid_until`, store.Time(today.Start()), store.Time(horizon))
	seen := map[string]bool{}
	hits, err := collect(rows, err, func(rows *sql.Rows) (hit, error) {
		var h hit
		var number string
		var until time.Time
		err := rows.Scan(&h.uscc, &h.dept, &h.region, &number, &until)
		last := calendar.DateOf(until.Add(-time.Nanosecond))
		h.detail = fmt.Sprintf("证照 %s 有效期至 %s (licence %s valid until %s)", number, last, number, last)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("licences: %w", err)
	}
	return slices.DeleteFunc(hits, func(h hit) bool { dup := seen[h.uscc]; seen[h.uscc] = true; return dup }), nil
}

// annualReports: after the deadline of this year, a business in the
// register (存续/在业) established before this year with no annual report
// record decided this year, and not already on the abnormal list (which is
// then the measure in force). The warning goes to the rule's department or,
// without one, to the department of the business's latest credit record.
func (m *Module) annualReports(ctx context.Context, tx store.IDB, r *Rule, today calendar.Date) ([]hit, error) {
	deadline := fmt.Sprintf("%04d-%s", today.Year(), r.Deadline)
	if today.String() <= deadline {
		return nil, nil
	}
	jan1 := fmt.Sprintf("%04d-01-01", today.Year())
	rows, err := tx.QueryContext(ctx, `SELECT e.uscc, e.region_code FROM entities e
		WHERE e.status IN ('存续', '在业') AND e.established_on < ?
		AND NOT EXISTS (SELECT 1 FROM credit_records c WHERE c.uscc = e.uscc AND c.kind = 'annual_report' AND c.decision_date >= ?)
		AND NOT EXISTS (SELECT 1 FROM credit_abnormal a WHERE a.uscc = e.uscc AND a.removed_on IS NULL)
		ORDER BY e.uscc`, jan1, jan1)
	hits, err := collect(rows, err, func(rows *sql.Rows) (hit, error) {
		var h hit
		err := rows.Scan(&h.uscc, &h.region)
		h.detail = fmt.Sprintf("%d 年度报告截至 %s 未报送 (annual report for %d not filed by %s)", today.Year()-1, deadline,
			today.Year()-1, deadline)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("annual reports: %w", err)
	}
	if r.Department == "" {
		for i := range hits {
			err := tx.QueryRowContext(ctx, `SELECT department_id FROM credit_records WHERE uscc = ? AND department_id <> 0
				ORDER BY decision_date DESC, id DESC LIMIT 1`, hits[i].uscc).Scan(&hits[i].dept)
			if err != nil && err != sql.ErrNoRows {
				return nil, fmt.Errorf("annual reports: department: %w", err)
			}
		}
	}
	return hits, nil
}

// sharedLegalRep: a business in the register whose legal representative
// (by the ID number's blind index) represents another business that is on
// the 严重违法失信名单 today. The warning goes to the department that listed
// the other business; the detail names it by its code only.
func (m *Module) sharedLegalRep(ctx context.Context, tx store.IDB, today calendar.Date) ([]hit, error) {
	rows, err := tx.QueryContext(ctx, `SELECT e.uscc, e.region_code, MIN(o.uscc), MIN(s.department_id) FROM entities e
		JOIN entities o ON o.legal_rep_id_index = e.legal_rep_id_index AND o.uscc <> e.uscc
		JOIN credit_serious s ON s.uscc = o.uscc AND s.listed_on <= ? AND (s.removed_on IS NULL OR s.removed_on > ?)
		WHERE e.legal_rep_id_index <> '' AND e.status IN ('存续', '在业')
		AND NOT EXISTS (SELECT 1 FROM credit_serious x WHERE x.uscc = e.uscc AND x.listed_on <= ? AND (x.removed_on IS NULL OR x.removed_on > ?))
		GROUP BY e.uscc, e.region_code ORDER BY e.uscc`, today.String(), today.String(), today.String(), today.String())
	hits, err := collect(rows, err, func(rows *sql.Rows) (hit, error) {
		var h hit
		var other string
		err := rows.Scan(&h.uscc, &h.region, &other, &h.dept)
		h.detail = fmt.Sprintf("法定代表人同时担任 %s 的法定代表人，该主体已列入严重违法失信名单 (legal representative also of %s, on the serious list)", other, other)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("shared legal representative: %w", err)
	}
	return hits, nil
}

// ClassSource is what the risk module (internal/risk) offers: a business's
// current credit risk class and the one before it ("" when none).
type ClassSource interface {
	Class(ctx context.Context, uscc string) (current, previous string, err error)
}

// ClassSink is what this module offers the risk module: call ClassChanged
// when a business's class changes, in the transaction that changes it.
type ClassSink interface {
	ClassChanged(ctx context.Context, tx store.IDB, uscc, region string, previous, current string) (int64, error)
}

var _ ClassSink = (*Module)(nil)

// ClassChanged raises the risk class warnings: a class entering one of a
// rule's classes from a better one (A is best, D worst). It returns the new
// warning's id, 0 when none was raised (no drop, or one is already open).
func (m *Module) ClassChanged(ctx context.Context, tx store.IDB, uscc, region, previous, current string) (int64, error) {
	r := m.classRule(previous, current)
	if r == nil {
		return 0, nil
	}
	h := hit{uscc: uscc, region: region, detail: classDetail(previous, current)}
	if r.Department == "" {
		err := tx.QueryRowContext(ctx, `SELECT department_id FROM credit_records WHERE uscc = ? AND department_id <> 0
			ORDER BY decision_date DESC, id DESC LIMIT 1`, uscc).Scan(&h.dept)
		if err != nil && err != sql.ErrNoRows {
			return 0, fmt.Errorf("warning: class: department: %w", err)
		}
	}
	id, _, err := m.raise(ctx, tx, r, h)
	return id, err
}

// classRule returns the first enabled risk class rule that a change from
// class previous to current enters, nil when none does. A business's first
// class (previous "") counts as a drop from no class: a business first
// classified C is warned about as one that fell to C.
func (m *Module) classRule(previous, current string) *Rule {
	if current <= previous && previous != "" {
		return nil // same or better (letters order A < B < C < D)
	}
	for i := range m.d.Rules.List {
		r := &m.d.Rules.List[i]
		if r.Disabled || r.Kind != KindRiskClass || !slices.Contains(r.Classes, current) {
			continue
		}
		if previous != "" && slices.Contains(r.Classes, previous) {
			continue // already in a warned class
		}
		return r
	}
	return nil
}

// classDetail says what a class change was.
func classDetail(previous, current string) string {
	return fmt.Sprintf("信用风险分类由 %s 类降为 %s 类 (risk class %s → %s)", orDash(previous), current, orDash(previous), current)
}

// SyncClasses asks src for the class of each business and raises warnings
// for drops; for a risk module that prefers to be polled.
func (m *Module) SyncClasses(ctx context.Context, a *auth.Actor, src ClassSource, usccs []string) (int, error) {
	if !a.Has(auth.RoleSystem) {
		return 0, auth.ErrForbidden
	}
	n := 0
	for _, u := range usccs {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		cur, prev, err := src.Class(ctx, u)
		if err != nil {
			return n, fmt.Errorf("warning: class of %s: %w", u, err)
		}
		var region string
		_ = m.d.DB.QueryRowContext(ctx, `SELECT region_code FROM entities WHERE uscc = ?`, u).Scan(&region)
		err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			id, err := m.ClassChanged(ctx, tx, u, region, prev, cur)
			if id != 0 {
				n++
			}
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
