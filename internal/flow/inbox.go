package flow

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// InboxQuery narrows and pages an inbox.
type InboxQuery struct {
	Limit         int          // default 50, at most 500
	After         store.Cursor // the page after this position (Page.Next of the page before)
	Overdue       bool         // only cases past a running deadline
	DefinitionKey string       // optional
	SubjectType   string       // optional
	State         string       // optional
	Q             string       // optional: part of the reference or title
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

// Page is store.Page: where a page of a list ends and how long the list is.
type Page = store.Page

// Inbox returns the open cases on which actor may take an action now,
// within the actor's scope for the role concerned (department staff: their
// departments' cases; regional staff: their region and the regions within
// it; citizens and enterprises: their own), soonest deadline first and cases
// without one last, one page at a time.
//
// Each scope the actor holds is one range of the waits index read in
// deadline order up to the page size; the page is the first entries of
// their union. A page costs the same whatever the page number and however
// many cases are open.
func (e *Engine) Inbox(ctx context.Context, db store.IDB, actor *auth.Actor, q InboxQuery) ([]InboxItem, Page, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	now := e.now()
	keys := scopeKeys(actor)
	if len(keys) == 0 {
		return nil, Page{}, nil
	}
	// Filters on the instance join it in each arm; the waits index still
	// orders the arm.
	var join string
	var conds []string
	var cargs []any
	if q.Overdue {
		// The paused flag is on the wait row, so the overdue range of each
		// scope is read from the waits index alone: joining every row to its
		// instance for its status made PostgreSQL hash-join the scope's rows
		// with a scan of all running instances (208 ms at 1,000,000).
		conds, cargs = append(conds, "w.due_at < ?", "w.paused = FALSE"), append(cargs, store.Time(now))
	}
	if q.SubjectType != "" {
		conds, cargs = append(conds, "w.subject_type = ?"), append(cargs, q.SubjectType)
	}
	for _, f := range []struct{ col, v string }{{"i.def_key", q.DefinitionKey}, {"i.state", q.State}} {
		if f.v != "" {
			conds, cargs = append(conds, f.col+" = ?"), append(cargs, f.v)
		}
	}
	if q.Q != "" {
		like := e.db.Like()
		conds = append(conds, "(i.reference "+like+" ? ESCAPE '\\' OR i.title "+like+" ? ESCAPE '\\')")
		pat := "%" + escapeLike(strings.TrimSpace(q.Q)) + "%"
		cargs = append(cargs, pat, pat)
	}
	if q.DefinitionKey != "" || q.State != "" || q.Q != "" {
		join = " JOIN flow_instances i ON i.id = w.instance_id"
	}
	arm := func(k wait, after store.Cursor, limit int) (string, []any) {
		where := "w.kind = ? AND w.role = ? AND w.ref = ?"
		args := []any{k.kind, k.role, k.ref}
		for _, c := range conds {
			where += " AND " + c
		}
		args = append(args, cargs...)
		ks, kargs := store.After("w.due_at", "w.instance_id", after)
		where += " AND " + ks
		args = append(args, kargs...)
		// The order also serves the count: the index is read in its own
		// order up to the limit, where a planner left free to choose may
		// gather the whole range (PostgreSQL's bitmap scans) first.
		return "SELECT w.due_at AS w_due, w.instance_id AS w_id FROM flow_instance_waits w" + join + " WHERE " + where +
			" ORDER BY w.due_at, w.instance_id LIMIT " + strconv.Itoa(limit), args
	}
	var arms []string
	var args []any
	for _, k := range keys {
		s, a := arm(k, q.After, q.Limit+1)
		arms, args = append(arms, "SELECT * FROM ("+s+") AS a"+strconv.Itoa(len(arms))), append(args, a...)
	}
	list := strings.Join(arms, " UNION ")
	items, err := e.items(ctx, db, "SELECT "+instanceCols+" FROM ("+list+") AS u JOIN flow_instances ON id = u.w_id"+
		" ORDER BY u.w_due, u.w_id LIMIT "+strconv.Itoa(q.Limit+1), args, now)
	if err != nil {
		return nil, Page{}, fmt.Errorf("flow: inbox: %w", err)
	}
	var pg Page
	if len(items) > q.Limit {
		items = items[:q.Limit]
		last := items[len(items)-1]
		pg.Next = store.Cursor{At: waitDue(&last.Instance), ID: last.ID}
	}
	// The count: each scope's entries from the start, up to the bound.
	arms, args = arms[:0], args[:0]
	for _, k := range keys {
		s, a := arm(k, store.Cursor{}, store.CountBound+1)
		arms, args = append(arms, "SELECT * FROM ("+s+") AS a"+strconv.Itoa(len(arms))), append(args, a...)
	}
	if pg.Count, err = store.CountUpTo(ctx, db, "SELECT w_id FROM ("+strings.Join(arms, " UNION ")+") AS u", args...); err != nil {
		return nil, Page{}, fmt.Errorf("flow: inbox: %w", err)
	}
	return items, pg, nil
}

// waitDue is the due_at of in's wait rows: the nearest deadline, or noDue.
func waitDue(in *Instance) time.Time {
	if d := in.nearestDue(); !d.IsZero() {
		return store.Time(d)
	}
	return noDue
}

// scopeKeys returns the wait rows an actor's inbox reads: for each role the
// actor holds, the rows of that role in the actor's scope for it.
func scopeKeys(actor *auth.Actor) []wait {
	if actor == nil {
		return nil
	}
	var keys []wait
	for _, r := range actor.Roles {
		role := string(r)
		switch scopeOf(r) {
		case scopeAll:
			keys = append(keys, wait{waitAll, role, ""})
		case scopeDepartment:
			for _, d := range actor.DepartmentIDs {
				keys = append(keys, wait{waitDept, role, strconv.FormatInt(d, 10)})
			}
		case scopeRegion:
			if p := regionPrefix(actor.RegionCode); p != "" {
				keys = append(keys, wait{waitRegion, role, p})
			}
		case scopeOwner:
			if actor.UserID != 0 {
				keys = append(keys, wait{waitOwner, role, strconv.FormatInt(actor.UserID, 10)})
			}
		}
	}
	return dedupWaits(keys)
}

// OverdueQuery pages the supervisor's view.
type OverdueQuery struct {
	Region string // the region (and the regions within it)
	// Until is the end of the window: cases whose nearest deadline is
	// before it (now for the overdue ones). From, when set, is its start.
	From, Until time.Time
	// SubjectType, when set, keeps only one module's cases.
	SubjectType string
	Limit       int          // default 50, at most 500
	After       store.Cursor // the page after this position
}

// Overdue returns the running cases in q.Region (and the regions within
// it) whose nearest deadline falls in [q.From, q.Until), most overdue
// first, one page at a time, for supervisors (督办). It reads the watch
// rows of the waits index for the region's prefix: one index range.
func (e *Engine) Overdue(ctx context.Context, q OverdueQuery) ([]InboxItem, Page, error) {
	p := regionPrefix(q.Region)
	if p == "" {
		return nil, Page{}, fmt.Errorf("flow: overdue: region %q: %w", q.Region, ErrForbidden)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	now := e.now()
	where := "w.kind = ? AND w.role = '' AND w.ref = ? AND w.due_at < ?"
	args := []any{waitWatch, p, store.Time(q.Until)}
	if !q.From.IsZero() {
		where, args = where+" AND w.due_at >= ?", append(args, store.Time(q.From))
	}
	if q.SubjectType != "" {
		where, args = where+" AND w.subject_type = ?", append(args, q.SubjectType)
	}
	ks, kargs := store.After("w.due_at", "w.instance_id", q.After)
	items, err := e.items(ctx, e.db, "SELECT "+instanceCols+` FROM (SELECT w.due_at AS w_due, w.instance_id AS w_id
		FROM flow_instance_waits w WHERE `+where+" AND "+ks+` ORDER BY w.due_at, w.instance_id LIMIT ?) AS u
		JOIN flow_instances ON id = u.w_id ORDER BY u.w_due, u.w_id`,
		append(append(slices.Clone(args), kargs...), q.Limit+1), now)
	if err != nil {
		return nil, Page{}, fmt.Errorf("flow: overdue: %w", err)
	}
	var pg Page
	if len(items) > q.Limit {
		items = items[:q.Limit]
		last := items[len(items)-1]
		pg.Next = store.Cursor{At: waitDue(&last.Instance), ID: last.ID}
	}
	if pg.Count, err = store.CountUpTo(ctx, e.db, "SELECT w.instance_id FROM flow_instance_waits w WHERE "+where+
		" ORDER BY w.due_at, w.instance_id", args...); err != nil {
		return nil, Page{}, fmt.Errorf("flow: overdue: %w", err)
	}
	return items, pg, nil
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

// escapeLike quotes the LIKE wildcards in s so user text matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// Owned returns one page of the cases owned by user (their applications
// and requests), newest first, and where it ends: a keyset page by id (the
// index on owner and id), with a count bounded at store.CountBound.
// Citizens and enterprises follow their own cases here.
func (e *Engine) Owned(ctx context.Context, userID int64, limit int, after store.Cursor) ([]InboxItem, Page, error) {
	if userID <= 0 {
		return nil, Page{}, nil
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var pg Page
	var err error
	// "<> 0" lets the partial index on (owner_user_id, id) serve both queries.
	if pg.Count, err = store.CountUpTo(ctx, e.db, "SELECT id FROM flow_instances WHERE owner_user_id = ? AND owner_user_id <> 0 ORDER BY id DESC", userID); err != nil {
		return nil, Page{}, fmt.Errorf("flow: owned: %w", err)
	}
	ks, kargs := store.Before("", "id", after)
	items, err := e.items(ctx, e.db, "SELECT "+instanceCols+" FROM flow_instances WHERE owner_user_id = ? AND owner_user_id <> 0 AND "+ks+
		" ORDER BY id DESC LIMIT ?", append(append([]any{userID}, kargs...), limit+1), e.now())
	if err != nil {
		return nil, Page{}, fmt.Errorf("flow: owned: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		pg.Next = store.Cursor{ID: items[limit-1].ID}
	}
	return items, pg, nil
}

// OverdueDays returns the working days by which due has passed as of now,
// on the current calendar (0 when it has not passed).
func (e *Engine) OverdueDays(due time.Time) int {
	return e.cal().WorkingDaysBetween(due, e.now())
}
