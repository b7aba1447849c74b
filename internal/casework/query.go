package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// readable reads application id in db if actor a may see it. An
// application outside the actor's scope is reported as not found, so its
// existence is not disclosed.
func (m *Module) readable(ctx context.Context, db store.IDB, a *auth.Actor, id int64) (*Application, error) {
	app, err := m.load(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActRead, app.object()); err != nil {
		return nil, fmt.Errorf("casework: application %d: %w", id, ErrNotFound)
	}
	return app, nil
}

// Get returns application id if a may see it.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64) (*Application, error) {
	app, err := m.readable(ctx, m.d.DB, a, id)
	if err != nil {
		return nil, err
	}
	m.describeReports(ctx, app)
	return app, nil
}

// Query selects applications for List. Zero values do not filter.
type Query struct {
	Q      string // part of the number, item name or applicant name
	Status Status
	Limit  int          // 1–200; 0 means 20
	After  store.Cursor // the page after this position (Page.Next of the page before)
}

// List returns one page of the applications a may see, newest first, and
// where it ends (a keyset page by id, with a count bounded at
// store.CountBound):
// the public their own (an enterprise user all of the enterprise's), a
// department's staff their departments', clerks and supervisors their
// region's intake.
func (m *Module) List(ctx context.Context, a *auth.Actor, q Query) ([]Application, store.Page, error) {
	if a == nil {
		return nil, store.Page{}, auth.ErrUnauthenticated
	}
	var ors []string
	var args []any
	if a.Has(auth.RoleCitizen) && a.UserID != 0 {
		ors, args = append(ors, "applicant_user_id = ?"), append(args, a.UserID)
	}
	if a.Has(auth.RoleEnterprise) && a.USCC != "" {
		ors, args = append(ors, "(applicant_kind = 'enterprise' AND applicant_uscc = ?)"), append(args, a.USCC)
		ors, args = append(ors, "applicant_user_id = ?"), append(args, a.UserID)
	}
	if a.HasAny(auth.RoleHandler, auth.RoleApprover) {
		for _, d := range a.DepartmentIDs {
			ors, args = append(ors, "department_id = ?"), append(args, d)
		}
	}
	if a.HasAny(auth.RoleClerk, auth.RoleSupervisor, auth.RoleAdmin) && a.RegionCode != "" {
		ors, args = append(ors, "intake_region LIKE ?"), append(args, regionPattern(a.RegionCode))
	}
	if a.Has(auth.RoleSystem) {
		ors = append(ors, "1 = 1")
	}
	if len(ors) == 0 {
		return nil, store.Page{}, nil
	}
	where := "(" + strings.Join(ors, " OR ") + ")"
	if q.Status != "" {
		where += " AND status = ?"
		args = append(args, q.Status)
	}
	if s := strings.TrimSpace(q.Q); s != "" {
		pat := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s) + "%"
		like := m.d.DB.Like()
		where += " AND (number " + like + " ? ESCAPE '!' OR item_name " + like + " ? ESCAPE '!' OR applicant_name " + like + " ? ESCAPE '!')"
		args = append(args, pat, pat, pat)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	var pg store.Page
	var err error
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT id FROM casework_applications WHERE "+where, args...); err != nil {
		return nil, store.Page{}, fmt.Errorf("casework: list: %w", err)
	}
	ks, kargs := store.Before("", "id", q.After)
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+appCols+" FROM casework_applications WHERE "+where+" AND "+ks+
		" ORDER BY id DESC LIMIT ?", append(append(args, kargs...), limit+1)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("casework: list: %w", err)
	}
	defer rows.Close()
	var out []Application
	for n := 0; rows.Next(); n++ {
		app, err := scanApp(rows)
		if err != nil {
			return nil, store.Page{}, fmt.Errorf("casework: list: %w", err)
		}
		if n == limit {
			pg.Next = store.Cursor{ID: app.ID + 1} // the page after starts at (and below) this row
			break
		}
		// The policy has the last word on every row.
		if m.d.Policy.Authorize(a, auth.ActRead, app.object()) != nil {
			continue
		}
		out = append(out, *app)
	}
	return out, pg, rows.Err()
}

// regionPattern returns a LIKE pattern for the regions within code.
func regionPattern(code string) string {
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2] + "%"
	case strings.HasSuffix(code, "00"):
		return code[:4] + "%"
	}
	return code
}

// ApplicationFor returns the application whose workflow instance (or
// verification task) is inst, if a may see it; the inbox's case pages use
// it to link to the richer application page.
func (m *Module) ApplicationFor(ctx context.Context, a *auth.Actor, instanceID int64) (*Application, error) {
	var id int64
	err := m.d.DB.QueryRowContext(ctx, `SELECT id FROM casework_applications WHERE instance_id = ? OR verification_instance_id = ?`,
		instanceID, instanceID).Scan(&id)
	if err != nil {
		if errors.Is(err, errNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("casework: application for instance %d: %w", instanceID, err)
	}
	return m.Get(ctx, a, id)
}
