package hotline

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Mount registers the pages, messages and API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("hotline", loc); err != nil {
		return fmt.Errorf("hotline: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "hotline"); err != nil {
		return fmt.Errorf("hotline: %w", err)
	}
	op, disp := auth.RoleOperator, auth.RoleDispatcher
	s.Handle("GET /hotline/intake", s.Require(op, disp)(http.HandlerFunc(m.intakePage)))
	s.Handle("POST /hotline/intake", s.Require(op, disp)(http.HandlerFunc(m.intakeSubmit)))
	s.Handle("GET /hotline/intake/suggest", s.Require(op, disp)(http.HandlerFunc(m.suggestFragment)))
	s.Handle("GET /hotline/dispatch", s.Require(op, disp)(m.queue("dispatch", Filter{Status: []Status{StatusNew, StatusReplied}})))
	s.Handle("GET /hotline/handling", s.Require(auth.RoleHandler)(m.queue("handling", Filter{Waiting: true})))
	s.Handle("GET /hotline/visits", s.Require(op)(m.queue("visits", Filter{Status: []Status{StatusClosed}})))
	s.Handle("GET /hotline/overdue", s.Require(auth.RoleSupervisor, auth.RoleAdmin, disp)(m.queue("overdue", Filter{Overdue: true})))
	s.Handle("GET /hotline/orders", s.Require(staffRoles...)(m.queue("all", Filter{})))
	s.Handle("GET /hotline/my", s.Require(auth.RoleCitizen, auth.RoleEnterprise)(m.queue("my", Filter{})))
	s.Handle("GET /hotline/orders/{id}", s.RequireActor(http.HandlerFunc(m.orderPage)))
	s.Handle("POST /hotline/orders/{id}/{action}", s.RequireActor(http.HandlerFunc(m.orderAction)))
	s.Handle("GET /hotline/lookup", http.HandlerFunc(m.lookupPage))
	s.Handle("POST /hotline/lookup", http.HandlerFunc(m.lookupPage))
	s.Handle("GET /hotline/visit/{token}", http.HandlerFunc(m.visitLinkPage))
	s.Handle("POST /hotline/visit/{token}", http.HandlerFunc(m.visitLinkPage))
	s.Handle("GET /hotline/directory", s.Require(disp, auth.RoleAdmin)(http.HandlerFunc(m.directoryPage)))
	s.Handle("POST /hotline/directory", s.Require(disp, auth.RoleAdmin)(http.HandlerFunc(m.directoryPage)))
	m.mountFigures(s)
	m.mountSubmit(s)
	m.mountConfig(s)
	m.registerAPI(s)
	return nil
}

// fail answers an error with the page for its status.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch status := web.StatusOf(err); status {
	case http.StatusInternalServerError:
		m.s.Logger().ErrorContext(r.Context(), "hotline", "err", err, "route", r.Pattern)
		m.s.Error(w, r, status, "")
	default:
		m.s.Error(w, r, status, "")
	}
}

// deptOption is a department in a select list.
type deptOption struct {
	ID   int64
	Name string
}

func (m *Module) departments(ctx context.Context) []deptOption {
	active := true
	ds, _, err := m.d.Org.ListDepartments(ctx, org.DepartmentFilter{Active: &active, Page: org.Page{Number: 1, Size: 500}})
	if err != nil {
		return nil
	}
	out := make([]deptOption, 0, len(ds))
	for _, d := range ds {
		out = append(out, deptOption{d.ID, d.Name})
	}
	return out
}

// intakeData is what the intake form renders.
type intakeData struct {
	Form        url.Values
	Types       []Type
	Channels    []Channel
	Categories  []Category
	Errors      map[string]string
	Duplicates  []Duplicate
	Suggestions []Suggestion
	Knowledge   []KnowledgeHit
	Checked     bool
	Regions     []org.Region // the operator's region and those within it
}

func (m *Module) intakeData(ctx context.Context, form url.Values) intakeData {
	var cats []Category
	for _, c := range m.Categories() {
		if c.Active && c.Level() == 3 {
			c.Name = m.CategoryPath(c.Code)
			cats = append(cats, c)
		}
	}
	if form == nil {
		form = url.Values{"channel": {"phone"}, "type": {"complaint"}}
	}
	d := intakeData{Form: form, Types: Types, Channels: Channels, Categories: cats, Errors: map[string]string{}}
	if a := auth.FromContext(ctx); a != nil {
		if regions, err := m.d.Org.ListRegions(ctx, a.RegionCode); err == nil {
			d.Regions = regions
		}
	}
	return d
}

func (m *Module) intakePage(w http.ResponseWriter, r *http.Request) {
	m.s.Render(w, r, "hotline/intake.html", m.intakeData(r.Context(), nil))
}

