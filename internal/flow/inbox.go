package flow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// InboxQuery narrows and pages an inbox.
type InboxQuery struct {
	Limit         int // default 50, at most 500
	Offset        int
	Overdue       bool   // only cases past a running deadline
	DefinitionKey string // optional
	SubjectType   string // optional
	State         string // optional
	Q             string // optional: part of the reference or title
}

// InboxItem is one case waiting for the actor.
type InboxItem struct {
	Instance
	// HasDue reports whether a deadline runs; TimeLeft is then the time to
	// the nearest one (negative when overdue, frozen while paused) and
	// OverdueDays the working days it is overdue by.
	HasDue      bool
	TimeLeft    time.Duration
	OverdueDays int
}

// Inbox returns the open cases on which actor may take an action now,
// within the actor's scope for the role concerned (department staff: their
// departments' cases; regional staff: their region and the regions within
// it; citizens and enterprises: their own), soonest deadline first and cases
// without one last, with the total for paging.
func (e *Engine) Inbox(ctx context.Context, db store.IDB, actor *auth.Actor, q InboxQuery) ([]InboxItem, int, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	q.Offset = max(q.Offset, 0)
	now := e.now()
	where, args := scopeWhere(actor)
	if where == "" {
		return nil, 0, nil
	}
	where = "status <> 'done' AND (" + where + ")"
	if q.Overdue {
		where += " AND status = 'running' AND (state_due_at < ? OR due_at < ?)"
		args = append(args, now, now)
	}
	for _, f := range []struct{ col, v string }{{"def_key", q.DefinitionKey}, {"subject_type", q.SubjectType}, {"state", q.State}} {
		if f.v != "" {
			where += " AND " + f.col + " = ?"
			args = append(args, f.v)
		}
	}
	if q.Q != "" {
		like := e.db.Like()
		where += " AND (reference " + like + " ? ESCAPE '\\' OR title " + like + " ? ESCAPE '\\')"
		pat := "%" + escapeLike(strings.TrimSpace(q.Q)) + "%"
		args = append(args, pat, pat)
	}
	var total int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM flow_instances WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("flow: inbox: %w", err)
	}
	items, err := e.items(ctx, db, "SELECT "+instanceCols+" FROM flow_instances WHERE "+where+
		" ORDER BY (state_due_at IS NULL), state_due_at, (due_at IS NULL), due_at, id LIMIT ? OFFSET ?",
		append(args, q.Limit, q.Offset), now)
	if err != nil {
		return nil, 0, fmt.Errorf("flow: inbox: %w", err)
	}
	return items, total, nil
}

// maxOverdue bounds the Overdue list; a supervisor facing more pages by region.
const maxOverdue = 1000

// Overdue returns the running cases in region (and the regions within it)
// that are past a deadline or will be within soonWithin, most overdue first,
// for supervisors (督办). At most 1000 are returned.
func (e *Engine) Overdue(ctx context.Context, region string, soonWithin time.Duration) ([]InboxItem, error) {
	p := regionPrefix(region)
	if p == "" {
		return nil, fmt.Errorf("flow: overdue: region %q: %w", region, ErrForbidden)
	}
	now := e.now()
	soon := store.Time(now.Add(soonWithin))
	items, err := e.items(ctx, e.db, "SELECT "+instanceCols+` FROM flow_instances
		WHERE status = 'running' AND region_code LIKE ? AND (state_due_at < ? OR due_at < ?)
		ORDER BY (state_due_at IS NULL), state_due_at, (due_at IS NULL), due_at, id LIMIT ?`,
		[]any{p + "%", soon, soon, maxOverdue}, now)
	if err != nil {
		return nil, fmt.Errorf("flow: overdue: %w", err)
	}
	return items, nil
}

func (e *Engine) items(ctx context.Context, db store.IDB, query string, args []any, now time.Time) ([]InboxItem, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cal := e.cal()
	var out []InboxItem
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, err
		}
		it := InboxItem{Instance: *in}
		it.TimeLeft, it.HasDue = in.Remaining(now)
		if it.HasDue && it.TimeLeft < 0 && in.Status == StatusRunning {
			it.OverdueDays = cal.WorkingDaysBetween(in.nearestDue(), now)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// scopeWhere returns the condition selecting the instances actor may act on
// in their current state: for each role the actor holds, the role among
// those of the state's actions, and the instance within that role's scope.
func scopeWhere(actor *auth.Actor) (string, []any) {
	if actor == nil {
		return "", nil
	}
	var parts []string
	var args []any
	for _, r := range actor.Roles {
		var cond string
		var cargs []any
		switch scopeOf(r) {
		case scopeAll:
			cond = "1 = 1"
		case scopeDepartment:
			var ors []string
			for _, d := range actor.DepartmentIDs {
				ors = append(ors, "department_ids LIKE ?")
				cargs = append(cargs, store.IDPattern(d))
			}
			if len(ors) == 0 {
				continue
			}
			cond = "(" + strings.Join(ors, " OR ") + ")"
		case scopeRegion:
			p := regionPrefix(actor.RegionCode)
			if p == "" {
				continue
			}
			cond, cargs = "region_code LIKE ?", []any{p + "%"}
		case scopeOwner:
			if actor.UserID == 0 {
				continue
			}
			// "<> 0" lets the partial index on owner_user_id serve it.
			cond, cargs = "owner_user_id = ? AND owner_user_id <> 0", []any{actor.UserID}
		default:
			continue
		}
		parts = append(parts, "(actor_roles LIKE ? AND "+cond+")")
		args = append(args, "%,"+string(r)+",%")
		args = append(args, cargs...)
	}
	return strings.Join(parts, " OR "), args
}

// escapeLike quotes the LIKE wildcards in s so user text matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// Owned returns the cases owned by user (their applications and requests),
// open ones first by deadline, then finished ones newest first, with the
// total for paging. Citizens and enterprises follow their own cases here.
func (e *Engine) Owned(ctx context.Context, userID int64, limit, offset int) ([]InboxItem, int, error) {
	if userID <= 0 {
		return nil, 0, nil
	}
	if limit <= 0 {
		limit = 50
	}
	limit, offset = min(limit, 500), max(offset, 0)
	var total int
	// "<> 0" lets the partial index on owner_user_id serve both queries.
	if err := e.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM flow_instances WHERE owner_user_id = ? AND owner_user_id <> 0", userID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("flow: owned: %w", err)
	}
	items, err := e.items(ctx, e.db, "SELECT "+instanceCols+` FROM flow_instances WHERE owner_user_id = ? AND owner_user_id <> 0
		ORDER BY (status = 'done'), (state_due_at IS NULL), state_due_at, id DESC LIMIT ? OFFSET ?`,
		[]any{userID, limit, offset}, e.now())
	if err != nil {
		return nil, 0, fmt.Errorf("flow: owned: %w", err)
	}
	return items, total, nil
}

// OverdueDays returns the working days by which due has passed as of now,
// on the current calendar (0 when it has not passed).
func (e *Engine) OverdueDays(due time.Time) int {
	return e.cal().WorkingDaysBetween(due, e.now())
}
