package discretion

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// staffRoles may try the engine and read the figures.
var staffRoles = []auth.Role{auth.RoleInspector, auth.RoleHandler, auth.RoleApprover, auth.RoleLegal,
	auth.RoleSupervisor, auth.RoleAdmin}

// Mount registers the pages and the API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("discretion", loc); err != nil {
		return fmt.Errorf("discretion: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "discretion"); err != nil {
		return fmt.Errorf("discretion: %w", err)
	}
	staff := s.Require(staffRoles...)
	s.HandleFunc("GET /discretion", m.listsPage)
	s.Handle("GET /discretion/try", staff(http.HandlerFunc(m.tryPage)))
	s.Handle("POST /discretion/try", staff(http.HandlerFunc(m.tryPage)))
	s.Handle("GET /discretion/figures", staff(http.HandlerFunc(m.figuresPage)))
	m.registerAPI(s)
	return nil
}

// Nav links staff to the engine.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	if a.HasAny(staffRoles...) {
		return []web.NavLink{{Path: "/discretion/try", Key: "discretion.nav"}}
	}
	return nil
}

func (m *Module) listsPage(w http.ResponseWriter, r *http.Request) {
	m.s.Render(w, r, "discretion/lists.html", struct {
		Lists *Lists
		Facts map[string]string
		Range func(string) string
	}{m.lists, Facts, m.rangeOf})
}

// rangeOf writes a level's share of a maximum-only fine, for the page.
func (m *Module) rangeOf(l string) string {
	r := m.lists.Benchmark.MaxOnly[Level(l)]
	return fmt.Sprintf("%.0f%%–%.0f%%", r[0]*100, r[1]*100)
}

type tryData struct {
	Lists    *Lists
	Facts    []factOption
	Matter   string
	Proposal *Proposal
	Problem  string
	Levels   func(Level) string
	Yuan     func(int64) string
}

type factOption struct {
	Key, Name string
	Checked   bool
}

func (m *Module) tryPage(w http.ResponseWriter, r *http.Request) {
	d := tryData{Lists: m.lists, Levels: LevelName, Yuan: yuan}
	facts := map[string]string{}
	if r.Method == http.MethodPost {
		if !m.s.ParseForm(w, r) {
			return
		}
		d.Matter = r.PostForm.Get("matter")
		for _, k := range r.PostForm["fact"] {
			facts[k] = "true"
		}
		p, err := m.Propose(r.Context(), Query{MatterCode: d.Matter, Facts: facts})
		if err != nil {
			d.Problem = m.s.Bundle().T(langOf(r), "discretion.try.invalid")
		} else {
			d.Proposal = &p
		}
	}
	for _, k := range factOrder {
		d.Facts = append(d.Facts, factOption{Key: k, Name: Facts[k], Checked: facts[k] == "true"})
	}
	status := http.StatusOK
	if d.Problem != "" {
		status = http.StatusUnprocessableEntity
	}
	m.s.RenderStatus(w, r, status, "discretion/try.html", d)
}

// factOrder lists the facts in the order the form asks them.
var factOrder = []string{"first_violation", "harm_slight", "corrected_in_time", "violation_minor", "no_harm",
	"eliminated_harm", "coerced", "confessed", "helped", "repeat_within_year", "refused_correction"}

func langOf(r *http.Request) string { return i18n.LangFrom(r.Context()) }

// period reads ?from= and ?to= (YYYY-MM), the current month by default,
// as the first and last day.
func (m *Module) period(r *http.Request) (string, string, bool) {
	now := m.d.Now().In(web.CST)
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if from == "" {
		from = now.Format("2006-01")
	}
	if to == "" {
		to = from
	}
	f, err1 := time.Parse("2006-01", from)
	t, err2 := time.Parse("2006-01", to)
	if err1 != nil || err2 != nil || t.Before(f) {
		return "", "", false
	}
	return f.Format(time.DateOnly), t.AddDate(0, 1, -1).Format(time.DateOnly), true
}

