package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

const orderCols = `id, number, channel, order_type, category_code, title, content, caller_name, caller_phone,
	caller_phone_idx, caller_user_id, taken_by, uscc, region_code, address, lat, lng, urgent, confidential, status,
	instance_id, lead_department_id, assist_department_ids, merged_into, source_ref, direct_closed, reply_text,
	replied_at, dispatched_at, signed_at, closed_at, visit_solved, visit_satisfaction, visit_note, visited_at,
	reopen_count, transfer_outcome, created_at, updated_at, not_public, sent_back_at, sent_back_by, sent_back_code,
	sent_back_reason, sent_back_suggest, assist_due_at, sign_due_at, reply_due_at, first_department_id,
	three_way_outcome, three_way_ref, three_way_note, three_way_at`

type scanner interface{ Scan(dest ...any) error }

func scanOrder(r scanner) (*Order, error) {
	var o Order
	var lat, lng sql.NullFloat64
	var merged sql.NullInt64
	var solved sql.NullBool
	var assist string
	var replied, dispatched, signed, closed, visited, sentBack, assistDue, signDue, replyDue, threeWay sql.NullTime
	err := r.Scan(&o.ID, &o.Number, &o.Channel, &o.Type, &o.CategoryCode, &o.Title, &o.Content, &o.CallerName,
		&o.phoneSealed, &o.phoneIndex, &o.CallerUserID, &o.TakenBy, &o.USCC, &o.RegionCode, &o.Address, &lat, &lng,
		&o.Urgent, &o.Confidential, &o.Status, &o.InstanceID, &o.LeadDept, &assist, &merged, &o.SourceRef,
		&o.DirectClosed, &o.ReplyText, &replied, &dispatched, &signed, &closed, &solved, &o.VisitSatisfaction,
		&o.VisitNote, &visited, &o.ReopenCount, &o.TransferOutcome, &o.CreatedAt, &o.UpdatedAt, &o.NotPublic, &sentBack,
		&o.SentBackBy, &o.SentBackCode, &o.SentBackReason, &o.SentBackSuggest, &assistDue, &signDue, &replyDue, &o.FirstDept,
		&o.ThreeWayOutcome, &o.ThreeWayRef, &o.ThreeWayNote, &threeWay)
	if err != nil {
		return nil, err
	}
	if lat.Valid && lng.Valid {
		o.Lat, o.Lng = &lat.Float64, &lng.Float64
	}
	o.MergedInto = merged.Int64
	if solved.Valid {
		o.VisitSolved = &solved.Bool
	}
	o.AssistDepts = store.ParseIDs(assist)
	o.RepliedAt, o.DispatchedAt, o.SignedAt, o.ClosedAt, o.VisitedAt = store.TimeOf(replied), store.TimeOf(dispatched),
		store.TimeOf(signed), store.TimeOf(closed), store.TimeOf(visited)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	o.SentBackAt, o.AssistDueAt = store.TimeOf(sentBack), store.TimeOf(assistDue)
	o.SignDueAt, o.ReplyDueAt = store.TimeOf(signDue), store.TimeOf(replyDue)
	o.ThreeWayAt = store.TimeOf(threeWay)
	return &o, nil
}

