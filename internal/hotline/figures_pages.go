package hotline

import (
	"context"
	"github.com/yingshang/yingshang/internal/i18n"
	"html/template"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// mountFigures registers the figures dashboard, the public ranking, the
// export and their API operations.
func (m *Module) mountFigures(s *web.Server) {
	staff := s.Require(auth.RoleSupervisor, auth.RoleDispatcher, auth.RoleAdmin)
	s.Handle("GET /hotline/figures", staff(http.HandlerFunc(m.figuresPage)))
	s.Handle("GET /hotline/figures/export.xlsx", staff(http.HandlerFunc(m.figuresExport)))
	// The public ranking is cached for anonymous visitors for a minute: it
	// counts every order, so no single change drops it.
	s.Handle("GET /hotline/ranking", s.Public(RankingPageGroup, time.Minute, http.HandlerFunc(m.rankingPage)))
	m.registerFiguresAPI(s)
}

// month reads the month query parameter; the current month by default.
func (m *Module) month(r *http.Request) (Month, error) {
	if v := r.URL.Query().Get("month"); v != "" {
		return ParseMonth(v)
	}
	return MonthOf(m.d.Now()), nil
}

// figuresData is what the dashboard renders.
type figuresData struct {
	Month, Prev, Next string
	Departments       *Figures
	Regions           *Figures
	Trend             []MonthRates
	BarChart          template.HTML
	LineChart         template.HTML
	Formulas          []Formula
	Rules             []Formula
	Weights           Weights
}

func (m *Module) figuresPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	mo, err := m.month(r)
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	wt := DefaultWeights()
	d := figuresData{Month: mo.String(), Prev: mo.Add(-1).String(), Next: mo.Add(1).String(),
		Formulas: Formulas(), Rules: CountingRules(), Weights: wt}
	if d.Departments, err = m.Figures(ctx, a, mo, ByDepartment, wt); err != nil {
		m.fail(w, r, err)
		return
	}
	if d.Regions, err = m.Figures(ctx, a, mo, ByRegion, wt); err != nil {
		m.fail(w, r, err)
		return
	}
	if d.Trend, err = m.Trend(ctx, a, mo, 12); err != nil {
		m.fail(w, r, err)
		return
	}
	lang := i18n.LangFrom(ctx)
	t := func(key string, args ...any) string { return m.s.Bundle().T(lang, key, args...) }
	d.BarChart = barChart("fig-bar", t("hotline.fig.bar_title", i18n.Args{"month": d.Month}), t("hotline.fig.bar_desc"), d.Departments.Rows)
	d.LineChart = lineChart("fig-line", t("hotline.fig.line_title"), t("hotline.fig.line_desc"), d.Trend)
	m.s.Render(w, r, "hotline/figures.html", d)
}

// RankingPageGroup is the page-cache group of the public ranking.
const RankingPageGroup = "ranking"

// rankingData is what the public ranking renders.
type rankingData struct {
	Ranking    *Ranking
	Prev, Next string
	Formulas   []Formula
	Rules      []Formula
}

// lastCompleteMonth is the month the public ranking shows by default: the
// current month is still counting.
func (m *Module) lastCompleteMonth() Month { return MonthOf(m.d.Now()).Add(-1) }

func (m *Module) rankingPage(w http.ResponseWriter, r *http.Request) {
	mo := m.lastCompleteMonth()
	var err error
	if v := r.URL.Query().Get("month"); v != "" {
		mo, err = ParseMonth(v)
	}
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	rk, err := m.Ranking(r.Context(), mo, DefaultWeights())
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "hotline/ranking.html", rankingData{Ranking: rk, Prev: mo.Add(-1).String(),
		Next: mo.Add(1).String(), Formulas: Formulas(), Rules: CountingRules()})
}

