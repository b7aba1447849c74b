package policy

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// clauseRows is how many clause rows the editor shows.
const clauseRows = 8

func (m *Module) mountPages(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("policy", loc); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "policy"); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	staff := s.Require(staffRoles...)
	issuers := s.Require(auth.RoleHandler, auth.RoleApprover)
	ent := s.Require(auth.RoleEnterprise)
	s.Handle("GET /policies", staff(http.HandlerFunc(m.listPage)))
	s.Handle("GET /policies/new", issuers(http.HandlerFunc(m.newPage)))
	s.Handle("POST /policies", issuers(http.HandlerFunc(m.createPage)))
	s.Handle("GET /policies/figures", staff(http.HandlerFunc(m.figuresPage)))
	s.Handle("GET /policies/publicity", http.HandlerFunc(m.publicityPage))
	s.Handle("GET /policies/mine", ent(http.HandlerFunc(m.minePage)))
	s.Handle("POST /policies/mine/account", ent(http.HandlerFunc(m.accountPage)))
	s.Handle("GET /policies/calculator/{id}", ent(http.HandlerFunc(m.explainPage)))
	s.Handle("POST /policies/calculator/{id}/application", ent(http.HandlerFunc(m.applyPage)))
	s.Handle("GET /policies/{id}", staff(http.HandlerFunc(m.policyPage)))
	s.Handle("POST /policies/{id}", issuers(http.HandlerFunc(m.updatePage)))
	s.Handle("POST /policies/{id}/publication", issuers(http.HandlerFunc(m.publishPage)))
	s.Handle("POST /policies/{id}/expiry", issuers(http.HandlerFunc(m.expirePage)))
	s.Handle("GET /policies/{id}/explain/{uscc}", staff(http.HandlerFunc(m.staffExplainPage)))
	s.Handle("GET /policies/grants/{id}", s.RequireActor(http.HandlerFunc(m.grantPage)))
	s.Handle("POST /policies/grants/{id}/objections", s.RequireActor(http.HandlerFunc(m.objectPage)))
	s.Handle("POST /policies/grants/{id}/objections/{oid}/answer", issuers(http.HandlerFunc(m.answerPage)))
	s.Handle("POST /policies/grants/{id}/decision", issuers(http.HandlerFunc(m.decidePage)))
	s.Handle("POST /policies/grants/{id}/payment", issuers(http.HandlerFunc(m.payPage)))
	s.Handle("POST /policies/grants/{id}/declination", ent(http.HandlerFunc(m.declinePage)))
	return nil
}

// Nav returns the links the actor may use.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	var links []web.NavLink
	if a.Has(auth.RoleEnterprise) && a.USCC != "" {
		links = append(links, web.NavLink{Path: "/policies/mine", Key: "policy.nav.mine"})
	}
	if a.HasAny(staffRoles...) {
		links = append(links, web.NavLink{Path: "/policies", Key: "policy.nav.list"})
	}
	return links
}

// local picks the language of a text written "中文 (English)".
func local(ctx context.Context, s string) string {
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		if i18n.LangFrom(ctx) == i18n.EN {
			return s[i+2 : len(s)-1]
		}
		return s[:i]
	}
	return s
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch st := web.StatusOf(err); st {
	case http.StatusNotFound, http.StatusForbidden, http.StatusUnauthorized:
		m.s.Error(w, r, st, "web.problem."+strconv.Itoa(st))
	case http.StatusConflict:
		m.s.Error(w, r, st, "policy.error.state")
	case http.StatusUnprocessableEntity:
		m.s.Error(w, r, st, "policy.error.invalid")
	default:
		m.s.Logger().ErrorContext(r.Context(), "policy", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "")
	}
}

func pathID(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id
}

func problems(ctx context.Context, err error) []string {
	var ps []string
	for _, f := range valid.Fields(err) {
		ps = append(ps, f.Path+"："+local(ctx, f.Message))
	}
	if len(ps) == 0 && err != nil {
		ps = append(ps, local(ctx, strings.TrimPrefix(err.Error(), "policy: ")))
	}
	return ps
}