// load reads order id as stored, without checking who asks.
func (m *Module) load(ctx context.Context, db store.IDB, id int64) (*Order, error) {
	o, err := scanOrder(store.QueryRow(ctx, db, "SELECT "+orderCols+" FROM hotline_orders WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("hotline: order %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("hotline: order %d: %w", id, err)
	}
	return o, nil
}

// present prepares o for viewer a: the phone number in full only for the
// operator who took the call, masked for everyone else; a confidential
// reporter's name and phone hidden from whoever auth.CanSeeReporter refuses.
// The free text (title, content, reply, visit note, 110 outcome) shows the
// personal numbers typed into it (ID, phone, bank card numbers) only to the
// operator who took the call, the citizen who filed the order and the
// system; everyone else sees them masked by pii.MaskText.
func (m *Module) present(a *auth.Actor, o *Order) *Order {
	return m.presentAs(a, o, false)
}

// presentList is present for a list or an export: the phone number is
// masked even for the operator who took the call, whose full numbers
// belong on the one order being handled, not on a page of sixteen.
func (m *Module) presentList(a *auth.Actor, o *Order) *Order {
	return m.presentAs(a, o, true)
}

func (m *Module) presentAs(a *auth.Actor, o *Order, list bool) *Order {
	o.SignTier = m.set.Tier(o.Urgent, o.CategoryCode)
	if o.Status == StatusClosed && !o.ClosedAt.IsZero() {
		o.VisitDueAt = m.VisitDue(o.ClosedAt)
	}
	phone, err := m.d.Box.Open(o.phoneSealed)
	if err != nil {
		phone = ""
	}
	if !seesFreeText(a, o) {
		o.Title, o.Content = pii.MaskText(o.Title), pii.MaskText(o.Content)
		o.ReplyText, o.VisitNote = pii.MaskText(o.ReplyText), pii.MaskText(o.VisitNote)
		o.TransferOutcome = pii.MaskText(o.TransferOutcome)
		o.SentBackReason = pii.MaskText(o.SentBackReason)
		o.ThreeWayNote = pii.MaskText(o.ThreeWayNote)
	}
	if a != nil && a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) && !a.HasAny(staffRoles...) {
		// Which department refused the order and why is the staff's
		// business; the citizen follows the order's status.
		o.SentBackAt, o.SentBackBy, o.SentBackCode, o.SentBackReason, o.SentBackSuggest = time.Time{}, 0, "", "", 0
		o.AssistDueAt = time.Time{}
	}
	switch {
	case !auth.CanSeeReporter(a, o.Object()):
		o.CallerName, o.CallerPhone = "（保密）", ""
	case !list && a != nil && a.UserID != 0 && a.UserID == o.TakenBy:
		o.CallerPhone = phone
	default:
		o.CallerPhone = pii.MaskPhone(phone)
	}
	return o
}

// seesFreeText reports whether a reads o's free text as it was written:
// the operator who took the call, the citizen who filed it, and the system
// (the 110 transfer, notifications).
func seesFreeText(a *auth.Actor, o *Order) bool {
	switch {
	case a == nil:
		return false
	case a.Has(auth.RoleSystem):
		return true
	case a.UserID != 0 && (a.UserID == o.TakenBy || a.UserID == o.CallerUserID):
		return true
	}
	return false
}

// Get returns order id as actor a may see it. An order outside a's scope
// is ErrNotFound, so its existence is not disclosed.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64) (*Order, error) {
	o, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if m.d.Policy.Authorize(a, auth.ActRead, o.Object()) != nil {
		return nil, fmt.Errorf("hotline: order %d: %w", id, ErrNotFound)
	}
	return m.present(a, o), nil
}

// GetByNumber returns the order numbered number as a may see it.
func (m *Module) GetByNumber(ctx context.Context, a *auth.Actor, number string) (*Order, error) {
	var id int64
	err := m.d.DB.QueryRowContext(ctx, "SELECT id FROM hotline_orders WHERE number = ?", strings.TrimSpace(number)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("hotline: order %s: %w", number, err)
	}
	return m.Get(ctx, a, id)
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	Status       []Status
	Type         Type
	CategoryCode string // the category and its sub-categories
	RegionCode   string // the region and the regions within it
	DepartmentID int64  // lead department
	Channel      Channel
	Urgent       bool
	// Overdue keeps the orders past a running deadline, most overdue first
	// (read from the workflow's waits index for the caller's region).
	Overdue bool
	// Waiting keeps the orders waiting for the caller's departments'
	// handlers (to sign for or to answer, as lead or assisting department),
	// soonest deadline first, read from the workflow's waits index.
	Waiting      bool
	CallerUserID int64
	From, To     time.Time    // created within [From, To)
	Q            string       // part of the number, title or address
	Limit        int          // default 20, at most 500
	After        store.Cursor // the page after this position (Page.Next of the page before)
	// Public keeps only the orders the public may see (Order.Public).
	Public bool
	// Open, when set, keeps only open (true) or closed (false) orders as
	// Order.Open reads them.
	Open *bool
}

// scopeArm is one part of what an actor may read: a source of order ids in
// id order (the orders table, or a department's assisting entries) and the
// condition on it.
type scopeArm struct {
	from, idCol, cond string
	args              []any
}

