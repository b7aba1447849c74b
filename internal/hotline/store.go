package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	reopen_count, transfer_outcome, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanOrder(r scanner) (*Order, error) {
	var o Order
	var lat, lng sql.NullFloat64
	var merged sql.NullInt64
	var solved sql.NullBool
	var assist string
	var replied, dispatched, signed, closed, visited sql.NullTime
	err := r.Scan(&o.ID, &o.Number, &o.Channel, &o.Type, &o.CategoryCode, &o.Title, &o.Content, &o.CallerName,
		&o.phoneSealed, &o.phoneIndex, &o.CallerUserID, &o.TakenBy, &o.USCC, &o.RegionCode, &o.Address, &lat, &lng,
		&o.Urgent, &o.Confidential, &o.Status, &o.InstanceID, &o.LeadDept, &assist, &merged, &o.SourceRef,
		&o.DirectClosed, &o.ReplyText, &replied, &dispatched, &signed, &closed, &solved, &o.VisitSatisfaction,
		&o.VisitNote, &visited, &o.ReopenCount, &o.TransferOutcome, &o.CreatedAt, &o.UpdatedAt)
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
	phone, err := m.d.Box.Open(o.phoneSealed)
	if err != nil {
		phone = ""
	}
	if !seesFreeText(a, o) {
		o.Title, o.Content = pii.MaskText(o.Title), pii.MaskText(o.Content)
		o.ReplyText, o.VisitNote = pii.MaskText(o.ReplyText), pii.MaskText(o.VisitNote)
		o.TransferOutcome = pii.MaskText(o.TransferOutcome)
	}
	switch {
	case !auth.CanSeeReporter(a, o.Object()):
		o.CallerName, o.CallerPhone = "（保密）", ""
	case a != nil && a.UserID != 0 && a.UserID == o.TakenBy:
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
	Overdue      bool // past a running deadline (joins the workflow instance)
	CallerUserID int64
	From, To     time.Time // created within [From, To)
	Q            string    // part of the number, title or address
	Limit        int       // default 20, at most 500
	Offset       int
	// Public keeps only the orders the public may see (Order.Public).
	Public bool
	// Open, when set, keeps only open (true) or closed (false) orders as
	// Order.Open reads them.
	Open *bool
}

// List returns the orders matching f that a may read, newest first, and
// their number. Citizens and enterprises see only their own; handlers
// their departments'; hotline staff and supervisors their region's.
func (m *Module) List(ctx context.Context, a *auth.Actor, f Filter) ([]Order, int, error) {
	if a == nil {
		return nil, 0, auth.ErrUnauthenticated
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	var conds []string
	var args []any
	add := func(c string, v ...any) { conds = append(conds, c); args = append(args, v...) }

	// Scope: the union of what each of a's roles may read. The "<> 0" terms
	// let the partial indexes on caller_user_id and lead_department_id
	// (which leave out phone callers and undispatched orders) serve them.
	var scope []string
	var scopeArgs []any
	rs := rules()[auth.ActRead]
	for _, r := range a.Roles {
		switch s := rs[r]; {
		case r == auth.RoleSystem:
			scope = append(scope, "1 = 1")
		case s&auth.ScopeRegion != 0 && a.RegionCode != "":
			scope = append(scope, "region_code LIKE ?")
			scopeArgs = append(scopeArgs, regionPrefix(a.RegionCode)+"%")
		case s&auth.ScopeDepartment != 0:
			for _, d := range a.DepartmentIDs {
				scope = append(scope, "(lead_department_id = ? AND lead_department_id <> 0)", "assist_department_ids LIKE ?")
				scopeArgs = append(scopeArgs, d, "%,"+strconv.FormatInt(d, 10)+",%")
			}
		case s&auth.ScopeOwn != 0:
			if a.UserID != 0 {
				scope = append(scope, "(caller_user_id = ? AND caller_user_id <> 0)")
				scopeArgs = append(scopeArgs, a.UserID)
			}
			if r == auth.RoleEnterprise && a.USCC != "" {
				scope = append(scope, "(uscc = ? AND order_type LIKE 'appeal%')")
				scopeArgs = append(scopeArgs, a.USCC)
			}
		}
	}
	if len(scope) == 0 {
		return nil, 0, nil
	}
	add("("+strings.Join(scope, " OR ")+")", scopeArgs...)
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
		add("confidential = FALSE AND order_type NOT LIKE 'appeal%' AND status <> ?", StatusTransferred)
	}
	if f.Open != nil {
		open := "(status IN (?, ?, ?, ?) OR (status = ? AND reply_text = ''))"
		if !*f.Open {
			open = "NOT " + open
		}
		add(open, StatusNew, StatusDispatched, StatusHandling, StatusReplied, StatusMerged)
	}
	if f.Overdue {
		now := store.Time(m.d.Now())
		add(`instance_id IN (SELECT id FROM flow_instances WHERE status = 'running' AND
			(state_due_at < ? OR due_at < ?))`, now, now)
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM hotline_orders WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("hotline: list: %w", err)
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+orderCols+" FROM hotline_orders WHERE "+where+
		" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("hotline: list: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("hotline: list: %w", err)
		}
		out = append(out, *m.present(a, o))
	}
	return out, total, rows.Err()
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
