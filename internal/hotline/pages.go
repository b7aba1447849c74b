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
	"github.com/yingshang/yingshang/internal/i18n"
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
	m.mountStaff(s)
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
	Rows   []queueRow
	Pager  web.Pager
	Q      string
	Status string
	// The order list's filters (Which "all"): the form's values, its
	// options and the export link carrying the same filters.
	Form       url.Values
	Filters    bool
	Statuses   []Status
	Types      []Type
	Categories []Category
	Depts      []deptOption
	Regions    []org.Region
	Export     string
	Errors     map[string]string
}

func (m *Module) queue(which string, base Filter) http.Handler {
	const size = 20
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		a := auth.FromContext(ctx)
		q := r.URL.Query()
		f := base
		d := listData{Which: which, Form: q, Filters: which == "all", Errors: map[string]string{}}
		status := http.StatusOK
		var ferr error
		if which == "all" {
			ferr = m.listFilter(q, &f)
		} else {
			var only Filter
			ferr = m.listFilter(url.Values{"q": {q.Get("q")}, "status": {q.Get("status")}}, &only)
			f.Q = only.Q
			if len(only.Status) > 0 {
				f.Status = only.Status
			}
		}
		if fes := FieldErrors(ferr); len(fes) > 0 {
			for _, fe := range fes {
				d.Errors[fe.Name] = fe.Message
			}
			f, status = Filter{Limit: size}, http.StatusUnprocessableEntity
			f.Status, f.Waiting, f.Overdue = base.Status, base.Waiting, base.Overdue
		}
		var err error
		if f.After, err = web.Cursor(r, "after"); err != nil {
			m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
			return
		}
		f.Limit = size
		if which == "my" {
			f.CallerUserID = a.UserID
		}
		orders, pg, err := m.List(ctx, a, f)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Rows, d.Q, d.Status = m.rowsOf(ctx, a, orders), f.Q, q.Get("status")
		d.Pager = web.KeysetPager(r, "after", pg.Count, pg.Next.String())
		if d.Filters {
			d.Statuses, d.Types, d.Depts = Statuses, Types, m.departments(ctx)
			for _, c := range m.Categories() {
				if c.Active {
					c.Name = m.CategoryPath(c.Code)
					d.Categories = append(d.Categories, c)
				}
			}
			if regions, err := m.d.Org.ListRegions(ctx, a.RegionCode); err == nil {
				d.Regions = regions
			}
			d.Export = "/hotline/orders.xlsx"
			if fq := filterQuery(q); fq != "" {
				d.Export += "?" + fq
			}
		}
		m.s.RenderStatus(w, r, status, "hotline/list.html", d)
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
	// Issue 13: the history as sentences, time left said one way, the
	// citizen's answer date, a send-back's reason, co-handling parts, and
	// an administrator's one-time reveal of the caller's number.
	Lines         []HistoryLine
	Left          flow.Left
	AnswerDue     string
	Citizen       bool
	SentBy        string
	Suggest       string
	SentWhy       string
	Reasons       []SendBackReason
	Contributions []Contribution
	CoHandlers    []CoHandler
	Revealed      string
	// Relayed is the privacy number bound for the handler's call to the
	// caller (shown on this answer only).
	Relayed   *RelayBinding
	ExtStatus map[int64]string
	// TierLimit is the sign-for limit of the order's tier, as read ("15分钟").
	TierLimit string
	// VisitTries are the failed call attempts of the return visit so far,
	// VisitMax the number that ends it as 无法联系.
	VisitTries, VisitMax, VisitDays int
	// VisitLate is set once the return-visit limit has passed.
	VisitLate bool
	// Dispute is the order's latest jurisdiction dispute (staff only).
	Dispute *Dispute
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
	lang := i18n.LangFrom(ctx)
	d.Lines = m.historyLines(ctx, d.Def, d.History, lang)
	d.Left = m.d.Flow.Left(ctx, d.Instance)
	d.Citizen = a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) && !a.HasAny(staffRoles...)
	if due := m.answerDue(ctx, o, d.Instance); d.Citizen && !due.IsZero() {
		d.AnswerDue = due.In(cst).Format("2006-01-02")
	}
	if o.Status == StatusNew && !o.SentBackAt.IsZero() && !d.Citizen {
		d.SentBy, d.Suggest, d.SentWhy = m.departmentName(ctx, o.SentBackBy), m.departmentName(ctx, o.SentBackSuggest), m.sentBackWhy(o)
	}
	d.ExtStatus = map[int64]string{}
	for _, x := range d.Extensions {
		d.ExtStatus[x.ID] = extensionStatusName(x.Status, lang)
	}
	if !d.Citizen {
		d.Contributions, _ = m.contributions(ctx, m.d.DB, a, o)
		d.CoHandlers = m.coHandlers(ctx, o, d.Contributions)
	}
	d.Reasons = m.set.SendBackReasons
	if !d.Citizen && a.HasAny(staffRoles...) {
		d.Dispute, _ = m.latestDispute(ctx, m.d.DB, o.ID)
	}
	if !d.Citizen {
		if s := d.Def.State(string(StatusDispatched)); s != nil && s.Limit != nil {
			d.TierLimit = s.Limit.String()
		}
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	d.Can = map[string]bool{}
	if m.authorizeAct(a, o, false) == nil {
		lead := m.authorizeAct(a, o, true) == nil
		hot := a.HasAny(auth.RoleOperator, auth.RoleDispatcher)
		handler := a.Has(auth.RoleHandler) && lead
		disputed := d.Dispute != nil && d.Dispute.Open()
		d.Can["dispatch"] = hot && o.Status == StatusNew && !disputed
		d.Can["decide_jurisdiction"] = hot && o.Status == StatusNew && disputed
		d.Can["merge"] = hot && o.Status == StatusNew
		d.Can["transfer_110"] = hot && o.Status == StatusNew
		d.Can["sign"] = handler && o.Status == StatusDispatched
		d.Can["send_back"] = handler && (o.Status == StatusDispatched || o.Status == StatusHandling) &&
			(d.Dispute == nil || d.Dispute.Open() || d.Dispute.DecidedDept != o.LeadDept)
		d.Can["reply"] = handler && o.Status == StatusHandling
		d.Can["extension"] = handler && o.Status == StatusHandling
		d.Can["decide"] = a.Has(auth.RoleDispatcher)
		d.Can["close"] = hot && o.Status == StatusReplied
		d.Can["return"] = a.Has(auth.RoleDispatcher) && o.Status == StatusReplied
		d.Can["visit"] = a.Has(auth.RoleOperator) && o.Status == StatusClosed
		d.Can["contribute"] = assistingDept(a, o) != 0 && (o.Status == StatusDispatched || o.Status == StatusHandling) &&
			!o.AssistDueAt.IsZero() && !m.d.Now().After(o.AssistDueAt)
		d.Can["reveal"] = a.Has(auth.RoleAdmin) && d.Revealed == "" && o.CallerPhone != "" && auth.CanSeeReporter(a, o.Object())
		// 隐私号回拨: the handling department calls the caller without
		// seeing the number (never a confidential reporter).
		d.Can["call"] = m.d.Relay != nil && o.CallerPhone != "" && d.Relayed == nil && (o.Status == StatusDispatched || o.Status == StatusHandling) &&
			(handler || assistingDept(a, o) != 0) && (!o.Confidential || auth.CanSeeReporter(a, o.Object()))
		if d.Can["dispatch"] || d.Can["send_back"] || d.Can["decide_jurisdiction"] {
			d.Depts = m.departments(ctx)
		}
		if d.Can["visit"] {
			d.VisitLink = m.VisitLink(o.ID)
			d.VisitTries, _ = m.visitAttempts(ctx, m.d.DB, o)
			d.VisitMax, d.VisitDays = m.set.VisitAttempts, m.set.VisitDays
			d.VisitLate = m.d.Now().After(o.VisitDueAt)
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
		_, err = m.SendBackWith(ctx, a, id, SendBackInput{Code: f.Get("code"), Reason: f.Get("reason"), Suggest: atoi("suggest")})
	case "reveal":
		// The number is shown on this answer only, never stored to be shown
		// again, so the answer is the page rather than a redirect.
		phone, rerr := m.RevealPhone(ctx, a, id, f.Get("purpose"))
		if rerr == nil {
			m.renderOrder(w, r, http.StatusOK, orderData{Revealed: phone})
			return
		}
		err = rerr
	case "call":
		b, cerr := m.CallCaller(ctx, a, id)
		if cerr == nil {
			m.renderOrder(w, r, http.StatusOK, orderData{Relayed: b})
			return
		}
		err = cerr
	case "reply":
		_, err = m.Reply(ctx, a, id, f.Get("reply"))
	case "return":
		_, err = m.ReturnReply(ctx, a, id, f.Get("reason"))
	case "close":
		_, err = m.Close(ctx, a, id, f.Get("comment"))
	case "visit":
		_, err = m.Visit(ctx, a, id, VisitInput{Solved: f.Get("solved") == "1", Satisfaction: Satisfaction(f.Get("satisfaction")),
			Reasonable: f.Get("reasonable") == "1", Note: f.Get("note")})
	case "decide_jurisdiction":
		_, err = m.DecideJurisdiction(ctx, a, id, DecideInput{Department: atoi("department"), Reason: f.Get("reason")})
	case "three_way_call":
		_, err = m.RecordThreeWayCall(ctx, a, id, ThreeWayInput{Outcome: ThreeWayOutcome(f.Get("outcome")), PoliceRef: f.Get("police_ref"), Note: f.Get("note")})
	case "visit_attempt":
		_, _, err = m.VisitAttempt(ctx, a, id, f.Get("note"))
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
	m.afterAction(w, r, id, err)
}

// afterAction answers an order action: a redirect to the order (or, when
// the action took it out of the caller's scope, to the handling queue), or
// the order page again with what was refused.
func (m *Module) afterAction(w http.ResponseWriter, r *http.Request, id int64, err error) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
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
	case errors.Is(err, ErrState) || errors.Is(err, ErrSendBackLate) || errors.Is(err, ErrCoHandleLate) || web.StatusOf(err) == http.StatusConflict:
		m.renderOrder(w, r, http.StatusConflict, orderData{Error: err.Error()})
	default:
		m.fail(w, r, err)
	}
}

// lookupData is what the public lookup page renders.
type lookupData struct {
	Number, Error string
	Order         *Order
	AnswerDue     string // the date the answer is due, while one is awaited
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
	if in, err := m.d.Flow.Instance(r.Context(), o.InstanceID); err == nil {
		if due := m.answerDue(r.Context(), o, in); !due.IsZero() {
			d.AnswerDue = due.In(cst).Format("2006-01-02")
		}
	}
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