type listData struct {
	Items   []*Policy
	Q       string
	Status  string
	Next    string
	CanEdit bool
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("cursor"), 10, 64)
	ps, err := m.List(ctx, a, Filter{Status: q.Get("status"), Search: q.Get("q"), Before: before, Limit: 50})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := listData{Items: ps, Q: q.Get("q"), Status: q.Get("status"), CanEdit: a.HasAny(auth.RoleHandler, auth.RoleApprover)}
	if len(ps) == 50 {
		d.Next = strconv.FormatInt(ps[len(ps)-1].ID, 10)
	}
	m.s.Render(w, r, "policy/list.html", d)
}

type editData struct {
	Policy    *Policy
	In        Input
	Rows      []Clause
	Problems  []string
	Variables []VariableInfo
}

func (m *Module) renderEdit(w http.ResponseWriter, r *http.Request, status int, p *Policy, in Input, probs []string) {
	rows := append([]Clause{}, in.Clauses...)
	for len(rows) < clauseRows {
		rows = append(rows, Clause{})
	}
	vs, _ := m.Variables()
	m.s.RenderStatus(w, r, status, "policy/edit.html", editData{Policy: p, In: in, Rows: rows, Problems: probs, Variables: vs})
}

func (m *Module) newPage(w http.ResponseWriter, r *http.Request) {
	today := m.today()
	m.renderEdit(w, r, http.StatusOK, nil, Input{Mode: ModeAuto, ValidFrom: today.String(), ValidUntil: today.AddDays(365).String(),
		PublicityDays: m.d.PublicityDays, Exclusions: Exclusions{Serious: true, Abnormal: true, ClassD: true, Granted: true}}, nil)
}

// formInput reads a policy from the editor's form.
func formInput(r *http.Request) Input {
	f := r.PostForm
	num := func(k string) float64 {
		v, _ := strconv.ParseFloat(strings.TrimSpace(f.Get(k)), 64)
		return v
	}
	days, _ := strconv.Atoi(f.Get("publicity_days"))
	in := Input{Code: f.Get("code"), Title: f.Get("title"), SourceDoc: f.Get("source_doc"), SourceURL: f.Get("source_url"),
		ValidFrom: f.Get("valid_from"), ValidUntil: f.Get("valid_until"), Mode: f.Get("mode"), Benefit: f.Get("benefit"),
		CapYuan: num("cap_yuan"), BudgetYuan: num("budget_yuan"), PublicityDays: days, HowTo: f.Get("how_to"),
		Exclusions: Exclusions{Serious: f.Get("ex_serious") != "", Abnormal: f.Get("ex_abnormal") != "",
			ClassD: f.Get("ex_class_d") != "", Granted: f.Get("ex_granted") != ""}}
	texts, rules := f["clause_text"], f["clause_rule"]
	for i := range texts {
		if i < len(rules) && (strings.TrimSpace(texts[i]) != "" || strings.TrimSpace(rules[i]) != "") {
			in.Clauses = append(in.Clauses, Clause{Text: texts[i], Rule: rules[i]})
		}
	}
	return in
}