// List returns one page of the orders matching f that a may read, newest
// first (most overdue first with f.Overdue), and where the page ends.
// Citizens and enterprises see only their own; handlers their departments'
// (lead or assisting); hotline staff and supervisors their region's.
//
// Each part of the caller's scope is read in index order up to the page
// size and the page is the first entries of their union, so a page costs
// the same whatever its number; the count stops at store.CountBound.
func (m *Module) List(ctx context.Context, a *auth.Actor, f Filter) ([]Order, store.Page, error) {
	if a == nil {
		return nil, store.Page{}, auth.ErrUnauthenticated
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	f.Limit = min(f.Limit, 500)
	var conds []string
	var args []any
	add := func(c string, v ...any) { conds = append(conds, c); args = append(args, v...) }

	// Scope: the union of what each of a's roles may read. The "<> 0" terms
	// let the partial indexes on caller_user_id and lead_department_id
	// (which leave out phone callers and undispatched orders) serve them.
	const orders = "hotline_orders"
	var arms []scopeArm
	rs := rules()[auth.ActRead]
	for _, r := range a.Roles {
		switch s := rs[r]; {
		case r == auth.RoleSystem:
			arms = append(arms, scopeArm{orders, "id", "1 = 1", nil})
		case s&auth.ScopeRegion != 0 && a.RegionCode != "":
			arms = append(arms, scopeArm{orders, "id", "region_code LIKE ?", []any{regionPrefix(a.RegionCode) + "%"}})
		case s&auth.ScopeDepartment != 0:
			for _, d := range a.DepartmentIDs {
				arms = append(arms, scopeArm{orders, "id", "lead_department_id = ? AND lead_department_id <> 0", []any{d}},
					scopeArm{"hotline_order_assists x JOIN hotline_orders ON id = x.order_id", "x.order_id", "x.department_id = ?", []any{d}})
			}
		case s&auth.ScopeOwn != 0:
			if a.UserID != 0 {
				arms = append(arms, scopeArm{orders, "id", "caller_user_id = ? AND caller_user_id <> 0", []any{a.UserID}})
			}
			if r == auth.RoleEnterprise && a.USCC != "" {
				arms = append(arms, scopeArm{orders, "id", "uscc = ? AND order_type LIKE 'appeal%'", []any{a.USCC}})
			}
		}
	}
	if len(arms) == 0 {
		return nil, store.Page{}, nil
	}
	if len(f.Status) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(f.Status)), ", ")
		vs := make([]any, len(f.Status))
		for i, s := range f.Status {
			vs[i] = s
		}
		add("status IN ("+ph+")", vs...)
	}
	if f.Type != "" {
		add("order_type = ?", f.Type)
	}
	if f.CategoryCode != "" {
		add("category_code LIKE ?", strings.TrimRight(f.CategoryCode, "0")+"%")
	}
	if f.RegionCode != "" {
		add("region_code LIKE ?", regionPrefix(f.RegionCode)+"%")
	}
	if f.DepartmentID != 0 {
		add("lead_department_id = ? AND lead_department_id <> 0", f.DepartmentID)
	}
	if f.Channel != "" {
		add("channel = ?", f.Channel)
	}
	if f.Urgent {
		add("urgent = TRUE")
	}
	if f.CallerUserID != 0 {
		add("caller_user_id = ? AND caller_user_id <> 0", f.CallerUserID)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", store.Time(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < ?", store.Time(f.To))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		pat := "%" + escapeLike(q) + "%"
		like := m.d.DB.Like()
		add("(number "+like+" ? ESCAPE '\\' OR title "+like+" ? ESCAPE '\\' OR address "+like+" ? ESCAPE '\\')", pat, pat, pat)
	}
	if f.Public {
		add("confidential = FALSE AND not_public = FALSE AND order_type NOT LIKE 'appeal%' AND status <> ?", StatusTransferred)
	}
	if f.Open != nil {
		open := "(status IN (?, ?, ?, ?) OR (status = ? AND reply_text = ''))"
		if !*f.Open {
			open = "NOT " + open
		}
		add(open, StatusNew, StatusDispatched, StatusHandling, StatusReplied, StatusMerged)
	}
	if f.Waiting {
		return m.listWaiting(ctx, a, conds, args, f)
	}
	if f.Overdue {
		if p := regionPrefix(a.RegionCode); len(a.RegionCode) == 6 {
			return m.listOverdue(ctx, a, p, arms, conds, args, f)
		}
		// No region to read the waits by: the orders whose instance is past
		// a deadline, by the instance index.
		add(`EXISTS (SELECT 1 FROM flow_instance_waits w WHERE w.instance_id = hotline_orders.instance_id
			AND w.kind = 'watch' AND w.due_at < ?)`, store.Time(m.d.Now()))
	}
	// One arm: ids of the arm, newest first, after the cursor, up to limit.
	armSQL := func(arm scopeArm, after store.Cursor, limit int) (string, []any) {
		where := append([]string{arm.cond}, conds...)
		aargs := append(slices.Clone(arm.args), args...)
		ks, kargs := store.Before("", arm.idCol, after)
		where, aargs = append(where, ks), append(aargs, kargs...)
		order := " ORDER BY " + arm.idCol + " DESC"
		if limit > store.CountBound {
			// A count needs no order: any CountBound+1 rows of each arm
			// tell whether the union passes the bound, and the planner
			// may then read a covering index instead of the table.
			order = ""
		}
		return "SELECT " + arm.idCol + " AS oid FROM " + arm.from + " WHERE " + strings.Join(where, " AND ") +
			order + " LIMIT " + strconv.Itoa(limit), aargs
	}
	union := func(after store.Cursor, limit int) (string, []any) {
		var parts []string
		var uargs []any
		for i, arm := range arms {
			s, a := armSQL(arm, after, limit)
			parts, uargs = append(parts, "SELECT oid FROM ("+s+") AS a"+strconv.Itoa(i)), append(uargs, a...)
		}
		return strings.Join(parts, " UNION "), uargs
	}
	var q string
	var qargs []any
	if len(arms) == 1 {
		// The common case (staff of a region): one ordered read.
		s, a := armSQL(arms[0], f.After, f.Limit+1)
		q, qargs = "SELECT "+qualified("hotline_orders")+" FROM hotline_orders JOIN ("+s+") AS u ON hotline_orders.id = u.oid ORDER BY u.oid DESC", a
	} else {
		s, a := union(f.After, f.Limit+1)
		q, qargs = "SELECT "+qualified("hotline_orders")+" FROM hotline_orders WHERE id IN ("+s+") ORDER BY id DESC LIMIT "+strconv.Itoa(f.Limit+1), a
	}
	out, err := m.scanOrders(ctx, a, q, qargs, nil)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: list: %w", err)
	}
	var pg store.Page
	if len(out) > f.Limit {
		out = out[:f.Limit]
		pg.Next = store.Cursor{ID: out[len(out)-1].ID}
	}
	s, ua := union(store.Cursor{}, store.CountBound+1)
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, s, ua...); err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: list: %w", err)
	}
	return out, pg, nil
}

