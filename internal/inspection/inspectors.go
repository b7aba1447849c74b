package inspection

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Conflict kinds an inspector declares.
const (
	ConflictRelative       = "relative"        // 亲属: a business of a relative
	ConflictFormerEmployer = "former_employer" // 原工作单位
)

// DeclaredConflict is a business an inspector may not inspect.
type DeclaredConflict struct {
	Kind string `json:"kind" enum:"relative,former_employer"`
	USCC string `json:"uscc" maxLength:"18"`
	Note string `json:"note,omitempty" maxLength:"200"`
}

// Inspector is an entry of the 执法检查人员名录库.
type Inspector struct {
	ID           int64              `json:"id"`
	UserID       int64              `json:"user_id" doc:"The user account (role 执法人员)"`
	DepartmentID int64              `json:"department_id"`
	RegionCode   string             `json:"region_code"`
	Code         string             `json:"code" doc:"执法证号, published in draws"`
	Name         string             `json:"name"`
	ValidUntil   string             `json:"certificate_valid_until" doc:"YYYY-MM-DD, last day the 执法证 is valid"`
	Specialities []string           `json:"specialities"`
	Available    bool               `json:"available" doc:"false while on leave, seconded …: not drawn"`
	Conflicts    []DeclaredConflict `json:"conflicts"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// InspectorInput is what staff write of an inspector.
type InspectorInput struct {
	UserID       int64              `json:"user_id" minimum:"1"`
	DepartmentID int64              `json:"department_id" doc:"0: the caller's first department"`
	Code         string             `json:"code" maxLength:"40"`
	Name         string             `json:"name" maxLength:"50"`
	ValidUntil   string             `json:"certificate_valid_until"`
	Specialities []string           `json:"specialities" maxItems:"20"`
	Available    bool               `json:"available"`
	Conflicts    []DeclaredConflict `json:"conflicts" maxItems:"50"`
}

func (in *InspectorInput) check() error {
	var p valid.Problems
	if !codePattern.MatchString(in.Code) {
		p.Add("code", "执法证号格式不正确 (letters, digits, '.', '-', '_')")
	}
	text(&p, "name", in.Name, true, 50)
	if _, err := calendar.ParseDate(in.ValidUntil); err != nil {
		p.Add("certificate_valid_until", "日期格式须为YYYY-MM-DD (a date YYYY-MM-DD)")
	}
	for i, s := range in.Specialities {
		text(&p, fmt.Sprintf("specialities[%d]", i), s, true, 50)
	}
	for i := range in.Conflicts {
		c := &in.Conflicts[i]
		if c.Kind != ConflictRelative && c.Kind != ConflictFormerEmployer {
			p.Add(fmt.Sprintf("conflicts[%d].kind", i), "须为relative或former_employer (relative or former_employer)")
		}
		c.USCC = ids.NormalizeUSCC(c.USCC)
		if ids.ValidateUSCC(c.USCC) != nil {
			p.Add(fmt.Sprintf("conflicts[%d].uscc", i), "统一社会信用代码不正确 (not a valid USCC)")
		}
		text(&p, fmt.Sprintf("conflicts[%d].note", i), c.Note, false, 200)
	}
	if in.Specialities == nil {
		in.Specialities = []string{}
	}
	if in.Conflicts == nil {
		in.Conflicts = []DeclaredConflict{}
	}
	return p.Err()
}

const inspectorCols = `id, user_id, department_id, region_code, code, name, certificate_valid_until, specialities, available, conflicts, updated_at`

func scanInspector(r interface{ Scan(...any) error }) (*Inspector, error) {
	var in Inspector
	var spec, conf string
	if err := r.Scan(&in.ID, &in.UserID, &in.DepartmentID, &in.RegionCode, &in.Code, &in.Name, &in.ValidUntil, &spec, &in.Available,
		&conf, &in.UpdatedAt); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(spec), &in.Specialities)
	_ = json.Unmarshal([]byte(conf), &in.Conflicts)
	return &in, nil
}

// PutInspector creates or replaces (by user) the directory entry of an
// inspector of a department the actor administers (its approvers or the
// region's administrators).
func (m *Module) PutInspector(ctx context.Context, a *auth.Actor, in InspectorInput) (*Inspector, error) {
	if in.DepartmentID == 0 && len(a.DepartmentIDs) > 0 {
		in.DepartmentID = a.DepartmentIDs[0]
	}
	if !m.allowed(ctx, a, auth.ActAdminister, in.DepartmentID) && !m.allowed(ctx, a, auth.ActCreate, in.DepartmentID) {
		return nil, ErrNotFound
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	var ok bool
	err := m.d.DB.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM user_roles r JOIN user_departments d ON d.user_id = r.user_id
		WHERE r.user_id = ? AND r.role = ? AND d.department_id = ?`, in.UserID, string(auth.RoleInspector), in.DepartmentID).Scan(&ok)
	if err != nil {
		return nil, fmt.Errorf("inspection: inspector roles: %w", err)
	}
	if !ok {
		return nil, &valid.FieldError{Path: "user_id", Message: "该用户不是本部门执法人员 (the user is not an inspector of the department)"}
	}
	o, err := m.object(ctx, in.DepartmentID)
	if err != nil {
		return nil, err
	}
	spec, _ := json.Marshal(in.Specialities)
	conf, _ := json.Marshal(in.Conflicts)
	now := m.d.Now().UTC()
	var id int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var other int64
		err := tx.QueryRowContext(ctx, "SELECT user_id FROM inspection_inspectors WHERE code = ?", in.Code).Scan(&other)
		if err == nil && other != in.UserID {
			return &valid.FieldError{Path: "code", Message: "执法证号已登记给他人 (the number is another inspector's)"}
		}
		err = tx.QueryRowContext(ctx, "SELECT id FROM inspection_inspectors WHERE user_id = ?", in.UserID).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.QueryRowContext(ctx, `INSERT INTO inspection_inspectors (user_id, department_id, region_code, code, name,
				certificate_valid_until, specialities, available, conflicts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				in.UserID, in.DepartmentID, o.RegionCode, in.Code, in.Name, in.ValidUntil, string(spec), in.Available, string(conf), now, now).Scan(&id)
		case err == nil:
			_, err = tx.ExecContext(ctx, `UPDATE inspection_inspectors SET department_id = ?, region_code = ?, code = ?, name = ?,
				certificate_valid_until = ?, specialities = ?, available = ?, conflicts = ?, updated_at = ? WHERE id = ?`,
				in.DepartmentID, o.RegionCode, in.Code, in.Name, in.ValidUntil, string(spec), in.Available, string(conf), now, id)
		}
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.inspector.put",
			ObjectType: "inspection_inspector", ObjectID: fmt.Sprint(id), RegionCode: o.RegionCode,
			Detail: map[string]any{"code": in.Code, "available": in.Available, "valid_until": in.ValidUntil}})
		return err
	})
	if err != nil {
		return nil, wrap("put inspector", err)
	}
	return m.inspector(ctx, id)
}

func (m *Module) inspector(ctx context.Context, id int64) (*Inspector, error) {
	in, err := scanInspector(m.d.DB.QueryRowContext(ctx, "SELECT "+inspectorCols+" FROM inspection_inspectors WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return in, err
}

// GetInspector returns a directory entry to staff who may read its
// department's, and to the inspector.
func (m *Module) GetInspector(ctx context.Context, a *auth.Actor, id int64) (*Inspector, error) {
	in, err := m.inspector(ctx, id)
	if err != nil {
		return nil, err
	}
	if a == nil || (a.UserID != in.UserID && !m.allowed(ctx, a, auth.ActRead, in.DepartmentID)) {
		return nil, ErrNotFound
	}
	return in, nil
}

// Inspectors lists the entries a may read, by id after cursor.
func (m *Module) Inspectors(ctx context.Context, a *auth.Actor, after int64, limit int) ([]Inspector, int64, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+inspectorCols+" FROM inspection_inspectors WHERE id > ? ORDER BY id", after)
	if err != nil {
		return nil, 0, fmt.Errorf("inspection: inspectors: %w", err)
	}
	defer rows.Close()
	var out []Inspector
	var next int64
	for rows.Next() {
		in, err := scanInspector(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("inspection: inspectors: %w", err)
		}
		if a.UserID != in.UserID && !m.allowed(ctx, a, auth.ActRead, in.DepartmentID) {
			continue
		}
		if len(out) == limit {
			next = out[len(out)-1].ID
			break
		}
		out = append(out, *in)
	}
	return out, next, rows.Err()
}

// drawable reports whether in may be drawn for a window ending on last:
// available, and the 执法证 valid through the window's last day.
func (in *Inspector) drawable(last string) bool {
	return in.Available && in.ValidUntil >= last
}
