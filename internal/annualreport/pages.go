package annualreport

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Rows of each list the form offers beyond those already filled.
const blankRows = 2

// Mount registers the pages and the API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("annualreport", loc); err != nil {
		return fmt.Errorf("annualreport: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "annualreport"); err != nil {
		return fmt.Errorf("annualreport: %w", err)
	}
	ent := s.Require(auth.RoleEnterprise)
	s.Handle("GET /annual-reports/mine", ent(http.HandlerFunc(m.minePage)))
	s.Handle("GET /annual-reports/mine/{year}", ent(http.HandlerFunc(m.formPage)))
	s.Handle("POST /annual-reports/mine/{year}", ent(http.HandlerFunc(m.formSubmit)))
	s.Handle("POST /annual-reports/mine/{year}/removal", ent(http.HandlerFunc(m.applySubmit)))
	staff := s.Require(auth.RoleClerk, auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin)
	s.Handle("GET /annual-reports", staff(http.HandlerFunc(m.listPage)))
	s.Handle("GET /annual-reports/export", staff(http.HandlerFunc(m.export)))
	decide := s.Require(decideRoles...)
	s.Handle("GET /annual-reports/removals", decide(http.HandlerFunc(m.removalsPage)))
	s.Handle("POST /annual-reports/removals/{id}", decide(http.HandlerFunc(m.decideSubmit)))
	m.registerAPI(s)
	return nil
}

// Nav links a business to its reports and staff to the lists.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	switch {
	case a == nil:
		return nil
	case a.Has(auth.RoleEnterprise):
		return []web.NavLink{{Path: "/annual-reports/mine", Key: "annualreport.nav.mine"}}
	case a.IsStaff() && a.HasAny(auth.RoleClerk, auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin):
		return []web.NavLink{{Path: "/annual-reports", Key: "annualreport.nav.staff"}}
	}
	return nil
}

type mineData struct {
	Year       int
	From, To   string
	Open       bool
	Due        *Report
	Reports    []Report
	Listings   []Listing
	Flash      string
	LateFiling bool
}

func (m *Module) minePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	today := m.today()
	year := ReportYear(today)
	from, to := m.d.Rules.Window(year)
	reps, err := m.Mine(ctx, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	ls, err := m.Listings(ctx, a, a.USCC)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := mineData{Year: year, From: from.String(), To: to.String(), Open: !today.Before(from) && !today.After(to),
		Reports: reps, Listings: ls}
	for i := range reps {
		if reps[i].Year == year {
			d.Due = &reps[i]
		}
	}
	if ok := r.URL.Query().Get("ok"); ok != "" && slices.Contains([]string{"filed", "corrected", "applied"}, ok) {
		d.Flash = "annualreport.flash." + ok
	}
	m.s.Render(w, r, "annualreport/mine.html", d)
}

// formData is what the report form renders.
type formData struct {
	Year     int
	Existing *Report
	C        Content
	Yuan     map[string]string // figures as typed, in yuan (employees as a count)
	Public   map[string]bool
	Errors   map[string]string
	Figures  []string
	Statuses []string
	Methods  []string
}

func yearOf(r *http.Request) (int, bool) {
	y, err := strconv.Atoi(r.PathValue("year"))
	return y, err == nil && y >= 1900 && y <= 9999
}

func fenText(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

func (m *Module) formPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	year, ok := yearOf(r)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "annualreport.error.not_found")
		return
	}
	d := formData{Year: year, Yuan: map[string]string{}, Public: map[string]bool{}}
	rep, err := m.Get(ctx, a, a.USCC, year)
	switch {
	case err == nil:
		d.Existing, d.C = rep, rep.Content
		for k, v := range rep.Content.Figures {
			if k == "employees" {
				d.Yuan[k] = strconv.FormatInt(v, 10)
			} else {
				d.Yuan[k] = fenText(v)
			}
		}
		for _, f := range rep.Content.PublicFigures {
			d.Public[f] = true
		}
	case !errors.Is(err, ErrNotFound):
		m.fail(w, r, err)
		return
	default:
		// A first report starts from the registered address.
		if e, err := m.d.Register.Get(ctx, auth.System(), a.USCC); err == nil {
			d.C.Address = e.Address
		}
	}
	m.renderForm(w, r, http.StatusOK, d)
}

func (m *Module) renderForm(w http.ResponseWriter, r *http.Request, status int, d formData) {
	d.Figures, d.Statuses, d.Methods = Figures, OperatingStatuses, ContributionMethods
	for range blankRows {
		d.C.Investments = append(d.C.Investments, Investment{})
		d.C.Contributions = append(d.C.Contributions, Contribution{})
		d.C.Transfers = append(d.C.Transfers, Transfer{})
		d.C.Websites = append(d.C.Websites, Website{})
	}
	m.s.RenderStatus(w, r, status, "annualreport/form.html", d)
}

// parseYuan reads an amount in yuan ("1,234.56") as fen.
func parseYuan(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "").Replace(strings.TrimSpace(s))
	v, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "eE/") {
		return 0, false
	}
	v.Mul(v, big.NewRat(100, 1))
	if !v.IsInt() || !v.Num().IsInt64() {
		return 0, false
	}
	return v.Num().Int64(), true
}