// listOverdue is List with f.Overdue for a caller of a region: the running
// orders past a deadline in the region's watch entries of the workflow's
// waits index, most overdue first, kept when the caller's scope and the
// filters hold.
func (m *Module) listOverdue(ctx context.Context, a *auth.Actor, prefix string, arms []scopeArm, conds []string, args []any, f Filter) ([]Order, store.Page, error) {
	var scope []string
	var sargs []any
	for _, arm := range arms {
		if arm.cond == "1 = 1" || (arm.cond == "region_code LIKE ?" && arm.args[0] == prefix+"%") {
			// The whole region's watch entries are in scope: no order
			// needs checking, and the count reads the waits index alone.
			scope, sargs = []string{"1 = 1"}, nil
			break
		}
		if arm.from == "hotline_orders" {
			scope, sargs = append(scope, "("+arm.cond+")"), append(sargs, arm.args...)
		} else {
			scope, sargs = append(scope, "hotline_orders.id IN (SELECT order_id FROM hotline_order_assists WHERE department_id = ?)"),
				append(sargs, arm.args...)
		}
	}
	where := "w.kind = 'watch' AND w.role = '' AND w.ref = ? AND w.due_at < ? AND w.subject_type = ? AND (" + strings.Join(scope, " OR ") + ")"
	wargs := append([]any{prefix, store.Time(m.d.Now()), Kind}, sargs...)
	for _, c := range conds {
		where += " AND " + c
	}
	wargs = append(wargs, args...)
	from := " FROM flow_instance_waits w JOIN hotline_orders ON hotline_orders.instance_id = w.instance_id WHERE " + where
	ks, kargs := store.After("w.due_at", "w.instance_id", f.After)
	var dues []time.Time
	out, err := m.scanOrders(ctx, a, "SELECT "+qualified("hotline_orders")+", w.due_at"+from+" AND "+ks+
		" ORDER BY w.due_at, w.instance_id LIMIT "+strconv.Itoa(f.Limit+1), append(slices.Clone(wargs), kargs...), &dues)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: overdue list: %w", err)
	}
	var pg store.Page
	if len(out) > f.Limit {
		out = out[:f.Limit]
		pg.Next = store.Cursor{At: dues[f.Limit-1], ID: out[f.Limit-1].InstanceID}
	}
	countFrom := from
	if len(conds) == 0 && scope[0] == "1 = 1" {
		countFrom = " FROM flow_instance_waits w WHERE w.kind = 'watch' AND w.role = '' AND w.ref = ? AND w.due_at < ? AND w.subject_type = ?"
		wargs = wargs[:3]
	}
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT w.instance_id"+countFrom+" ORDER BY w.due_at, w.instance_id", wargs...); err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: overdue list: %w", err)
	}
	return out, pg, nil
}

