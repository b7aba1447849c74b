package policy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

const policyCols = `id, code, title, department_id, region_code, source_doc, source_url, valid_from, valid_until, mode, clauses,
	benefit, cap_fen, budget_fen, exclusions, publicity_days, how_to, status, published_on, expired_on, created_at, updated_at`

func (m *Module) scanPolicy(ctx context.Context, r interface{ Scan(...any) error }) (*Policy, error) {
	var p Policy
	var clauses, ex string
	var capFen, budgetFen int64
	if err := r.Scan(&p.ID, &p.Code, &p.Title, &p.DepartmentID, &p.RegionCode, &p.SourceDoc, &p.SourceURL, &p.ValidFrom,
		&p.ValidUntil, &p.Mode, &clauses, &p.Benefit, &capFen, &budgetFen, &ex, &p.PublicityDays, &p.HowTo, &p.Status,
		&p.PublishedOn, &p.ExpiredOn, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(clauses), &p.Clauses); err != nil {
		return nil, fmt.Errorf("policy %d: clauses: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(ex), &p.Exclusions); err != nil {
		return nil, fmt.Errorf("policy %d: exclusions: %w", p.ID, err)
	}
	p.CapYuan, p.BudgetYuan = float64(capFen)/100, float64(budgetFen)/100
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	p.Department = m.d.DepartmentName(ctx, p.DepartmentID)
	return &p, nil
}

func (p *Policy) object() auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: p.RegionCode, DepartmentIDs: []int64{p.DepartmentID}}
}

// canEdit reports whether a may write and publish p.
func (m *Module) canEdit(a *auth.Actor, p *Policy) bool {
	return a.Has(auth.RoleSystem) || m.d.Policy.Authorize(a, auth.ActAdminister, p.object()) == nil
}

// canRead reports whether a may read p: a published or expired policy
// is read by everyone signed in; a draft by its department, and by
// supervisors and administrators of its region.
func (m *Module) canRead(a *auth.Actor, p *Policy) bool {
	if a == nil {
		return false
	}
	if p.Status != StatusDraft || a.Has(auth.RoleSystem) {
		return true
	}
	return m.d.Policy.Authorize(a, auth.ActRead, p.object()) == nil && !a.Has(auth.RoleEnterprise)
}

func (m *Module) get(ctx context.Context, db store.IDB, id int64) (*Policy, error) {
	p, err := m.scanPolicy(ctx, db.QueryRowContext(ctx, "SELECT "+policyCols+" FROM policies WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("policy: get %d: %w", id, err)
	}
	return p, nil
}

// Get returns policy id if a may read it.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64) (*Policy, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	p, err := m.get(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.canRead(a, p) {
		return nil, ErrNotFound
	}
	return p, nil
}

// Filter selects policies: by status, department, a search over code and
// title, after an id (keyset, newest first).
type Filter struct {
	Status       string
	DepartmentID int64
	Search       string
	Before       int64
	Limit        int
}