func (m *Module) figuresPage(w http.ResponseWriter, r *http.Request) {
	from, to, ok := m.period(r)
	if !ok {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "discretion.figures.bad_period")
		return
	}
	figs, err := m.Figures(r.Context(), auth.FromContext(r.Context()), from, to)
	if err != nil {
		m.s.Error(w, r, http.StatusInternalServerError, "web.problem.500")
		return
	}
	if r.URL.Query().Get("format") == "xlsx" {
		sh := xlsx.Sheet{Name: "包容审慎监管统计", Header: []string{"部门", "不予处罚", "减轻处罚", "从轻处罚", "一般处罚", "从重处罚",
			"首违不罚", "偏离裁量建议", "服务", "管理", "执法"}}
		for _, f := range figs {
			sh.Rows = append(sh.Rows, []any{f.DepartmentCode, f.ByLevel[LevelNone], f.ByLevel[LevelReduced], f.ByLevel[LevelLighter],
				f.ByLevel[LevelNormal], f.ByLevel[LevelHeavier], f.FirstViolation, f.Departures,
				f.Activities[ActivityService], f.Activities[ActivityManagement], f.Activities[ActivityEnforcement]})
		}
		_ = xlsx.Serve(w, "包容审慎监管统计-"+from+"-"+to+".xlsx", sh)
		return
	}
	m.s.Render(w, r, "discretion/figures.html", struct {
		From, To string
		Items    []Figure
		Pct      func(float64) string
	}{from[:7], to[:7], figs, func(x float64) string { return fmt.Sprintf("%.0f%%", x*100) }})
}

type proposeInput struct {
	Body struct {
		Matter string            `json:"matter" minLength:"1" maxLength:"64" doc:"违法事项 code from the lists"`
		Facts  map[string]string `json:"facts,omitempty" doc:"fact name → \"true\" or \"false\" (see GET /discretion/lists)"`
	}
}

type proposalOutput struct{ Body Proposal }

type listsOutput struct {
	Body struct {
		Lists *Lists            `json:"lists"`
		Facts map[string]string `json:"facts"`
	}
}

type figuresInput struct {
	From string `query:"from" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" required:"true" doc:"YYYY-MM-DD"`
	To   string `query:"to" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" required:"true" doc:"YYYY-MM-DD"`
}

type figuresOutput struct {
	Body struct {
		Items []Figure `json:"items"`
	}
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/discretion"
	tags := []string{"discretion"}
	huma.Register(api, huma.Operation{OperationID: "discretion-lists", Method: http.MethodGet, Path: base + "/lists",
		Summary: "The published 包容审慎 lists and discretion benchmarks (public)", Tags: tags,
	}, func(ctx context.Context, _ *struct{}) (*listsOutput, error) {
		out := &listsOutput{}
		out.Body.Lists, out.Body.Facts = m.lists, Facts
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "discretion-propose", Method: http.MethodPost, Path: base + "/propose",
		Summary: "Propose a level and a fine range for a case's facts, with the trace of every rule",
		Tags:    tags, Security: web.Secured(), Errors: []int{401, 403, 422},
	}, func(ctx context.Context, in *proposeInput) (*proposalOutput, error) {
		if _, err := s.Actor(ctx, staffRoles...); err != nil {
			return nil, err
		}
		p, err := m.Propose(ctx, Query{MatterCode: in.Body.Matter, Facts: in.Body.Facts})
		if err != nil {
			return nil, huma.Error422UnprocessableEntity(err.Error())
		}
		return &proposalOutput{Body: p}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "discretion-figures", Method: http.MethodGet, Path: base + "/figures",
		Summary: "Cases by level, 首违不罚, departures and the 721 shares per department",
		Tags:    tags, Security: web.Secured(), Errors: []int{401, 403, 422},
	}, func(ctx context.Context, in *figuresInput) (*figuresOutput, error) {
		a, err := s.Actor(ctx, staffRoles...)
		if err != nil {
			return nil, err
		}
		figs, err := m.Figures(ctx, a, in.From, in.To)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &figuresOutput{}
		out.Body.Items = figs
		return out, nil
	})
}