// figuresSheet turns figures into a worksheet.
func figuresSheet(name, keyHeader string, f *Figures) xlsx.Sheet {
	s := xlsx.Sheet{Name: name, Header: []string{"名次 Rank", keyHeader, "综合得分 Score", "受理量 Orders",
		"响应率 Response", "按时签收 Signed in time", "应签收 Due for sign-for",
		"解决率 Resolution", "已解决 Solved", "满意率 Satisfaction", "满意+基本满意 Satisfied", "已回访 Visited",
		"按时办结率 On-time closure", "按时办结 Closed on time", "已办结 Closed",
		"直接办结 Closed at intake", "合并 Merged", "重办 Reopened"}}
	pct := func(r Rate) any {
		if !r.Defined() {
			return ""
		}
		return r.Value()
	}
	row := func(rank any, x Rates) []any {
		score := any("")
		if x.Scored {
			score = x.Score
		}
		return []any{rank, x.Name, score, x.Orders, pct(x.Response), x.Response.N, x.Response.D,
			pct(x.Resolution), x.Resolution.N, pct(x.Satisfaction), x.Satisfaction.N, x.Satisfaction.D,
			pct(x.OnTime), x.OnTime.N, x.OnTime.D, x.DirectClosed, x.Merged, x.Reopened}
	}
	for _, x := range f.Rows {
		rank := any("")
		if x.Rank > 0 {
			rank = x.Rank
		}
		s.Rows = append(s.Rows, row(rank, x))
	}
	s.Rows = append(s.Rows, row("", f.Total))
	return s
}

func (m *Module) figuresExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	mo, err := m.month(r)
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	wt := DefaultWeights()
	depts, err := m.Figures(ctx, a, mo, ByDepartment, wt)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	regions, err := m.Figures(ctx, a, mo, ByRegion, wt)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	var formulas xlsx.Sheet
	formulas.Name, formulas.Header = "口径 Formulas", []string{"指标 Measure", "公式", "Formula"}
	for _, f := range append(Formulas(), CountingRules()...) {
		formulas.Rows = append(formulas.Rows, []any{f.Name + " " + f.NameEn, f.Zh, f.En})
	}
	formulas.Rows = append(formulas.Rows, []any{"综合得分 Score",
		"响应率×20% + 解决率×40% + 满意率×40%（未定义的比率不计，权重按比例折算）",
		"response×20% + resolution×40% + satisfaction×40% (undefined rates are left out, the weights rescaled)"})
	if err := xlsx.Serve(w, "12345考核指标-"+mo.String()+".xlsx",
		figuresSheet("部门 Departments", "部门 Department", depts),
		figuresSheet("区域 Regions", "区域 Region", regions), formulas); err != nil {
		m.s.Logger().ErrorContext(ctx, "hotline: figures export", "err", err)
	}
}

type figuresInput struct {
	Month string `query:"month" doc:"YYYY-MM (China time); the current month when empty" pattern:"^[0-9]{4}-[0-9]{2}$"`
	By    string `query:"by" enum:"department,region" default:"department"`
}

type figuresOutput struct{ Body *Figures }

type rankingInput struct {
	Month string `query:"month" doc:"YYYY-MM (China time); the last complete month when empty" pattern:"^[0-9]{4}-[0-9]{2}$"`
}

type rankingOutput struct{ Body *Ranking }

func (m *Module) registerFiguresAPI(s *web.Server) {
	api := s.API()
	month := func(v string) (Month, error) {
		if v == "" {
			return MonthOf(m.d.Now()), nil
		}
		return ParseMonth(v)
	}
	huma.Register(api, huma.Operation{OperationID: "hotline-figures", Method: http.MethodGet, Path: apiPrefix + "/figures",
		Summary: "Monthly figures (响应率、解决率、满意率、按时办结率)", Tags: []string{"hotline"}, Security: web.Secured(),
		Description: "One month's rates by department or region within the caller's region, ranked by the composite score " +
			"(response 20% + resolution 40% + satisfaction 40%). Supervisors, dispatchers and administrators.",
		Errors: []int{401, 403, 422}}, func(ctx context.Context, in *figuresInput) (*figuresOutput, error) {
		a, err := s.Actor(ctx, figuresRoles...)
		if err != nil {
			return nil, err
		}
		mo, err := month(in.Month)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		f, err := m.Figures(ctx, a, mo, Grouping(in.By), DefaultWeights())
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &figuresOutput{Body: f}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "hotline-ranking", Method: http.MethodGet, Path: apiPrefix + "/ranking",
		Summary: "Public monthly department ranking", Tags: []string{"hotline"},
		Description: "The city-wide ranking of departments by composite score, compared with the previous month. Public: department names and rates only.",
		Errors:      []int{422}}, func(ctx context.Context, in *rankingInput) (*rankingOutput, error) {
		mo, err := m.lastCompleteMonth(), error(nil)
		if in.Month != "" {
			mo, err = ParseMonth(in.Month)
		}
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		rk, err := m.Ranking(ctx, mo, DefaultWeights())
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &rankingOutput{Body: rk}, nil
	})
}