// listWaiting is List with f.Waiting: for each of a's departments, the
// orders whose workflow instance waits for that department's handlers, in
// deadline order from the waits index, merged; kept when the filters hold.
func (m *Module) listWaiting(ctx context.Context, a *auth.Actor, conds []string, args []any, f Filter) ([]Order, store.Page, error) {
	if !a.Has(auth.RoleHandler) || len(a.DepartmentIDs) == 0 {
		return nil, store.Page{}, nil
	}
	arms := func(after store.Cursor, limit int) (string, []any) {
		var parts []string
		var uargs []any
		for i, d := range a.DepartmentIDs {
			where := "w.kind = 'dept' AND w.role = ? AND w.ref = ? AND w.subject_type = ?"
			wargs := []any{string(auth.RoleHandler), strconv.FormatInt(d, 10), Kind}
			for _, c := range conds {
				where += " AND " + c
			}
			wargs = append(wargs, args...)
			ks, kargs := store.After("w.due_at", "w.instance_id", after)
			q := "SELECT w.due_at AS w_due, w.instance_id AS w_id FROM flow_instance_waits w"
			if len(conds) > 0 {
				q += " JOIN hotline_orders ON hotline_orders.instance_id = w.instance_id"
			}
			// Ordered for the count too: the waits index is read in its
			// order up to the limit (see flow.Engine.Inbox).
			q += " WHERE " + where + " AND " + ks + " ORDER BY w.due_at, w.instance_id"
			parts = append(parts, "SELECT * FROM ("+q+" LIMIT "+strconv.Itoa(limit)+") AS a"+strconv.Itoa(i))
			uargs = append(uargs, append(wargs, kargs...)...)
		}
		return strings.Join(parts, " UNION "), uargs
	}
	u, uargs := arms(f.After, f.Limit+1)
	var dues []time.Time
	out, err := m.scanOrders(ctx, a, "SELECT "+qualified("hotline_orders")+", u.w_due FROM ("+u+") AS u"+
		" JOIN hotline_orders ON hotline_orders.instance_id = u.w_id ORDER BY u.w_due, u.w_id LIMIT "+strconv.Itoa(f.Limit+1), uargs, &dues)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: waiting list: %w", err)
	}
	var pg store.Page
	if len(out) > f.Limit {
		out = out[:f.Limit]
		pg.Next = store.Cursor{At: dues[f.Limit-1], ID: out[f.Limit-1].InstanceID}
	}
	c, cargs := arms(store.Cursor{}, store.CountBound+1)
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT w_id FROM ("+c+") AS u", cargs...); err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: waiting list: %w", err)
	}
	return out, pg, nil
}

// scanOrders runs q and presents each order for a. With dues set, each
// row carries one more column, a time, appended to *dues.
func (m *Module) scanOrders(ctx context.Context, a *auth.Actor, q string, args []any, dues *[]time.Time) ([]Order, error) {
	rows, err := m.d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		var sc scanner = rows
		var due time.Time
		if dues != nil {
			sc = extraScan{rows, &due}
		}
		o, err := scanOrder(sc)
		if err != nil {
			return nil, err
		}
		if dues != nil {
			*dues = append(*dues, store.Time(due))
		}
		out = append(out, *m.presentList(a, o))
	}
	return out, rows.Err()
}

// extraScan scans one more column after those its caller asks for.
type extraScan struct {
	r     scanner
	extra any
}

func (s extraScan) Scan(dest ...any) error { return s.r.Scan(append(dest, s.extra)...) }

// qualified returns orderCols each prefixed by table, for queries joining
// tables that share a column name.
func qualified(table string) string {
	cols := strings.Split(orderCols, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// regionPrefix returns the prefix of every region code within code.
func regionPrefix(code string) string {
	switch {
	case len(code) != 6:
		return code
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// nextNumber returns the next order number of the day of now (China
// time): 12345 + yyyymmdd + a six-digit sequence.
func nextNumber(ctx context.Context, tx store.IDB, now time.Time) (string, error) {
	day := now.In(cst).Format("20060102")
	var n int64
	err := store.QueryRow(ctx, tx, `INSERT INTO hotline_sequences (day, last) VALUES (?, 1)
		ON CONFLICT (day) DO UPDATE SET last = hotline_sequences.last + 1 RETURNING last`, day).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("hotline: number: %w", err)
	}
	return fmt.Sprintf("12345%s%06d", day, n), nil
}

var cst = time.FixedZone("CST", 8*3600)
