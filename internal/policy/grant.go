package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// The states of a grant.
const (
	GrantPublicity = "publicity" // on the publicity list (公示), objections may be raised
	GrantGranted   = "granted"   // decided: to be paid
	GrantPaid      = "paid"      // the payment is recorded
	GrantRefused   = "refused"   // decided against (信用核查, an upheld objection)
	GrantDeclined  = "declined"  // the business declined it
)

// Grant is one business's grant under one policy.
type Grant struct {
	ID             int64        `json:"id"`
	PolicyID       int64        `json:"policy_id"`
	PolicyTitle    string       `json:"policy_title"`
	USCC           string       `json:"uscc"`
	Name           string       `json:"name,omitempty"`
	RegionCode     string       `json:"region_code"`
	Status         string       `json:"status" enum:"publicity,granted,paid,refused,declined"`
	Applied        bool         `json:"applied" doc:"true: 即申即享 on application; false: 免申即享"`
	AmountYuan     float64      `json:"amount_yuan"`
	PublicityFrom  string       `json:"publicity_from,omitempty"`
	PublicityUntil string       `json:"publicity_until,omitempty" doc:"Last day of publicity, on the working-day calendar"`
	DecidedOn      string       `json:"decided_on,omitempty"`
	Reason         string       `json:"reason,omitempty"`
	Bank           string       `json:"bank,omitempty"`
	Account        string       `json:"account,omitempty" doc:"Masked"`
	PaidOn         string       `json:"paid_on,omitempty"`
	Objections     []*Objection `json:"objections"`
	CreatedAt      time.Time    `json:"created_at"`
	departmentID   int64
}

