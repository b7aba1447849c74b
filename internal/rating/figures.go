package rating

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// Grouping of the figures.
const (
	ByItem       = "item"
	ByDepartment = "department"
	ByStaff      = "staff"
)

// Figure is the count of ratings of one group (an item, a department or a
// window staff member) per level, with 好评率 (the share of 非常满意, 满意
// and 基本满意) and 差评整改率 (the share of bad ratings whose follow-up
// was answered), both in per mille so they stay integers.
type Figure struct {
	Key        string
	Counts     [6]int // Counts[level], index 0 unused
	Total      int
	Good       int
	Bad        int
	Answered   int
	GoodPermil int
	FixPermil  int
}

// Figures counts the ratings given on days from..to (YYYY-MM-DD, both
// included; empty means no bound) grouped by by. Staff figures count only
// window ratings, the only ones a staff member recorded.
func (s *Service) Figures(ctx context.Context, by, from, to string) ([]Figure, error) {
	return s.figures(ctx, by, from, to, nil)
}

// FiguresFor are the figures actor a may read: the overseers (督办,
// administrators) those of every department, other staff those of the
// ratings of their own departments; anyone else gets auth.ErrForbidden.
// from and to must be dates (YYYY-MM-DD) when given.
func (s *Service) FiguresFor(ctx context.Context, a *auth.Actor, by, from, to string) ([]Figure, error) {
	if a == nil || !a.IsStaff() {
		return nil, auth.ErrForbidden
	}
	for _, d := range []struct{ path, v string }{{"from", from}, {"to", to}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(calendar.DateLayout, d.v); err != nil {
			return nil, &valid.FieldError{Path: d.path, Message: "须为日期 YYYY-MM-DD (must be a date)"}
		}
	}
	if by != ByItem && by != ByDepartment && by != ByStaff {
		return nil, &valid.FieldError{Path: "by", Message: "须为 item、department 或 staff (must be item, department or staff)"}
	}
	var depts []int64
	if !overseer(a) {
		if len(a.DepartmentIDs) == 0 {
			return nil, auth.ErrForbidden
		}
		depts = a.DepartmentIDs
	}
	return s.figures(ctx, by, from, to, depts)
}

func (s *Service) figures(ctx context.Context, by, from, to string, depts []int64) ([]Figure, error) {
	col := map[string]string{ByItem: "r.item_code", ByDepartment: "CAST(r.department_id AS TEXT)", ByStaff: "CAST(r.staff_id AS TEXT)"}[by]
	if col == "" {
		return nil, fmt.Errorf("rating: figures: unknown grouping %q: %w", by, ErrInvalid)
	}
	where, args := "1 = 1", []any{}
	if from != "" {
		where, args = where+" AND r.rated_on >= ?", append(args, from)
	}
	if to != "" {
		where, args = where+" AND r.rated_on <= ?", append(args, to)
	}
	if by == ByStaff {
		where += " AND r.staff_id <> 0"
	}
	if depts != nil {
		where += " AND r.department_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(depts)), ", ") + ")"
		for _, d := range depts {
			args = append(args, d)
		}
	}
	rows, err := store.Query(ctx, s.d.DB, `SELECT `+col+`, r.level, COUNT(*), COUNT(CASE WHEN f.status = 'answered' THEN 1 END)
		FROM ratings r LEFT JOIN rating_followups f ON f.rating_id = r.id WHERE `+where+` GROUP BY `+col+`, r.level ORDER BY 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("rating: figures: %w", err)
	}
	defer rows.Close()
	var out []Figure
	for rows.Next() {
		var key string
		var level, n, answered int
		if err := rows.Scan(&key, &level, &n, &answered); err != nil {
			return nil, fmt.Errorf("rating: figures: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Key != key {
			out = append(out, Figure{Key: key})
		}
		f := &out[len(out)-1]
		if Level(level).Valid() {
			f.Counts[level] += n
		}
		f.Total += n
		if Level(level).Bad() {
			f.Bad += n
			f.Answered += answered
		} else {
			f.Good += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rating: figures: %w", err)
	}
	for i := range out {
		f := &out[i]
		if f.Total > 0 {
			f.GoodPermil = f.Good * 1000 / f.Total
		}
		if f.Bad > 0 {
			f.FixPermil = f.Answered * 1000 / f.Bad
		} else {
			f.FixPermil = 1000
		}
	}
	return out, nil
}

// WriteFiguresXLSX writes figures as a workbook with Chinese headings.
func WriteFiguresXLSX(w io.Writer, by string, figs []Figure) error {
	head := map[string]string{ByItem: "事项", ByDepartment: "部门", ByStaff: "窗口人员"}[by]
	sh := xlsx.Sheet{Name: "好差评统计", Header: []string{head, "非常满意", "满意", "基本满意", "不满意", "非常不满意", "合计", "好评率", "差评整改率"}}
	for _, f := range figs {
		sh.Rows = append(sh.Rows, []any{f.Key, f.Counts[5], f.Counts[4], f.Counts[3], f.Counts[2], f.Counts[1], f.Total,
			Percent(f.GoodPermil), Percent(f.FixPermil)})
	}
	if err := xlsx.Write(w, sh); err != nil {
		return fmt.Errorf("rating: xlsx: %w", err)
	}
	return nil
}

// Percent formats a per-mille figure as a percentage with one decimal.
func Percent(permil int) string {
	return strconv.Itoa(permil/10) + "." + strconv.Itoa(permil%10) + "%"
}
