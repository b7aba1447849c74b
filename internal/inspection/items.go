package inspection

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Item statuses.
const (
	ItemDraft     = "draft"
	ItemPublished = "published"
)

// Item is an inspection item (抽查事项) of a department's list.
type Item struct {
	ID           int64      `json:"id"`
	DepartmentID int64      `json:"department_id"`
	RegionCode   string     `json:"region_code"`
	Code         string     `json:"code" doc:"Unique code of the item, e.g. LJ-SCJG-001"`
	Name         string     `json:"name"`
	Key          bool       `json:"key" doc:"A 重点 item (true) or 一般 (false)"`
	LegalBasis   string     `json:"legal_basis" doc:"检查依据"`
	SubjectScope string     `json:"subject_scope" doc:"检查对象范围"`
	Method       string     `json:"method" doc:"检查方式: 现场检查, 书面检查, 网络监测 …"`
	Checklist    []string   `json:"checklist" doc:"What is checked (检查内容)"`
	Status       string     `json:"status" enum:"draft,published"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	PublishedAt  *time.Time `json:"published_at,omitempty"`
}

// ItemInput is what staff write of an item.
type ItemInput struct {
	DepartmentID int64    `json:"department_id" doc:"0: the caller's first department"`
	Code         string   `json:"code" maxLength:"40"`
	Name         string   `json:"name" maxLength:"200"`
	Key          bool     `json:"key"`
	LegalBasis   string   `json:"legal_basis" maxLength:"2000"`
	SubjectScope string   `json:"subject_scope" maxLength:"1000"`
	Method       string   `json:"method" maxLength:"200"`
	Checklist    []string `json:"checklist" maxItems:"100"`
}

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$`)

// text checks a required (or optional) text field.
func text(p *valid.Problems, path, s string, required bool, max int) {
	if err := valid.Text(path, s); err != nil {
		*p = append(*p, err)
		return
	}
	switch {
	case required && strings.TrimSpace(s) == "":
		p.Add(path, "必填 (required)")
	case len([]rune(s)) > max:
		p.Add(path, "不得超过%d个字 (at most %d characters)", max, max)
	}
}

func (in *ItemInput) check() error {
	var p valid.Problems
	if !codePattern.MatchString(in.Code) {
		p.Add("code", "代码须为字母、数字、点、横线 (letters, digits, '.', '-', '_', at most 40)")
	}
	text(&p, "name", in.Name, true, 200)
	text(&p, "legal_basis", in.LegalBasis, true, 2000)
	text(&p, "subject_scope", in.SubjectScope, true, 1000)
	text(&p, "method", in.Method, true, 200)
	if len(in.Checklist) == 0 {
		p.Add("checklist", "至少一项检查内容 (at least one thing to check)")
	}
	for i, c := range in.Checklist {
		text(&p, fmt.Sprintf("checklist[%d]", i), c, true, 500)
	}
	return p.Err()
}

// department returns the department id to act for: in (when the actor
// may act for it) or the actor's first.
func (m *Module) department(ctx context.Context, a *auth.Actor, id int64) (int64, error) {
	if id == 0 {
		if len(a.DepartmentIDs) == 0 {
			return 0, &valid.FieldError{Path: "department_id", Message: "须指定部门 (a department is required)"}
		}
		id = a.DepartmentIDs[0]
	}
	if !m.allowed(ctx, a, auth.ActCreate, id) {
		return 0, ErrNotFound
	}
	return id, nil
}

const itemCols = `id, department_id, region_code, code, name, key_item, legal_basis, subject_scope, method, checklist, status,
	created_at, updated_at, published_at`

func scanItem(r interface{ Scan(...any) error }) (*Item, error) {
	var it Item
	var list string
	var pub sql.NullTime
	if err := r.Scan(&it.ID, &it.DepartmentID, &it.RegionCode, &it.Code, &it.Name, &it.Key, &it.LegalBasis, &it.SubjectScope,
		&it.Method, &list, &it.Status, &it.CreatedAt, &it.UpdatedAt, &pub); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(list), &it.Checklist)
	if pub.Valid {
		t := pub.Time
		it.PublishedAt = &t
	}
	return &it, nil
}