// Objection is one objection raised during publicity and its answer.
type Objection struct {
	ID         int64     `json:"id"`
	Text       string    `json:"text"`
	ByName     string    `json:"by_name"`
	CreatedAt  time.Time `json:"created_at"`
	Answer     string    `json:"answer,omitempty"`
	Upheld     bool      `json:"upheld"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
}

// Open reports whether the objection still awaits its answer.
func (o *Objection) Open() bool { return o.AnsweredAt.IsZero() }

const grantCols = `g.id, g.policy_id, p.title, p.department_id, g.uscc, g.region_code, g.status, g.applied, g.amount_fen,
	g.publicity_from, g.publicity_until, g.decided_on, g.reason, g.bank, g.account, g.paid_on, g.created_at`

func scanGrant(r interface{ Scan(...any) error }) (*Grant, error) {
	var g Grant
	var amount int64
	if err := r.Scan(&g.ID, &g.PolicyID, &g.PolicyTitle, &g.departmentID, &g.USCC, &g.RegionCode, &g.Status, &g.Applied, &amount,
		&g.PublicityFrom, &g.PublicityUntil, &g.DecidedOn, &g.Reason, &g.Bank, &g.Account, &g.PaidOn, &g.CreatedAt); err != nil {
		return nil, err
	}
	g.AmountYuan = float64(amount) / 100
	g.Account = maskAccount(g.Account)
	g.CreatedAt = g.CreatedAt.UTC()
	g.Objections = []*Objection{}
	return &g, nil
}

// maskAccount shows the last four digits of a bank account only.
func maskAccount(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return s
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}

func (g *Grant) object() auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: g.RegionCode, DepartmentIDs: []int64{g.departmentID}, OwnerUSCC: g.USCC}
}

// publicityEnd is the last day of a publicity of days working days
// starting the day after from.
func (m *Module) publicityEnd(from time.Time, days int) string {
	return calendar.DateOf(m.d.Calendar().AddWorkingDays(from, days)).String()
}

// grantNew puts the newly eligible businesses of the range into the
// publicity of the 免申即享 policies among pols, as far as the budget
// goes; a pair the budget no longer covers is refused as such.
func (m *Module) grantNew(ctx context.Context, tx store.Tx, lo, hi string, pols []*compiled) (int, error) {
	n := 0
	now := m.d.Now()
	for _, c := range pols {
		if c.p.Mode != ModeAuto {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT x.uscc, x.amount_fen FROM policy_matches x WHERE x.policy_id = ? AND x.uscc >= ?
			AND x.uscc <= ? AND x.eligible AND NOT EXISTS (SELECT 1 FROM policy_grants g WHERE g.policy_id = x.policy_id
			AND g.uscc = x.uscc) ORDER BY x.uscc`, c.p.ID, lo, hi)
		if err != nil {
			return 0, fmt.Errorf("policy: grants: %w", err)
		}
		type pair struct {
			uscc   string
			amount int64
		}
		var ps []pair
		for rows.Next() {
			var p pair
			if err := rows.Scan(&p.uscc, &p.amount); err != nil {
				rows.Close()
				return 0, err
			}
			ps = append(ps, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ps) == 0 {
			if err != nil {
				return 0, err
			}
			continue
		}
		used, err := m.used(ctx, tx, c.p.ID)
		if err != nil {
			return 0, err
		}
		until := m.publicityEnd(now, c.p.PublicityDays)
		for _, p := range ps {
			if c.budgetFen > 0 && used+p.amount > c.budgetFen {
				if _, err := tx.ExecContext(ctx, `UPDATE policy_matches SET eligible = ?, refused = ? WHERE policy_id = ? AND uscc = ?`,
					false, "budget", c.p.ID, p.uscc); err != nil {
					return 0, err
				}
				continue
			}
			used += p.amount
			region := ""
			if len(p.uscc) >= 8 {
				region = p.uscc[2:8]
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO policy_grants (policy_id, uscc, region_code, status, applied, amount_fen,
				publicity_from, publicity_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.p.ID, p.uscc, region, GrantPublicity, false, p.amount, calendar.DateOf(now).String(), until,
				store.Time(now), store.Time(now)); err != nil {
				return 0, fmt.Errorf("policy: grant: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// used is the amount a policy has granted or has on publicity.
func (m *Module) used(ctx context.Context, db store.IDB, policyID int64) (int64, error) {
	var used sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT SUM(amount_fen) FROM policy_grants WHERE policy_id = ? AND status IN (?, ?, ?)`,
		policyID, GrantPublicity, GrantGranted, GrantPaid).Scan(&used); err != nil {
		return 0, fmt.Errorf("policy: budget used: %w", err)
	}
	return used.Int64, nil
}

func (m *Module) grant(ctx context.Context, db store.IDB, id int64) (*Grant, error) {
	g, err := scanGrant(db.QueryRowContext(ctx, "SELECT "+grantCols+" FROM policy_grants g JOIN policies p ON p.id = g.policy_id WHERE g.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("policy: grant %d: %w", id, err)
	}
	rows, err := db.QueryContext(ctx, `SELECT id, text, by_name, created_at, answer, upheld, answered_at FROM policy_objections
		WHERE grant_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("policy: objections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o Objection
		var at sql.NullTime
		if err := rows.Scan(&o.ID, &o.Text, &o.ByName, &o.CreatedAt, &o.Answer, &o.Upheld, &at); err != nil {
			return nil, err
		}
		o.CreatedAt, o.AnsweredAt = o.CreatedAt.UTC(), store.TimeOf(at)
		g.Objections = append(g.Objections, &o)
	}
	return g, rows.Err()
}

// canSeeGrant: the issuing department, supervisors of the region, the
// business itself; during publicity everyone signed in (公示 is public).
func (m *Module) canSeeGrant(a *auth.Actor, g *Grant) bool {
	if a == nil {
		return false
	}
	if a.Has(auth.RoleSystem) || g.Status == GrantPublicity {
		return true
	}
	return m.d.Policy.Authorize(a, auth.ActRead, g.object()) == nil
}

func (m *Module) canDecide(a *auth.Actor, g *Grant) bool {
	return a.Has(auth.RoleSystem) || !a.Has(auth.RoleEnterprise) && m.d.Policy.Authorize(a, auth.ActAdminister, g.object()) == nil
}

// GetGrant returns grant id if a may see it.
func (m *Module) GetGrant(ctx context.Context, a *auth.Actor, id int64) (*Grant, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	g, err := m.grant(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.canSeeGrant(a, g) {
		return nil, ErrNotFound
	}
	if g.Status == GrantPublicity && !m.canDecide(a, g) && !(a.Has(auth.RoleEnterprise) && a.USCC == g.USCC) {
		for _, o := range g.Objections { // objectors are not named to the public
			o.ByName = ""
		}
	}
	return g, nil
}

// GrantFilter selects grants: of one policy, in one state, after an id.
type GrantFilter struct {
	PolicyID int64
	Status   string
	USCC     string
	After    int64
	Limit    int
}

// Grants lists the grants a may see, oldest first (keyset on id).
func (m *Module) Grants(ctx context.Context, a *auth.Actor, f GrantFilter) ([]*Grant, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	where, args := []string{"g.id > ?"}, []any{f.After}
	if f.PolicyID != 0 {
		where, args = append(where, "g.policy_id = ?"), append(args, f.PolicyID)
	}
	if f.Status != "" {
		where, args = append(where, "g.status = ?"), append(args, f.Status)
	}
	if a.Has(auth.RoleEnterprise) {
		f.USCC = a.USCC
	}
	if f.USCC != "" {
		where, args = append(where, "g.uscc = ?"), append(args, ids.NormalizeUSCC(f.USCC))
	}
	var out []*Grant
	for len(out) < f.Limit {
		rows, err := m.d.DB.QueryContext(ctx, "SELECT "+grantCols+" FROM policy_grants g JOIN policies p ON p.id = g.policy_id WHERE "+
			strings.Join(where, " AND ")+" ORDER BY g.id LIMIT ?", append(args, f.Limit*2)...)
		if err != nil {
			return nil, fmt.Errorf("policy: grants: %w", err)
		}
		n := 0
		for rows.Next() {
			g, err := scanGrant(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			n++
			args[0] = g.ID
			if m.canSeeGrant(a, g) && len(out) < f.Limit {
				out = append(out, g)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n < f.Limit*2 {
			break
		}
	}
	return out, nil
}

func (m *Module) audit(ctx context.Context, tx store.IDB, a *auth.Actor, action string, g *Grant, detail any) error {
	_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "policy.grant." + action,
		ObjectType: "policy_grant", ObjectID: fmt.Sprint(g.ID), RegionCode: g.RegionCode, Detail: detail})
	return err
}

// limited checks free text: required, at most max characters, no
// control characters but line breaks.
func limited(path, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return &valid.FieldError{Path: path, Message: "必填 (required)"}
	}
	if utf8.RuneCountInString(s) > max {
		return &valid.FieldError{Path: path, Message: fmt.Sprintf("最多%d字 (at most %d characters)", max, max)}
	}
	return valid.Text(path, s)
}

// Object raises an objection to a grant on publicity: anyone signed in
// may, until the publicity ends.
func (m *Module) Object(ctx context.Context, a *auth.Actor, id int64, text string) (*Grant, error) {
	g, err := m.GetGrant(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := limited("text", text, 2000); err != nil {
		return nil, err
	}
	if g.Status != GrantPublicity || m.today().String() > g.PublicityUntil {
		return nil, ErrState
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_objections (grant_id, text, by_user, by_name, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, strings.TrimSpace(text), a.UserID, a.Name, store.Time(m.d.Now())); err != nil {
			return fmt.Errorf("policy: objection: %w", err)
		}
		return m.audit(ctx, tx, a, "object", g, nil)
	})
	if err != nil {
		return nil, err
	}
	return m.GetGrant(ctx, a, id)
}

// Answer answers an objection: upheld refuses the grant, else it stands.
func (m *Module) Answer(ctx context.Context, a *auth.Actor, grantID, objectionID int64, answer string, upheld bool) (*Grant, error) {
	g, err := m.GetGrant(ctx, a, grantID)
	if err != nil {
		return nil, err
	}
	if !m.canDecide(a, g) {
		return nil, ErrNotFound
	}
	if err := limited("answer", answer, 2000); err != nil {
		return nil, err
	}
	var ob *Objection
	for _, o := range g.Objections {
		if o.ID == objectionID {
			ob = o
		}
	}
	if ob == nil {
		return nil, ErrNotFound
	}
	if !ob.Open() || g.Status != GrantPublicity {
		return nil, ErrState
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE policy_objections SET answer = ?, upheld = ?, answered_by = ?, answered_at = ? WHERE id = ?`,
			strings.TrimSpace(answer), upheld, a.UserID, store.Time(m.d.Now()), objectionID); err != nil {
			return fmt.Errorf("policy: answer: %w", err)
		}
		if upheld {
			if _, err := tx.ExecContext(ctx, `UPDATE policy_grants SET status = ?, reason = ?, decided_on = ?, decided_by = ?, updated_at = ?
				WHERE id = ?`, GrantRefused, "异议成立："+strings.TrimSpace(answer), m.today().String(), a.UserID, store.Time(m.d.Now()),
				grantID); err != nil {
				return err
			}
		}
		return m.audit(ctx, tx, a, "answer", g, map[string]any{"objection": objectionID, "upheld": upheld})
	})
	if err != nil {
		return nil, err
	}
	return m.GetGrant(ctx, a, grantID)
}

// Decide decides a grant whose publicity has ended with no objection
// awaiting its answer: 信用核查 first (a listing the policy excludes
// refuses it), then granted.
func (m *Module) Decide(ctx context.Context, a *auth.Actor, id int64) (*Grant, error) {
	g, err := m.GetGrant(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !m.canDecide(a, g) {
		return nil, ErrNotFound
	}
	if g.Status != GrantPublicity {
		return nil, ErrState
	}
	if m.today().String() <= g.PublicityUntil {
		return nil, &stateMsg{"公示期至" + g.PublicityUntil + "，期满后方可决定 (publicity runs until " + g.PublicityUntil + ")"}
	}
	for _, o := range g.Objections {
		if o.Open() {
			return nil, &stateMsg{"有未答复的异议，答复后方可决定 (an objection awaits its answer)"}
		}
	}
	return m.decide(ctx, a, g)
}

// decide runs 信用核查 and grants or refuses g.
func (m *Module) decide(ctx context.Context, a *auth.Actor, g *Grant) (*Grant, error) {
	p, err := m.get(ctx, m.d.DB, g.PolicyID)
	if err != nil {
		return nil, err
	}
	status, reason := GrantGranted, ""
	allowed, reasons, err := m.d.Credit.Check(ctx, g.USCC)
	if err != nil {
		return nil, err
	}
	if !allowed && (p.Exclusions.Serious || p.Exclusions.Abnormal) {
		status, reason = GrantRefused, "信用核查未通过："+strings.Join(reasons, "；")
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE policy_grants SET status = ?, reason = ?, decided_on = ?, decided_by = ?, updated_at = ?
			WHERE id = ? AND status = ?`, status, reason, m.today().String(), a.UserID, store.Time(m.d.Now()), g.ID, g.Status)
		if err != nil {
			return fmt.Errorf("policy: decide: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		if err := m.audit(ctx, tx, a, "decide", g, map[string]any{"status": status, "reason": reason}); err != nil {
			return err
		}
		title, body := "政策兑现已决定："+p.Title, fmt.Sprintf("《%s》%s元已决定兑现，将拨付至您在册的银行账户。", p.Title, fen(yuanToFen(g.AmountYuan)))
		if status == GrantRefused {
			title, body = "政策兑现未予通过："+p.Title, fmt.Sprintf("《%s》未予兑现。%s", p.Title, reason)
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicNotice, map[string]any{"uscc": g.USCC, "title": title, "body": body,
			"link": fmt.Sprintf("/policies/calculator/%d", g.PolicyID), "object_id": fmt.Sprintf("grant/%d/%s", g.ID, status)})
	})
	if err != nil {
		return nil, err
	}
	return m.GetGrant(ctx, a, g.ID)
}

// stateMsg is a conflict with a reason.
type stateMsg struct{ msg string }

func (e *stateMsg) Error() string  { return "policy: " + e.msg }
func (e *stateMsg) Conflict() bool { return true }

// Pay records the payment of a granted grant to the account on file.
func (m *Module) Pay(ctx context.Context, a *auth.Actor, id int64, paidOn string) (*Grant, error) {
	g, err := m.GetGrant(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !m.canDecide(a, g) {
		return nil, ErrNotFound
	}
	if paidOn == "" {
		paidOn = m.today().String()
	}
	d, err := calendar.ParseDate(paidOn)
	if err != nil || d.After(m.today()) {
		return nil, &valid.FieldError{Path: "paid_on", Message: "拨付日期为不晚于今天的 YYYY-MM-DD (a date not after today)"}
	}
	if g.Status != GrantGranted {
		return nil, ErrState
	}
	bank, account, err := m.accountOf(ctx, g.USCC)
	if err != nil {
		return nil, err
	}
	if account == "" {
		return nil, &valid.FieldError{Path: "account", Message: "该企业没有在册的银行账户 (the business has no account on file)"}
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE policy_grants SET status = ?, bank = ?, account = ?, paid_on = ?, updated_at = ?
			WHERE id = ? AND status = ?`, GrantPaid, bank, account, d.String(), store.Time(m.d.Now()), id, GrantGranted)
		if err != nil {
			return fmt.Errorf("policy: pay: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		if err := m.audit(ctx, tx, a, "pay", g, map[string]any{"paid_on": d.String(), "amount_yuan": g.AmountYuan}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicNotice, map[string]any{"uscc": g.USCC, "title": "政策资金已拨付：" + g.PolicyTitle,
			"body": fmt.Sprintf("《%s》%.2f元已于%s拨付至%s（%s）。", g.PolicyTitle, g.AmountYuan, d.String(), bank, maskAccount(account)),
			"link": fmt.Sprintf("/policies/calculator/%d", g.PolicyID), "object_id": fmt.Sprintf("grant/%d/paid", g.ID)})
	})
	if err != nil {
		return nil, err
	}
	return m.GetGrant(ctx, a, id)
}

// Decline is the business giving up a grant not yet paid.
func (m *Module) Decline(ctx context.Context, a *auth.Actor, id int64, reason string) (*Grant, error) {
	g, err := m.GetGrant(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !a.Has(auth.RoleEnterprise) || a.USCC != g.USCC {
		return nil, ErrNotFound
	}
	if reason != "" {
		if err := limited("reason", reason, 500); err != nil {
			return nil, err
		}
	}
	if g.Status != GrantPublicity && g.Status != GrantGranted {
		return nil, ErrState
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE policy_grants SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = ?`,
			GrantDeclined, "企业放弃："+reason, store.Time(m.d.Now()), id, g.Status)
		if err != nil {
			return fmt.Errorf("policy: decline: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		return m.audit(ctx, tx, a, "decline", g, nil)
	})
	if err != nil {
		return nil, err
	}
	return m.GetGrant(ctx, a, id)
}

// Apply is 即申即享: the business applies in one step; its inputs are
// read afresh, the rule decides at once and, if it holds, 信用核查 and the
// budget are checked and the grant decided. A business that does not
// qualify gets the explanation and no grant.
func (m *Module) Apply(ctx context.Context, a *auth.Actor, policyID int64) (*Grant, *Explanation, error) {
	if a == nil {
		return nil, nil, auth.ErrUnauthenticated
	}
	if !a.Has(auth.RoleEnterprise) || a.USCC == "" {
		return nil, nil, auth.ErrForbidden
	}
	p, err := m.Get(ctx, a, policyID)
	if err != nil {
		return nil, nil, err
	}
	if p.Status != StatusPublished || p.Mode != ModeApply {
		return nil, nil, ErrState
	}
	if _, err := m.Rematch(ctx, a.USCC); err != nil {
		return nil, nil, err
	}
	x, err := m.Explain(ctx, a, policyID, a.USCC)
	if err != nil {
		return nil, nil, err
	}
	if !x.Eligible {
		return nil, x, nil
	}
	c, err := m.compiledOf(p)
	if err != nil {
		return nil, nil, err
	}
	var id int64
	amount := yuanToFen(x.AmountYuan)
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		used, err := m.used(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if c.budgetFen > 0 && used+amount > c.budgetFen {
			return &stateMsg{"政策资金已用完 (the policy's budget is exhausted)"}
		}
		now := store.Time(m.d.Now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO policy_grants (policy_id, uscc, region_code, status, applied, amount_fen,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.ID, a.USCC, a.USCC[2:8], GrantPublicity, true,
			amount, now, now).Scan(&id); err != nil {
			if store.IsUniqueViolation(err) {
				return &stateMsg{"已申请过本政策 (already applied)"}
			}
			return fmt.Errorf("policy: apply: %w", err)
		}
		return m.audit(ctx, tx, a, "apply", &Grant{ID: id, RegionCode: a.USCC[2:8]}, map[string]any{"policy": p.ID})
	})
	if err != nil {
		return nil, nil, err
	}
	g, err := m.grant(ctx, m.d.DB, id)
	if err != nil {
		return nil, nil, err
	}
	g, err = m.decide(ctx, auth.System(), g)
	if err != nil {
		return nil, nil, err
	}
	x.Grant = g
	return g, x, nil
}

// SetAccount records the bank account of a's business on file.
func (m *Module) SetAccount(ctx context.Context, a *auth.Actor, bank, account string) error {
	if a == nil || !a.Has(auth.RoleEnterprise) || a.USCC == "" {
		return auth.ErrForbidden
	}
	var p valid.Problems
	if err := limited("bank", bank, 100); err != nil {
		p = append(p, err)
	}
	account = strings.ReplaceAll(account, " ", "")
	if len(account) < 8 || len(account) > 34 || strings.Trim(account, "0123456789") != "" {
		p.Add("account", "银行账号为8至34位数字 (8–34 digits)")
	}
	if len(p) > 0 {
		return p.Err()
	}
	_, err := m.d.DB.ExecContext(ctx, `INSERT INTO policy_accounts (uscc, bank, account, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (uscc) DO UPDATE SET bank = excluded.bank, account = excluded.account, updated_at = excluded.updated_at`,
		a.USCC, strings.TrimSpace(bank), account, store.Time(m.d.Now()))
	if err != nil {
		return fmt.Errorf("policy: account: %w", err)
	}
	return nil
}

// accountOf returns the account on file of uscc ("" when none).
func (m *Module) accountOf(ctx context.Context, uscc string) (bank, account string, err error) {
	err = m.d.DB.QueryRowContext(ctx, "SELECT bank, account FROM policy_accounts WHERE uscc = ?", uscc).Scan(&bank, &account)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return bank, account, err
}

// Account returns a's business's account on file, masked.
func (m *Module) Account(ctx context.Context, a *auth.Actor) (bank, masked string, err error) {
	if a == nil || !a.Has(auth.RoleEnterprise) {
		return "", "", auth.ErrForbidden
	}
	bank, acc, err := m.accountOf(ctx, a.USCC)
	return bank, maskAccount(acc), err
}