// formOrder reads an intake form.
func formOrder(f url.Values) (NewOrder, error) {
	n := NewOrder{Channel: Channel(f.Get("channel")), Type: Type(f.Get("type")), CategoryCode: f.Get("category_code"),
		Title: f.Get("title"), Content: f.Get("content"), CallerName: f.Get("caller_name"), CallerPhone: f.Get("caller_phone"),
		USCC: f.Get("uscc"), RegionCode: f.Get("region_code"), Address: f.Get("address"), Urgent: f.Get("urgent") == "1",
		Confidential: f.Get("confidential") == "1", SourceRef: f.Get("source_ref"), DirectAnswer: f.Get("direct_answer")}
	var p problems
	for _, k := range []struct {
		name string
		dst  **float64
	}{{"lat", &n.Lat}, {"lng", &n.Lng}} {
		if v := strings.TrimSpace(f.Get(k.name)); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				p.add(k.name, "须为数字 (must be a number)")
				continue
			}
			*k.dst = &x
		}
	}
	if v := f.Get("merge_into"); v != "" {
		n.MergeInto, _ = strconv.ParseInt(v, 10, 64)
	}
	return n, p.err()
}

func (m *Module) intakeSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	d := m.intakeData(r.Context(), r.PostForm)
	n, err := formOrder(r.PostForm)
	if err == nil && r.PostForm.Get("check") != "" {
		// Look before storing: duplicates, suggestions, knowledge.
		d.Checked = true
		nn := n
		nn.normalize()
		if d.Duplicates, err = m.Duplicates(ctx, nn); err == nil {
			d.Suggestions, err = m.Suggest(ctx, nn.CategoryCode, nn.RegionCode, nn.Title+" "+nn.Content)
		}
		if err == nil && m.d.Knowledge != nil {
			d.Knowledge, _ = m.d.Knowledge.Suggest(ctx, nn.Title+" "+nn.Content)
		}
		if err != nil {
			m.fail(w, r, err)
			return
		}
		m.s.Render(w, r, "hotline/intake.html", d)
		return
	}
	var res *IntakeResult
	if err == nil {
		res, err = m.Intake(ctx, a, n)
	}
	if fes := FieldErrors(err); len(fes) > 0 {
		for _, fe := range fes {
			d.Errors[fe.Name] = fe.Message
		}
		m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "hotline/intake.html", d)
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/hotline/orders/"+strconv.FormatInt(res.Order.ID, 10)+"?ok=created", http.StatusSeeOther)
}

// suggestFragment answers the intake form's htmx request with the
// dispatch suggestion for what has been typed so far.
func (m *Module) suggestFragment(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	items, err := m.Suggest(r.Context(), q.Get("category_code"), q.Get("region_code"), q.Get("title")+" "+q.Get("content"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.RenderFragment(w, r, "hotline/intake.html", "suggest_fragment", items)
}

// listData is what the queue pages render.
type listData struct {
	Which  string
	Orders []Order
	Pager  web.Pager
	Q      string
	Status string
}

func (m *Module) queue(which string, base Filter) http.Handler {
	const size = 20
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := auth.FromContext(r.Context())
		q := r.URL.Query()
		f := base
		f.Q = strings.TrimSpace(q.Get("q"))
		if len([]rune(f.Q)) > 100 {
			m.s.Error(w, r, http.StatusBadRequest, "")
			return
		}
		var err error
		if f.After, err = web.Cursor(r, "after"); err != nil {
			m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
			return
		}
		if st := q.Get("status"); st != "" {
			f.Status = []Status{Status(st)}
		}
		f.Limit = size
		if which == "my" {
			f.CallerUserID = a.UserID
		}
		orders, pg, err := m.List(r.Context(), a, f)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		m.s.Render(w, r, "hotline/list.html", listData{Which: which, Orders: orders, Q: f.Q, Status: q.Get("status"),
			Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String())})
	})
}

// orderData is what the order page renders.
type orderData struct {
	O          *Order
	Category   string
	Lead       string
	Assist     []string
	Instance   *flow.Instance
	History    []flow.HistoryEntry
	Def        *flow.Definition // names the history's actions and states
	Extensions []flow.Extension
	Merged     []Order
	Can        map[string]bool
	Depts      []deptOption
	Flash      string
	Error      string
	Errors     map[string]string
	VisitLink  string
}

func (m *Module) orderPage(w http.ResponseWriter, r *http.Request) {
	m.renderOrder(w, r, http.StatusOK, orderData{Flash: r.URL.Query().Get("ok")})
}

