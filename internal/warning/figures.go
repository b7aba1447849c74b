package warning

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// Figure counts the warnings of one rule, department and month (of the
// day raised): raised, handled (closed), confirmed, and handled after the
// limit.
type Figure struct {
	Month        string `json:"month"`
	RuleID       string `json:"rule_id"`
	DepartmentID int64  `json:"department_id"`
	Raised       int    `json:"raised"`
	Handled      int    `json:"handled"`
	Confirmed    int    `json:"confirmed"`
	Late         int    `json:"late"`
}

// Figures returns the figures of the warnings a may read (the same scope as
// List) raised in the months from to to (YYYY-MM, inclusive).
func (m *Module) Figures(ctx context.Context, a *auth.Actor, from, to string) ([]Figure, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	where, args := []string{`raised_on >= ?`, `raised_on < ?`}, []any{from + "-01", to + "-32"}
	switch {
	case a.Has(auth.RoleSystem):
	case a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) && a.RegionCode != "":
		where = append(where, `region_code LIKE ?`)
		args = append(args, strings.TrimRight(a.RegionCode, "0")+"%")
	case a.HasAny(auth.RoleClerk, auth.RoleHandler, auth.RoleApprover) && len(a.DepartmentIDs) > 0:
		where = append(where, `department_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(a.DepartmentIDs)), ",")+`)`)
		for _, d := range a.DepartmentIDs {
			args = append(args, d)
		}
	default:
		return nil, auth.ErrForbidden
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT SUBSTR(raised_on, 1, 7), rule_id, department_id, COUNT(*),
		SUM(CASE WHEN closed_on IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN closed_on IS NOT NULL AND closed_on > due_on THEN 1 ELSE 0 END)
		FROM warnings WHERE `+strings.Join(where, ` AND `)+`
		GROUP BY SUBSTR(raised_on, 1, 7), rule_id, department_id ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return nil, fmt.Errorf("warning: figures: %w", err)
	}
	defer rows.Close()
	var out []Figure
	for rows.Next() {
		var f Figure
		if err := rows.Scan(&f.Month, &f.RuleID, &f.DepartmentID, &f.Raised, &f.Handled, &f.Confirmed, &f.Late); err != nil {
			return nil, fmt.Errorf("warning: figures: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// WriteFigures writes figures as a workbook; name gives a department's
// name and rule a rule's name, for people reading it.
func (m *Module) WriteFigures(w io.Writer, figs []Figure, name func(int64) string) error {
	sh := xlsx.Sheet{Name: "预警统计", Header: []string{"月份", "规则", "部门", "发出", "已处理", "已确认", "超期处理"}}
	for _, f := range figs {
		rule := f.RuleID
		if r := m.d.Rules.Rule(f.RuleID); r != nil {
			rule = r.Name
		}
		sh.Rows = append(sh.Rows, []any{f.Month, rule, name(f.DepartmentID), f.Raised, f.Handled, f.Confirmed, f.Late})
	}
	return xlsx.Write(w, sh)
}