// CreateItem stores a draft item of a department the actor works for.
func (m *Module) CreateItem(ctx context.Context, a *auth.Actor, in ItemInput) (*Item, error) {
	dept, err := m.department(ctx, a, in.DepartmentID)
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	o, err := m.object(ctx, dept)
	if err != nil {
		return nil, err
	}
	list, _ := json.Marshal(in.Checklist)
	now := m.d.Now().UTC()
	var id int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM inspection_items WHERE code = ?", in.Code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &valid.FieldError{Path: "code", Message: "代码已被使用 (the code is taken)"}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO inspection_items (department_id, region_code, code, name, key_item, legal_basis,
			subject_scope, method, checklist, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			dept, o.RegionCode, in.Code, in.Name, in.Key, in.LegalBasis, in.SubjectScope, in.Method, string(list), ItemDraft, now, now).Scan(&id); err != nil {
			return err
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.item.create",
			ObjectType: "inspection_item", ObjectID: fmt.Sprint(id), RegionCode: o.RegionCode, Detail: map[string]any{"code": in.Code}})
		return err
	})
	if err != nil {
		return nil, wrap("create item", err)
	}
	return m.item(ctx, m.d.DB, id)
}

func wrap(what string, err error) error {
	var fe *valid.FieldError
	if errors.As(err, &fe) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrState) || errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("inspection: %s: %w", what, err)
}

func (m *Module) item(ctx context.Context, db store.IDB, id int64) (*Item, error) {
	it, err := scanItem(db.QueryRowContext(ctx, "SELECT "+itemCols+" FROM inspection_items WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return it, err
}

// GetItem returns an item: a published one to anyone, a draft to staff
// who may read its department's.
func (m *Module) GetItem(ctx context.Context, a *auth.Actor, id int64) (*Item, error) {
	it, err := m.item(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if it.Status != ItemPublished && !m.allowed(ctx, a, auth.ActRead, it.DepartmentID) {
		return nil, ErrNotFound
	}
	return it, nil
}

// UpdateItem replaces a draft item's content; a published item is not
// changed (a new item replaces it).
func (m *Module) UpdateItem(ctx context.Context, a *auth.Actor, id int64, in ItemInput) (*Item, error) {
	it, err := m.item(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, auth.ActCreate, it.DepartmentID) {
		return nil, ErrNotFound
	}
	in.Code = it.Code
	if err := in.check(); err != nil {
		return nil, err
	}
	if it.Status != ItemDraft {
		return nil, ErrState
	}
	list, _ := json.Marshal(in.Checklist)
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE inspection_items SET name = ?, key_item = ?, legal_basis = ?, subject_scope = ?, method = ?,
			checklist = ?, updated_at = ? WHERE id = ?`, in.Name, in.Key, in.LegalBasis, in.SubjectScope, in.Method, string(list), m.d.Now().UTC(), id); err != nil {
			return err
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.item.update",
			ObjectType: "inspection_item", ObjectID: fmt.Sprint(id), RegionCode: it.RegionCode})
		return err
	})
	if err != nil {
		return nil, wrap("update item", err)
	}
	return m.item(ctx, m.d.DB, id)
}

// PublishItem publishes a draft item.
func (m *Module) PublishItem(ctx context.Context, a *auth.Actor, id int64) (*Item, error) {
	it, err := m.item(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, auth.ActCreate, it.DepartmentID) {
		return nil, ErrNotFound
	}
	if it.Status != ItemDraft {
		return nil, ErrState
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		now := m.d.Now().UTC()
		if _, err := tx.ExecContext(ctx, "UPDATE inspection_items SET status = ?, published_at = ?, updated_at = ? WHERE id = ?",
			ItemPublished, now, now, id); err != nil {
			return err
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.item.publish",
			ObjectType: "inspection_item", ObjectID: fmt.Sprint(id), RegionCode: it.RegionCode})
		return err
	})
	if err != nil {
		return nil, wrap("publish item", err)
	}
	return m.item(ctx, m.d.DB, id)
}

// Items lists items by id after cursor (keyset): with public set the
// published items of every department, otherwise the items of the
// departments a may read.
func (m *Module) Items(ctx context.Context, a *auth.Actor, public bool, after int64, limit int) ([]Item, int64, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := "SELECT " + itemCols + " FROM inspection_items WHERE id > ?"
	if public {
		q += " AND status = 'published'"
	}
	rows, err := m.d.DB.QueryContext(ctx, q+" ORDER BY id", after)
	if err != nil {
		return nil, 0, fmt.Errorf("inspection: items: %w", err)
	}
	defer rows.Close()
	var out []Item
	var next int64
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("inspection: items: %w", err)
		}
		if !public && !m.allowed(ctx, a, auth.ActRead, it.DepartmentID) {
			continue
		}
		if len(out) == limit {
			next = out[len(out)-1].ID
			break
		}
		out = append(out, *it)
	}
	return out, next, rows.Err()
}