// parseForm reads the report form; problems of the form itself (an
// amount that is not one) are returned with the content.
func parseForm(r *http.Request) (Content, map[string]string, map[string]bool, valid.Problems) {
	f := r.PostForm
	var p valid.Problems
	c := Content{Address: f.Get("address"), Postcode: f.Get("postcode"), Phone: f.Get("phone"), Email: f.Get("email"),
		OperatingStatus: f.Get("operating_status"), Figures: map[string]int64{}}
	rows := func(prefix string, keys ...string) [][]string {
		var out [][]string
		for i := 0; i < 200; i++ {
			if _, ok := f[fmt.Sprintf("%s_%d_%s", prefix, i, keys[0])]; !ok {
				break
			}
			vals := make([]string, len(keys))
			empty := true
			for j, k := range keys {
				vals[j] = strings.TrimSpace(f.Get(fmt.Sprintf("%s_%d_%s", prefix, i, k)))
				empty = empty && (vals[j] == "" || k == "kind" || k == "method")
			}
			if !empty {
				out = append(out, vals)
			}
		}
		return out
	}
	for _, v := range rows("inv", "name", "uscc") {
		c.Investments = append(c.Investments, Investment{Name: v[0], USCC: v[1]})
	}
	for i, v := range rows("con", "shareholder", "subscribed", "subscribed_on", "paid", "paid_on", "method") {
		sub, ok1 := parseYuan(v[1])
		paid, ok2 := parseYuan(v[3])
		if v[3] == "" {
			paid, ok2 = 0, true
		}
		if !ok1 || !ok2 {
			p.Add(fmt.Sprintf("contributions[%d].paid_fen", i), "金额应为元，如 100000 或 1234.56 (an amount in yuan)")
		}
		c.Contributions = append(c.Contributions, Contribution{Shareholder: v[0], SubscribedFen: sub, SubscribedOn: v[2],
			PaidFen: paid, PaidOn: v[4], Method: v[5]})
	}
	for _, v := range rows("tr", "shareholder", "before", "after", "on") {
		c.Transfers = append(c.Transfers, Transfer{Shareholder: v[0], BeforePct: v[1], AfterPct: v[2], On: v[3]})
	}
	for _, v := range rows("web", "name", "url", "kind") {
		c.Websites = append(c.Websites, Website{Name: v[0], URL: v[1], Kind: v[2]})
	}
	typed, public := map[string]string{}, map[string]bool{}
	for _, fig := range Figures {
		s := strings.TrimSpace(f.Get("fig_" + fig))
		typed[fig] = s
		if f.Get("pub_"+fig) == "1" {
			public[fig] = true
			c.PublicFigures = append(c.PublicFigures, fig)
		}
		if s == "" {
			continue
		}
		if fig == "employees" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				p.Add("figures."+fig, "应为整数 (an integer)")
				continue
			}
			c.Figures[fig] = n
			continue
		}
		n, ok := parseYuan(s)
		if !ok {
			p.Add("figures."+fig, "金额应为元，最多两位小数 (an amount in yuan)")
			continue
		}
		c.Figures[fig] = n
	}
	return c, typed, public, p
}

func (m *Module) formSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	year, ok := yearOf(r)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "annualreport.error.not_found")
		return
	}
	c, typed, public, probs := parseForm(r)
	d := formData{Year: year, C: c, Yuan: typed, Public: public}
	existing, err := m.Get(ctx, a, a.USCC, year)
	if err != nil && !errors.Is(err, ErrNotFound) {
		m.fail(w, r, err)
		return
	}
	d.Existing = existing
	if len(probs) == 0 {
		okKey := "filed"
		if existing != nil {
			ver, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
			_, err = m.Correct(ctx, a, a.USCC, year, c, ver)
			okKey = "corrected"
		} else {
			_, err = m.File(ctx, a, a.USCC, year, c)
		}
		if err == nil {
			http.Redirect(w, r, "/annual-reports/mine?ok="+okKey, http.StatusSeeOther)
			return
		}
	} else {
		err = probs.Err()
	}
	if fes := valid.Fields(err); len(fes) > 0 {
		d.Errors = map[string]string{}
		for _, fe := range fes {
			d.Errors[fe.Path] = fe.Message
		}
		m.renderForm(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	m.fail(w, r, err)
}

func (m *Module) applySubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	year, ok := yearOf(r)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "annualreport.error.not_found")
		return
	}
	if _, err := m.ApplyRemoval(r.Context(), auth.FromContext(r.Context()), year); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/annual-reports/mine?ok=applied", http.StatusSeeOther)
}

type listData struct {
	Year  int
	Filed bool
	// CanDecide offers the removal requests to those who decide them.
	CanDecide bool
	Items     []Status
	Pager     web.Pager
}

const pageSize = 50

// decideRoles decide requests for removal from the abnormal list.
var decideRoles = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleAdmin}