// List returns the policies a may read, newest first.
func (m *Module) List(ctx context.Context, a *auth.Actor, f Filter) ([]*Policy, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if err := valid.Text("q", f.Search); err != nil || len([]rune(f.Search)) > 100 {
		return nil, &valid.FieldError{Path: "q", Message: "检索词不正确 (invalid search)"}
	}
	where, args := []string{"1 = 1"}, []any{}
	switch f.Status {
	case "", StatusDraft, StatusPublished, StatusExpired:
	default:
		return nil, &valid.FieldError{Path: "status", Message: "状态为 draft、published 或 expired"}
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.DepartmentID != 0 {
		where, args = append(where, "department_id = ?"), append(args, f.DepartmentID)
	}
	if f.Search != "" {
		where = append(where, "(code "+m.d.DB.Like()+" ? OR title "+m.d.DB.Like()+" ?)")
		s := "%" + strings.NewReplacer("%", "", "_", "").Replace(f.Search) + "%"
		args = append(args, s, s)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	out := []*Policy{}
	before := f.Before
	for len(out) < f.Limit {
		q := "SELECT " + policyCols + " FROM policies WHERE " + strings.Join(where, " AND ") + " ORDER BY id DESC LIMIT ?"
		rows, err := m.d.DB.QueryContext(ctx, q, append(args, f.Limit*2)...)
		if err != nil {
			return nil, fmt.Errorf("policy: list: %w", err)
		}
		n := 0
		for rows.Next() {
			p, err := m.scanPolicy(ctx, rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			n++
			before = p.ID
			if m.canRead(a, p) && len(out) < f.Limit {
				out = append(out, p)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n < f.Limit*2 {
			break
		}
		if f.Before > 0 {
			args[len(args)-1] = before
		} else {
			where, args = append(where, "id < ?"), append(args, before)
			f.Before = before
		}
	}
	return out, nil
}

// Create stores a draft policy of a's department (the first one a
// belongs to, or dept when a belongs to it).
func (m *Module) Create(ctx context.Context, a *auth.Actor, dept int64, in Input) (*Policy, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if dept == 0 && len(a.DepartmentIDs) > 0 {
		dept = a.DepartmentIDs[0]
	}
	p := &Policy{DepartmentID: dept, RegionCode: a.RegionCode}
	if !a.Has(auth.RoleSystem) && (dept == 0 || m.d.Policy.Authorize(a, auth.ActCreate, p.object()) != nil) {
		return nil, auth.ErrForbidden
	}
	e, err := m.envir()
	if err != nil {
		return nil, err
	}
	if _, err := e.check(&in); err != nil {
		return nil, err
	}
	clauses, _ := json.Marshal(in.Clauses)
	ex, _ := json.Marshal(in.Exclusions)
	now := store.Time(m.d.Now())
	if in.PublicityDays == 0 {
		in.PublicityDays = m.d.PublicityDays
	}
	var id int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO policies (code, title, department_id, region_code, source_doc, source_url,
			valid_from, valid_until, mode, clauses, benefit, cap_fen, budget_fen, exclusions, publicity_days, how_to, status,
			created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Code, in.Title, dept, a.RegionCode, in.SourceDoc, in.SourceURL, in.ValidFrom, in.ValidUntil, in.Mode,
			string(clauses), strings.TrimSpace(in.Benefit), yuanToFen(in.CapYuan), yuanToFen(in.BudgetYuan), string(ex),
			in.PublicityDays, in.HowTo, StatusDraft, a.UserID, now, now).Scan(&id); err != nil {
			if store.IsUniqueViolation(err) {
				return &valid.FieldError{Path: "code", Message: "编号已被使用 (the code is taken)"}
			}
			return fmt.Errorf("policy: create: %w", err)
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "policy.create",
			ObjectType: "policy", ObjectID: fmt.Sprint(id), RegionCode: a.RegionCode, Detail: map[string]any{"code": in.Code}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.get(ctx, m.d.DB, id)
}

// Update replaces a draft; a published policy never changes (publish a
// new one and expire it).
func (m *Module) Update(ctx context.Context, a *auth.Actor, id int64, in Input) (*Policy, error) {
	p, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !m.canEdit(a, p) {
		return nil, ErrNotFound
	}
	if p.Status != StatusDraft {
		return nil, ErrState
	}
	e, err := m.envir()
	if err != nil {
		return nil, err
	}
	if _, err := e.check(&in); err != nil {
		return nil, err
	}
	if in.PublicityDays == 0 {
		in.PublicityDays = m.d.PublicityDays
	}
	clauses, _ := json.Marshal(in.Clauses)
	ex, _ := json.Marshal(in.Exclusions)
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE policies SET code = ?, title = ?, source_doc = ?, source_url = ?, valid_from = ?,
			valid_until = ?, mode = ?, clauses = ?, benefit = ?, cap_fen = ?, budget_fen = ?, exclusions = ?, publicity_days = ?,
			how_to = ?, updated_at = ? WHERE id = ? AND status = ?`, in.Code, in.Title, in.SourceDoc, in.SourceURL, in.ValidFrom,
			in.ValidUntil, in.Mode, string(clauses), strings.TrimSpace(in.Benefit), yuanToFen(in.CapYuan), yuanToFen(in.BudgetYuan),
			string(ex), in.PublicityDays, in.HowTo, store.Time(m.d.Now()), id, StatusDraft)
		if err != nil {
			if store.IsUniqueViolation(err) {
				return &valid.FieldError{Path: "code", Message: "编号已被使用 (the code is taken)"}
			}
			return fmt.Errorf("policy: update: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "policy.update",
			ObjectType: "policy", ObjectID: fmt.Sprint(id), RegionCode: p.RegionCode,
			Detail: map[string]any{"before": p.Input, "after": in}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.get(ctx, m.d.DB, id)
}

// setStatus moves p from one state to another, audited.
func (m *Module) setStatus(ctx context.Context, a *auth.Actor, id int64, from, to string) (*Policy, error) {
	p, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !m.canEdit(a, p) {
		return nil, ErrNotFound
	}
	if p.Status != from {
		return nil, ErrState
	}
	today := m.today().String()
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		col := "published_on"
		if to == StatusExpired {
			col = "expired_on"
		}
		res, err := tx.ExecContext(ctx, "UPDATE policies SET status = ?, "+col+" = ?, updated_at = ? WHERE id = ? AND status = ?",
			to, today, store.Time(m.d.Now()), id, from)
		if err != nil {
			return fmt.Errorf("policy: %s: %w", to, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "policy." + to,
			ObjectType: "policy", ObjectID: fmt.Sprint(id), RegionCode: p.RegionCode, Detail: map[string]any{"code": p.Code}})
		return err
	})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	delete(m.cache, id)
	m.mu.Unlock()
	return m.get(ctx, m.d.DB, id)
}

// Publish publishes a draft and matches every business against it at
// once: the eligible ones are told, and for a 免申即享 policy their
// grants enter publicity.
func (m *Module) Publish(ctx context.Context, a *auth.Actor, id int64) (*Policy, *RunStats, error) {
	p, err := m.setStatus(ctx, a, id, StatusDraft, StatusPublished)
	if err != nil {
		return nil, nil, err
	}
	st, err := m.Match(ctx, MatchOptions{Policies: []int64{id}, Notify: true, Grant: true})
	if err != nil {
		return p, nil, err
	}
	return p, st, nil
}

// Expire ends a published policy: it is matched no more.
func (m *Module) Expire(ctx context.Context, a *auth.Actor, id int64) (*Policy, error) {
	return m.setStatus(ctx, a, id, StatusPublished, StatusExpired)
}

// ExpireDue expires the published policies whose validity has ended.
func (m *Module) ExpireDue(ctx context.Context) (int, error) {
	res, err := m.d.DB.ExecContext(ctx, `UPDATE policies SET status = ?, expired_on = ?, updated_at = ? WHERE status = ? AND valid_until < ?`,
		StatusExpired, m.today().String(), store.Time(m.d.Now()), StatusPublished, m.today().String())
	if err != nil {
		return 0, fmt.Errorf("policy: expire: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		m.mu.Lock()
		clear(m.cache)
		m.mu.Unlock()
	}
	return int(n), nil
}

// compiledOf returns policy p compiled.
func (m *Module) compiledOf(p *Policy) (*compiled, error) {
	m.mu.Lock()
	c, ok := m.cache[p.ID]
	m.mu.Unlock()
	if ok && c.p.UpdatedAt.Equal(p.UpdatedAt) {
		return c, nil
	}
	e, err := m.envir()
	if err != nil {
		return nil, err
	}
	in := p.Input
	c, err = e.check(&in)
	if err != nil {
		return nil, fmt.Errorf("policy %d no longer compiles: %w", p.ID, err)
	}
	c.p = p
	m.mu.Lock()
	m.cache[p.ID] = c
	m.mu.Unlock()
	return c, nil
}

// published returns the published policies in force today, compiled;
// ids, when given, restrict them.
func (m *Module) published(ctx context.Context, ids []int64) ([]*compiled, error) {
	today := m.today().String()
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+policyCols+` FROM policies WHERE status = ? AND valid_from <= ? AND valid_until >= ?
		ORDER BY id`, StatusPublished, today, today)
	if err != nil {
		return nil, fmt.Errorf("policy: published: %w", err)
	}
	var ps []*Policy
	for rows.Next() {
		p, err := m.scanPolicy(ctx, rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*compiled
	for _, p := range ps {
		if len(ids) > 0 && !contains(ids, p.ID) {
			continue
		}
		c, err := m.compiledOf(p)
		if err != nil {
			m.d.Log.ErrorContext(ctx, "policy", "err", err)
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Variables lists what rules may read, for the editor.
func (m *Module) Variables() ([]VariableInfo, error) {
	e, err := m.envir()
	if err != nil {
		return nil, err
	}
	out := make([]VariableInfo, len(e.vars))
	for i, v := range e.vars {
		out[i] = VariableInfo{Name: v.Name, Label: v.Label, LabelEn: v.LabelEn, Type: typeName(v.Type), Unit: v.Unit, Sources: v.Sources}
	}
	return out, nil
}

// VariableInfo describes a name rules may read.
type VariableInfo struct {
	Name    string   `json:"name"`
	Label   string   `json:"label"`
	LabelEn string   `json:"label_en"`
	Type    string   `json:"type"`
	Unit    string   `json:"unit,omitempty"`
	Sources []string `json:"sources,omitempty"`
}

var _ = time.Now
