package policy

import (
	"context"
	"fmt"
	"io"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// Figure is what one policy reached and delivered.
type Figure struct {
	PolicyID     int64   `json:"policy_id"`
	Code         string  `json:"code"`
	Title        string  `json:"title"`
	DepartmentID int64   `json:"department_id"`
	Department   string  `json:"department"`
	PublishedOn  string  `json:"published_on"`
	Reached      int     `json:"reached" doc:"Eligible businesses told"`
	Eligible     int     `json:"eligible"`
	Granted      int     `json:"granted" doc:"Grants decided or paid"`
	GrantedYuan  float64 `json:"granted_yuan"`
	Paid         int     `json:"paid"`
	PaidYuan     float64 `json:"paid_yuan"`
	Declined     int     `json:"declined"`
	Objections   int     `json:"objections"`
	// DaysToPayment is the mean of the calendar days from publication to
	// payment of the paid grants (0 when none is paid).
	DaysToPayment float64 `json:"days_to_payment"`
}

// Figures returns the figures of every published or expired policy a
// may read as staff: a department its own, supervisors their region's.
func (m *Module) Figures(ctx context.Context, a *auth.Actor) ([]Figure, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if a.Has(auth.RoleEnterprise) || !a.HasAny(append(staffRoles, auth.RoleSystem)...) {
		return nil, auth.ErrForbidden
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+policyCols+" FROM policies WHERE status <> ? ORDER BY department_id, id", StatusDraft)
	if err != nil {
		return nil, fmt.Errorf("policy: figures: %w", err)
	}
	var ps []*Policy
	for rows.Next() {
		p, err := m.scanPolicy(ctx, rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if a.Has(auth.RoleSystem) || m.d.Policy.Authorize(a, auth.ActRead, p.object()) == nil {
			ps = append(ps, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Figure{}
	for _, p := range ps {
		f := Figure{PolicyID: p.ID, Code: p.Code, Title: p.Title, DepartmentID: p.DepartmentID, Department: p.Department,
			PublishedOn: p.PublishedOn}
		if err := m.d.DB.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN eligible THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN notified_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM policy_matches WHERE policy_id = ?`, p.ID).
			Scan(&f.Eligible, &f.Reached); err != nil {
			return nil, fmt.Errorf("policy: figures: %w", err)
		}
		grows, err := m.d.DB.QueryContext(ctx, `SELECT status, amount_fen, paid_on, (SELECT COUNT(*) FROM policy_objections o
			WHERE o.grant_id = g.id) FROM policy_grants g WHERE policy_id = ?`, p.ID)
		if err != nil {
			return nil, fmt.Errorf("policy: figures: %w", err)
		}
		var days, paid int
		pub, _ := calendar.ParseDate(p.PublishedOn)
		for grows.Next() {
			var status, paidOn string
			var amount int64
			var obj int
			if err := grows.Scan(&status, &amount, &paidOn, &obj); err != nil {
				grows.Close()
				return nil, err
			}
			f.Objections += obj
			switch status {
			case GrantGranted, GrantPaid:
				f.Granted++
				f.GrantedYuan += float64(amount) / 100
			case GrantDeclined:
				f.Declined++
			}
			if status == GrantPaid {
				f.Paid++
				f.PaidYuan += float64(amount) / 100
				if d, err := calendar.ParseDate(paidOn); err == nil && !pub.IsZero() {
					days += int(d.Start().Sub(pub.Start()).Hours() / 24)
					paid++
				}
			}
		}
		grows.Close()
		if paid > 0 {
			f.DaysToPayment = float64(days) / float64(paid)
		}
		out = append(out, f)
	}
	return out, nil
}

// WriteFigures writes figures as an xlsx workbook: one sheet per policy
// row, and one of the totals per department.
func WriteFigures(w io.Writer, figs []Figure) error {
	sh := xlsx.Sheet{Name: "政策兑现统计", Header: []string{"政策编号", "政策名称", "发布部门", "发布日期", "符合条件", "已推送",
		"已兑现（户）", "兑现金额（元）", "已拨付（户）", "拨付金额（元）", "放弃", "异议", "发布至拨付平均天数"}}
	type tot struct {
		name                  string
		reached, granted      int
		grantedYuan, paidYuan float64
	}
	depts := map[int64]*tot{}
	var order []int64
	for _, f := range figs {
		sh.Rows = append(sh.Rows, []any{f.Code, f.Title, f.Department, f.PublishedOn, f.Eligible, f.Reached, f.Granted, f.GrantedYuan,
			f.Paid, f.PaidYuan, f.Declined, f.Objections, f.DaysToPayment})
		t := depts[f.DepartmentID]
		if t == nil {
			t = &tot{name: f.Department}
			depts[f.DepartmentID] = t
			order = append(order, f.DepartmentID)
		}
		t.reached += f.Reached
		t.granted += f.Granted
		t.grantedYuan += f.GrantedYuan
		t.paidYuan += f.PaidYuan
	}
	dsh := xlsx.Sheet{Name: "按部门", Header: []string{"部门", "推送企业", "兑现（户）", "兑现金额（元）", "拨付金额（元）"}}
	for _, id := range order {
		t := depts[id]
		dsh.Rows = append(dsh.Rows, []any{t.name, t.reached, t.granted, t.grantedYuan, t.paidYuan})
	}
	return xlsx.Write(w, sh, dsh)
}
