package casework

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

var figureRoles = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin}

func (m *Module) figureRoutes(s *web.Server) {
	s.Handle("GET /applications/figures", s.Require(figureRoles...)(http.HandlerFunc(m.figuresPage)))
}

// figuresData is the figures page.
type figuresData struct {
	*Figures
	From, To, Item string
	Dept           int64
	Problem        string
	MonthChart     template.HTML
	DeptChart      template.HTML
}

// parseMonth reads YYYY-MM as the first day of that month in China time.
func parseMonth(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), cst)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (m *Module) figuresPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	v := r.URL.Query()
	d := figuresData{From: v.Get("from"), To: v.Get("to"), Item: strings.TrimSpace(v.Get("item"))}
	d.Dept, _ = strconv.ParseInt(v.Get("dept"), 10, 64)
	q := FiguresQuery{ItemCode: d.Item, DepartmentID: d.Dept}
	var ok bool
	if d.From != "" {
		if q.From, ok = parseMonth(d.From); !ok {
			d.Problem = "起始月份应为 YYYY-MM (from must be YYYY-MM)"
		}
	}
	if d.To != "" {
		if q.To, ok = parseMonth(d.To); !ok {
			d.Problem = "截止月份应为 YYYY-MM (to must be YYYY-MM)"
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && (q.From.After(q.To) || q.To.Sub(q.From) > 5*366*24*time.Hour) {
		d.Problem = "起始月份须早于截止月份，且不超过五年 (from before to, at most five years)"
	}
	if d.Problem != "" {
		m.s.RenderStatus(w, r, http.StatusBadRequest, "casework/figures.html", d)
		return
	}
	fg, err := m.Figures(ctx, a, q)
	if fes := FieldErrors(err); len(fes) > 0 {
		d.Problem = fes[0].Message
		m.s.RenderStatus(w, r, http.StatusBadRequest, "casework/figures.html", d)
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Figures = fg
	if d.From == "" {
		d.From = fg.From.In(cst).Format("2006-01")
	}
	if d.To == "" {
		d.To = fg.To.In(cst).AddDate(0, 0, -1).Format("2006-01")
	}
	if v.Get("format") == "xlsx" {
		if err := xlsx.Serve(w, "办件统计_"+d.From+"_"+d.To, figureSheets(fg)...); err != nil {
			m.s.Logger().ErrorContext(ctx, "casework figures export", "err", err)
		}
		return
	}
	d.MonthChart = barChart("chart-month", "各月办件量（件）", "按月份统计的办件量与办结量，数据见下表。", fg.ByMonth,
		func(r FigureRow) float64 { return float64(r.Applications) }, func(r FigureRow) float64 { return float64(r.Decided) },
		"办件", "办结", "%.0f")
	d.DeptChart = barChart("chart-dept", "各部门按时办结率（%）", "按部门统计的按时办结率与即办件占比，数据见下表。",
		fg.ByDepartment, func(r FigureRow) float64 { return r.OnTimeRate() * 100 },
		func(r FigureRow) float64 { return r.OnTheSpotShare() * 100 }, "按时办结率", "即办件占比", "%.0f%%")
	m.s.Render(w, r, "casework/figures.html", d)
}

// figureHeader is the column header of the figure sheets.
var figureHeader = []string{"分组", "办件量", "办结量", "即办件", "即办件占比", "按时办结", "按时办结率", "平均用时（工作日）",
	"平均承诺时限（工作日）", "平均法定时限（工作日）", "共享免交材料", "容缺材料", "秒批"}

func figureSheet(name string, rows []FigureRow) xlsx.Sheet {
	s := xlsx.Sheet{Name: name, Header: figureHeader}
	for _, r := range rows {
		s.Rows = append(s.Rows, []any{r.Label, r.Applications, r.Decided, r.OnTheSpot, r.OnTheSpotShare(), r.OnTime,
			r.OnTimeRate(), r.DaysUsed, r.PromisedDays, r.LegalDays, r.SavedShared, r.SavedShortfall, r.Instant})
	}
	return s
}

// figureSheets returns the workbook of a report: totals, then one sheet
// per grouping.
func figureSheets(fg *Figures) []xlsx.Sheet {
	return []xlsx.Sheet{figureSheet("合计", []FigureRow{fg.Total}), figureSheet("按事项", fg.ByItem),
		figureSheet("按部门", fg.ByDepartment), figureSheet("按月份", fg.ByMonth), figureSheet("跨域通办", fg.ByPair)}
}

// barChart draws a grouped bar chart of two series over rows as an
// accessible SVG (role="img" with a title and a description pointing to
// the data table). Presentation attributes only: the page's content
// security policy forbids inline styles.
func barChart(id, title, desc string, rows []FigureRow, a, b func(FigureRow) float64, nameA, nameB, format string) template.HTML {
	const width, height, left, bottom, top = 640, 260, 44, 56, 28
	if len(rows) == 0 {
		return ""
	}
	peak := 0.0
	for _, r := range rows {
		peak = max(peak, a(r), b(r))
	}
	if peak == 0 {
		peak = 1
	}
	plotH := float64(height - bottom - top)
	slot := float64(width-left-8) / float64(len(rows))
	bar := min(slot*0.38, 36)
	esc := template.HTMLEscapeString
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" id="%s" role="img" aria-labelledby="%s-t %s-d" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`,
		id, id, id, width, height)
	fmt.Fprintf(&sb, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/>`, left, height-bottom, width-4, height-bottom)
	for i := 0; i <= 4; i++ {
		y := float64(height-bottom) - plotH*float64(i)/4
		fmt.Fprintf(&sb, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#333">%s</text>`,
			left, y, width-4, y, left-4, y+4, esc(fmt.Sprintf(format, peak*float64(i)/4)))
	}
	for i, r := range rows {
		x := float64(left) + slot*float64(i) + slot/2
		for j, v := range []float64{a(r), b(r)} {
			h := plotH * v / peak
			fill := "#1f5fa8"
			if j == 1 {
				fill = "#e08a1e"
			}
			bx := x - bar + float64(j)*bar
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s：%s</title></rect>`,
				bx, float64(height-bottom)-h, bar, h, fill, esc(r.Label), esc([]string{nameA, nameB}[j]), esc(fmt.Sprintf(format, v)))
		}
		label := []rune(r.Label)
		if len(label) > 8 {
			label = append(label[:7], '…')
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#333">%s</text>`, x, height-bottom+16, esc(string(label)))
	}
	fmt.Fprintf(&sb, `<rect x="%d" y="6" width="12" height="12" fill="#1f5fa8"/><text x="%d" y="16" font-size="12" fill="#333">%s</text>`, left, left+16, esc(nameA))
	fmt.Fprintf(&sb, `<rect x="%d" y="6" width="12" height="12" fill="#e08a1e"/><text x="%d" y="16" font-size="12" fill="#333">%s</text>`, left+140, left+156, esc(nameB))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}