// staffYear reads ?year=, the report year due by default.
func (m *Module) staffYear(r *http.Request) (int, bool) {
	if s := r.URL.Query().Get("year"); s != "" {
		y, err := strconv.Atoi(s)
		return y, err == nil && y >= 1900 && y <= 9999
	}
	return ReportYear(m.today()), true
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	year, ok := m.staffYear(r)
	if !ok {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	d := listData{Year: year, Filed: r.URL.Query().Get("filed") != "0",
		CanDecide: auth.FromContext(r.Context()).HasAny(decideRoles...)}
	if d.Filed {
		c, err := web.Cursor(r, "after")
		if err != nil {
			m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
			return
		}
		items, pg, err := m.Filed(ctx, a, year, c, pageSize)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Items, d.Pager = items, web.KeysetPager(r, "after", pg.Count, pg.Next.String())
	} else {
		after := r.URL.Query().Get("after")
		if len(after) > 18 {
			m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
			return
		}
		items, next, err := m.NotFiled(ctx, a, year, after, pageSize)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		// The count of non-filers is not bounded cheaply; the pager shows
		// the page's rows and the way on.
		d.Items, d.Pager = items, web.KeysetPager(r, "after", len(items), next)
	}
	m.s.Render(w, r, "annualreport/list.html", d)
}

func (m *Module) export(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	year, ok := m.staffYear(r)
	if !ok {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	filed := r.URL.Query().Get("filed") != "0"
	sheet := xlsx.Sheet{Name: strconv.Itoa(year), Header: []string{"统一社会信用代码 USCC", "名称 Name", "行政区划 Region",
		"已报送 Filed", "报送日期 Filed on", "补报 Late"}}
	sheet.Stream = func(emit func([]any) error) error {
		if filed {
			var c store.Cursor
			for {
				items, pg, err := m.Filed(ctx, a, year, c, 500)
				if err != nil {
					return err
				}
				for _, s := range items {
					if err := emit([]any{s.USCC, s.Name, s.RegionCode, "是", s.FiledOn, map[bool]string{true: "是", false: "否"}[s.Late]}); err != nil {
						return err
					}
				}
				if pg.Next.IsZero() {
					return nil
				}
				c = pg.Next
			}
		}
		after := ""
		for {
			items, next, err := m.NotFiled(ctx, a, year, after, 500)
			if err != nil {
				return err
			}
			for _, s := range items {
				if err := emit([]any{s.USCC, s.Name, s.RegionCode, "否", "", ""}); err != nil {
					return err
				}
			}
			if next == "" {
				return nil
			}
			after = next
		}
	}
	name := fmt.Sprintf("年度报告_%d_%s", year, map[bool]string{true: "已报送", false: "未报送"}[filed])
	if err := xlsx.Serve(w, name, sheet); err != nil {
		m.s.Logger().ErrorContext(ctx, "annualreport: export failed", "err", err)
	}
}

type removalsData struct {
	Items []Listing
	Flash string
	Pager web.Pager
}

func (m *Module) removalsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	c, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	items, err := m.PendingRemovals(ctx, a, c.ID, pageSize)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	next := ""
	if len(items) == pageSize {
		next = store.Cursor{ID: items[len(items)-1].ID}.String()
	}
	d := removalsData{Items: items, Pager: web.KeysetPager(r, "after", len(items), next)}
	if ok := r.URL.Query().Get("ok"); ok == "removed" || ok == "refused" {
		d.Flash = "annualreport.flash." + ok
	}
	m.s.Render(w, r, "annualreport/removals.html", d)
}

func (m *Module) decideSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		m.s.Error(w, r, http.StatusNotFound, "annualreport.error.not_found")
		return
	}
	f := r.PostForm
	d := RemovalDecision{Remove: f.Get("remove") == "1", DecisionNo: f.Get("decision_no"), Reason: f.Get("reason")}
	if _, err := m.DecideRemoval(r.Context(), auth.FromContext(r.Context()), id, d); err != nil {
		m.fail(w, r, err)
		return
	}
	ok := "refused"
	if d.Remove {
		ok = "removed"
	}
	http.Redirect(w, r, "/annual-reports/removals?ok="+ok, http.StatusSeeOther)
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.StatusOf(err)
	switch {
	case errors.Is(err, ErrNotFound), status == http.StatusNotFound:
		m.s.Error(w, r, http.StatusNotFound, "annualreport.error.not_found")
	case errors.Is(err, ErrClosed):
		m.s.Error(w, r, http.StatusConflict, "annualreport.error.closed")
	case status == http.StatusUnprocessableEntity, status == http.StatusConflict, status == http.StatusForbidden:
		m.s.Error(w, r, status, "")
	default:
		m.s.Logger().ErrorContext(r.Context(), "annualreport: page failed", "request_id", web.RequestID(r.Context()), "err", err)
		m.s.Error(w, r, http.StatusInternalServerError, "")
	}
}

// SubscribedYuan is the subscribed capital in yuan, as the form shows it.
func (c Contribution) SubscribedYuan() string { return fenText(c.SubscribedFen) }

// PaidYuan is the paid-in capital in yuan, as the form shows it.
func (c Contribution) PaidYuan() string { return fenText(c.PaidFen) }