func (m *Module) createPage(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	in := formInput(r)
	p, err := m.Create(ctx, auth.FromContext(ctx), 0, in)
	if err != nil {
		if web.StatusOf(err) == http.StatusUnprocessableEntity {
			m.renderEdit(w, r, http.StatusUnprocessableEntity, nil, in, problems(ctx, err))
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/policies/%d?ok=created", p.ID), http.StatusSeeOther)
}

func (m *Module) updatePage(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	id := pathID(r, "id")
	in := formInput(r)
	p, err := m.Update(ctx, auth.FromContext(ctx), id, in)
	if err != nil {
		if web.StatusOf(err) == http.StatusUnprocessableEntity {
			old, _ := m.Get(ctx, auth.FromContext(ctx), id)
			m.renderEdit(w, r, http.StatusUnprocessableEntity, old, in, problems(ctx, err))
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/policies/%d?ok=saved", p.ID), http.StatusSeeOther)
}

type policyData struct {
	Policy    *Policy
	CanEdit   bool
	Matches   []Match
	Grants    []*Grant
	Next      string
	OK        string
	Rows      []Clause
	Variables []VariableInfo
	In        Input
}

func (m *Module) policyPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	p, err := m.Get(ctx, a, pathID(r, "id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := policyData{Policy: p, CanEdit: m.canEdit(a, p), OK: r.URL.Query().Get("ok"), In: p.Input}
	if d.CanEdit && p.Status == StatusDraft {
		d.Rows = append([]Clause{}, p.Clauses...)
		for len(d.Rows) < clauseRows {
			d.Rows = append(d.Rows, Clause{})
		}
		d.Variables, _ = m.Variables()
	}
	if p.Status != StatusDraft && m.mayExplain(a, p, "") && !a.Has(auth.RoleEnterprise) {
		after := r.URL.Query().Get("after")
		if valid.Text("after", after) != nil || len(after) > 18 {
			after = ""
		}
		if d.Matches, err = m.Matches(ctx, a, p.ID, after, 50); err != nil {
			m.fail(w, r, err)
			return
		}
		if len(d.Matches) == 50 {
			d.Next = d.Matches[49].USCC
		}
		if d.Grants, err = m.Grants(ctx, a, GrantFilter{PolicyID: p.ID, Limit: 200}); err != nil {
			m.fail(w, r, err)
			return
		}
	}
	m.s.Render(w, r, "policy/policy.html", d)
}

func (m *Module) publishPage(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	id := pathID(r, "id")
	if _, _, err := m.Publish(ctx, auth.FromContext(ctx), id); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/policies/%d?ok=published", id), http.StatusSeeOther)
}

func (m *Module) expirePage(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	id := pathID(r, "id")
	if _, err := m.Expire(ctx, auth.FromContext(ctx), id); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/policies/%d?ok=expired", id), http.StatusSeeOther)
}

type figuresData struct{ Items []Figure }

func (m *Module) figuresPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	figs, err := m.Figures(ctx, auth.FromContext(ctx))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", xlsx.ContentDisposition("政策兑现统计-"+m.today().String()+".xlsx"))
		if err := WriteFigures(w, figs); err != nil {
			m.s.Logger().ErrorContext(ctx, "policy figures", "err", err)
		}
		return
	}
	m.s.Render(w, r, "policy/figures.html", figuresData{Items: figs})
}

type publicityData struct {
	Items []*Grant
	Next  string
}

// publicityPage is the public publicity list (公示) of 免申即享 grants.
func (m *Module) publicityPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, _ := strconv.ParseInt(r.URL.Query().Get("cursor"), 10, 64)
	gs, err := m.Grants(ctx, auth.System(), GrantFilter{Status: GrantPublicity, After: after, Limit: 50})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	for _, g := range gs {
		g.Account, g.Bank = "", ""
		g.Name = m.businessName(ctx, g.USCC)
	}
	d := publicityData{Items: gs}
	if len(gs) == 50 {
		d.Next = strconv.FormatInt(gs[49].ID, 10)
	}
	m.s.Render(w, r, "policy/publicity.html", d)
}

func (m *Module) businessName(ctx context.Context, uscc string) string {
	var name string
	if err := m.d.DB.QueryRowContext(ctx, "SELECT name FROM entities WHERE uscc = ?", uscc).Scan(&name); err != nil {
		return uscc
	}
	return name
}

type mineData struct {
	Items   []*Explanation
	Bank    string
	Account string
	OK      string
	Problem []string
}

func (m *Module) minePage(w http.ResponseWriter, r *http.Request) {
	m.renderMine(w, r, http.StatusOK, nil)
}

func (m *Module) renderMine(w http.ResponseWriter, r *http.Request, status int, probs []string) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	xs, err := m.Mine(ctx, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := mineData{Items: xs, OK: r.URL.Query().Get("ok"), Problem: probs}
	d.Bank, d.Account, _ = m.Account(ctx, a)
	m.s.RenderStatus(w, r, status, "policy/mine.html", d)
}

func (m *Module) accountPage(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	if err := m.SetAccount(ctx, auth.FromContext(ctx), r.PostForm.Get("bank"), r.PostForm.Get("account")); err != nil {
		if web.StatusOf(err) == http.StatusUnprocessableEntity {
			m.renderMine(w, r, http.StatusUnprocessableEntity, problems(ctx, err))
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/policies/mine?ok=account", http.StatusSeeOther)
}

type explainData struct {
	X      *Explanation
	Mine   bool
	OK     string
	Policy *Policy
}

func (m *Module) explainPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	x, err := m.Explain(ctx, a, pathID(r, "id"), a.USCC)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	p, _ := m.Get(ctx, a, x.PolicyID)
	m.s.Render(w, r, "policy/explain.html", explainData{X: x, Mine: true, OK: r.URL.Query().Get("ok"), Policy: p})
}

func (m *Module) staffExplainPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	u := r.PathValue("uscc")
	if valid.Text("uscc", u) != nil || len(u) > 18 {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "policy.error.invalid")
		return
	}
	x, err := m.Explain(ctx, a, pathID(r, "id"), u)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	p, _ := m.Get(ctx, a, x.PolicyID)
	m.s.Render(w, r, "policy/explain.html", explainData{X: x, Policy: p})
}

func (m *Module) applyPage(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	id := pathID(r, "id")
	g, _, err := m.Apply(ctx, auth.FromContext(ctx), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	ok := "notqualified"
	if g != nil {
		ok = "applied"
	}
	http.Redirect(w, r, fmt.Sprintf("/policies/calculator/%d?ok=%s", id, ok), http.StatusSeeOther)
}

type grantData struct {
	G         *Grant
	Name      string
	CanDecide bool
	Mine      bool
	CanObject bool
	Problems  []string
	OK        string
}

func (m *Module) renderGrant(w http.ResponseWriter, r *http.Request, status int, id int64, probs []string) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	g, err := m.GetGrant(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := grantData{G: g, Name: m.businessName(ctx, g.USCC), CanDecide: m.canDecide(a, g), Mine: a.Has(auth.RoleEnterprise) && a.USCC == g.USCC,
		CanObject: g.Status == GrantPublicity && m.today().String() <= g.PublicityUntil, Problems: probs, OK: r.URL.Query().Get("ok")}
	m.s.RenderStatus(w, r, status, "policy/grant.html", d)
}

func (m *Module) grantPage(w http.ResponseWriter, r *http.Request) {
	m.renderGrant(w, r, http.StatusOK, pathID(r, "id"), nil)
}

// grantAction runs one action of the grant page and redirects back, or
// shows the page again with the problems.
func (m *Module) grantAction(w http.ResponseWriter, r *http.Request, ok string, fn func(ctx context.Context, a *auth.Actor, id int64) error) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	id := pathID(r, "id")
	if err := fn(ctx, auth.FromContext(ctx), id); err != nil {
		switch web.StatusOf(err) {
		case http.StatusUnprocessableEntity, http.StatusConflict:
			st := web.StatusOf(err)
			if _, gerr := m.GetGrant(ctx, auth.FromContext(ctx), id); gerr == nil {
				m.renderGrant(w, r, st, id, problems(ctx, err))
				return
			}
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/policies/grants/%d?ok=%s", id, ok), http.StatusSeeOther)
}

func (m *Module) objectPage(w http.ResponseWriter, r *http.Request) {
	m.grantAction(w, r, "objected", func(ctx context.Context, a *auth.Actor, id int64) error {
		_, err := m.Object(ctx, a, id, r.PostForm.Get("text"))
		return err
	})
}

func (m *Module) answerPage(w http.ResponseWriter, r *http.Request) {
	m.grantAction(w, r, "answered", func(ctx context.Context, a *auth.Actor, id int64) error {
		_, err := m.Answer(ctx, a, id, pathID(r, "oid"), r.PostForm.Get("answer"), r.PostForm.Get("upheld") == "true")
		return err
	})
}

func (m *Module) decidePage(w http.ResponseWriter, r *http.Request) {
	m.grantAction(w, r, "decided", func(ctx context.Context, a *auth.Actor, id int64) error {
		_, err := m.Decide(ctx, a, id)
		return err
	})
}

func (m *Module) payPage(w http.ResponseWriter, r *http.Request) {
	m.grantAction(w, r, "paid", func(ctx context.Context, a *auth.Actor, id int64) error {
		_, err := m.Pay(ctx, a, id, r.PostForm.Get("paid_on"))
		return err
	})
}

func (m *Module) declinePage(w http.ResponseWriter, r *http.Request) {
	m.grantAction(w, r, "declined", func(ctx context.Context, a *auth.Actor, id int64) error {
		_, err := m.Decline(ctx, a, id, r.PostForm.Get("reason"))
		return err
	})
}