func (m *Module) renderOrder(w http.ResponseWriter, r *http.Request, status int, d orderData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	o, err := m.Get(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.O, d.Category, d.Lead = o, m.CategoryPath(o.CategoryCode), m.departmentName(ctx, o.LeadDept)
	for _, x := range o.AssistDepts {
		d.Assist = append(d.Assist, m.departmentName(ctx, x))
	}
	if d.Instance, err = m.d.Flow.Instance(ctx, o.InstanceID); err != nil {
		m.fail(w, r, err)
		return
	}
	if d.History, err = m.history(ctx, a, o); err != nil {
		m.fail(w, r, err)
		return
	}
	if d.Def, err = m.d.Flow.Definition(ctx, d.Instance.DefinitionKey, d.Instance.DefinitionVersion); err != nil {
		m.fail(w, r, err)
		return
	}
	d.Extensions, _ = m.extensions(ctx, a, o)
	d.Merged, _ = m.Merged(ctx, a, id)
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	d.Can = map[string]bool{}
	if m.authorizeAct(a, o, false) == nil {
		lead := m.authorizeAct(a, o, true) == nil
		hot := a.HasAny(auth.RoleOperator, auth.RoleDispatcher)
		handler := a.Has(auth.RoleHandler) && lead
		d.Can["dispatch"] = hot && o.Status == StatusNew
		d.Can["merge"] = hot && o.Status == StatusNew
		d.Can["transfer_110"] = hot && o.Status == StatusNew
		d.Can["sign"] = handler && o.Status == StatusDispatched
		d.Can["send_back"] = handler && (o.Status == StatusDispatched || o.Status == StatusHandling)
		d.Can["reply"] = handler && o.Status == StatusHandling
		d.Can["extension"] = handler && o.Status == StatusHandling
		d.Can["decide"] = a.Has(auth.RoleDispatcher)
		d.Can["close"] = hot && o.Status == StatusReplied
		d.Can["return"] = a.Has(auth.RoleDispatcher) && o.Status == StatusReplied
		d.Can["visit"] = a.Has(auth.RoleOperator) && o.Status == StatusClosed
		if d.Can["dispatch"] {
			d.Depts = m.departments(ctx)
		}
		if d.Can["visit"] {
			d.VisitLink = m.VisitLink(o.ID)
		}
	}
	m.s.RenderStatus(w, r, status, "hotline/order.html", d)
}

func (m *Module) orderAction(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	f := r.PostForm
	atoi := func(k string) int64 { v, _ := strconv.ParseInt(f.Get(k), 10, 64); return v }
	switch action := r.PathValue("action"); action {
	case "dispatch":
		in := DispatchInput{Lead: atoi("lead"), Comment: f.Get("comment")}
		for _, v := range f["assist"] {
			if x, _ := strconv.ParseInt(v, 10, 64); x != 0 {
				in.Assist = append(in.Assist, x)
			}
		}
		_, err = m.Dispatch(ctx, a, id, in)
	case "sign":
		_, err = m.SignFor(ctx, a, id)
	case "send_back":
		_, err = m.SendBack(ctx, a, id, f.Get("reason"))
	case "reply":
		_, err = m.Reply(ctx, a, id, f.Get("reply"))
	case "return":
		_, err = m.ReturnReply(ctx, a, id, f.Get("reason"))
	case "close":
		_, err = m.Close(ctx, a, id, f.Get("comment"))
	case "visit":
		_, err = m.Visit(ctx, a, id, VisitInput{Solved: f.Get("solved") == "1", Satisfaction: Satisfaction(f.Get("satisfaction")),
			Reasonable: f.Get("reasonable") == "1", Note: f.Get("note")})
	case "merge":
		_, err = m.Merge(ctx, a, id, atoi("master"))
	case "transfer_110":
		_, err = m.TransferTo110(ctx, a, id, f.Get("reason"))
	case "extension":
		_, err = m.RequestExtension(ctx, a, id, int(atoi("days")), f.Get("reason"))
	case "decide":
		_, err = m.DecideExtension(ctx, a, id, atoi("ext"), f.Get("decision") == "grant", int(atoi("days")), f.Get("reason"))
	default:
		m.fail(w, r, ErrNotFound)
		return
	}
	switch {
	case err == nil:
		if _, gerr := m.Get(ctx, a, id); gerr != nil { // e.g. sent back: no longer ours
			http.Redirect(w, r, "/hotline/handling?ok=done", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/hotline/orders/"+strconv.FormatInt(id, 10)+"?ok=done", http.StatusSeeOther)
	case len(FieldErrors(err)) > 0:
		d := orderData{Errors: map[string]string{}}
		for _, fe := range FieldErrors(err) {
			d.Errors[fe.Name] = fe.Message
		}
		m.renderOrder(w, r, http.StatusUnprocessableEntity, d)
	case errors.Is(err, ErrState) || errors.Is(err, ErrSendBackLate) || web.StatusOf(err) == http.StatusConflict:
		m.renderOrder(w, r, http.StatusConflict, orderData{Error: err.Error()})
	default:
		m.fail(w, r, err)
	}
}

// lookupData is what the public lookup page renders.
type lookupData struct {
	Number, Error string
	Order         *Order
}

func (m *Module) lookupPage(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		m.s.Render(w, r, "hotline/lookup.html", lookupData{})
		return
	}
	if !m.s.ParseForm(w, r) {
		return
	}
	d := lookupData{Number: strings.TrimSpace(r.PostForm.Get("number"))}
	if !m.lookups.allow(web.ClientAddr(r.Context()), m.d.Now()) {
		d.Error = "hotline.lookup.too_many"
		m.s.RenderStatus(w, r, http.StatusTooManyRequests, "hotline/lookup.html", d)
		return
	}
	o, err := m.Lookup(r.Context(), d.Number, r.PostForm.Get("phone"))
	if err != nil {
		d.Error = "hotline.lookup.not_found"
		m.s.RenderStatus(w, r, http.StatusNotFound, "hotline/lookup.html", d)
		return
	}
	d.Order = o
	m.s.Render(w, r, "hotline/lookup.html", d)
}

// visitLinkData is what the citizen's visit page renders.
type visitLinkData struct {
	Order  *Order
	Done   bool
	Errors map[string]string
}

func (m *Module) visitLinkPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	id, ok := m.visitToken(tok)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	o, err := m.load(r.Context(), m.d.DB, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := visitLinkData{Order: o, Errors: map[string]string{}, Done: o.Status != StatusClosed}
	if r.Method == http.MethodPost && !d.Done {
		if !m.s.ParseForm(w, r) {
			return
		}
		f := r.PostForm
		_, err := m.VisitByLink(r.Context(), tok, VisitInput{Solved: f.Get("solved") == "1",
			Satisfaction: Satisfaction(f.Get("satisfaction")), Note: f.Get("note")})
		if fes := FieldErrors(err); len(fes) > 0 {
			for _, fe := range fes {
				d.Errors[fe.Name] = fe.Message
			}
			m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "hotline/visitlink.html", d)
			return
		}
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Done = true
	}
	// The page shows only the number, title and reply: no personal data.
	d.Order = &Order{Number: o.Number, Title: o.Title, ReplyText: o.ReplyText, Status: o.Status}
	m.s.Render(w, r, "hotline/visitlink.html", d)
}

// directoryData is what the directory page renders.
type directoryData struct {
	Entries    []DirectoryEntry
	Categories []Category
	Depts      []deptOption
	Errors     map[string]string
	Form       url.Values
	// CanRestore shows the links to each region's earlier versions
	// (administrators).
	CanRestore bool
}

func (m *Module) directoryPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	d := directoryData{Errors: map[string]string{}, Form: url.Values{}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		missing, ok := m.configForm(w, r)
		if !ok {
			return
		}
		d.Form = r.PostForm
		// The delete buttons and the add form post here: a body that is
		// neither changes nothing.
		if _, del := r.PostForm["delete"]; !del {
			for _, f := range []string{"category_code", "region_code", "department_id"} {
				if _, has := r.PostForm[f]; !has {
					missing = map[string]string{f: "表单不完整，未作任何更改 (the form is incomplete; nothing was changed)"}
				}
			}
		}
		var err error
		if del := r.PostForm.Get("delete"); del != "" {
			id, _ := strconv.ParseInt(del, 10, 64)
			err = m.DeleteDirectoryEntry(ctx, a, id)
		} else if _, has := r.PostForm["delete"]; has {
			err = ErrNotFound
		} else if missing == nil {
			dept, _ := strconv.ParseInt(r.PostForm.Get("department_id"), 10, 64)
			err = m.SaveDirectoryEntry(ctx, a, DirectoryEntry{CategoryCode: r.PostForm.Get("category_code"),
				RegionCode: r.PostForm.Get("region_code"), DepartmentID: dept, Note: r.PostForm.Get("note")})
		}
		if missing != nil {
			d.Errors, status = missing, http.StatusUnprocessableEntity
		} else if fes := FieldErrors(err); len(fes) > 0 {
			for _, fe := range fes {
				d.Errors[fe.Name] = fe.Message
			}
			status = http.StatusUnprocessableEntity
		} else if err != nil {
			m.fail(w, r, err)
			return
		} else {
			http.Redirect(w, r, "/hotline/directory", http.StatusSeeOther)
			return
		}
	}
	var err error
	if d.Entries, err = m.Directory(ctx); err != nil {
		m.fail(w, r, err)
		return
	}
	for i := range d.Entries {
		d.Entries[i].CategoryCode = d.Entries[i].CategoryCode + " " + m.CategoryPath(d.Entries[i].CategoryCode)
	}
	d.Categories = m.Categories()
	d.Depts = m.departments(ctx)
	d.CanRestore = a.Has(auth.RoleAdmin) && m.d.Revisions != nil
	m.s.RenderStatus(w, r, status, "hotline/directory.html", d)
}
