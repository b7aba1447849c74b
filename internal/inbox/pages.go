package inbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// pageSize is the number of cases on one page of a list.
const pageSize = 20

// listData is what the list pages render.
type listData struct {
	Orders  *ordersSection // supervision orders waiting for the actor's departments
	Rows    []Row
	Pager   web.Pager
	Q       string
	Overdue bool
	Flash   string
}

func (m *Module) workPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		m.s.Error(w, r, http.StatusBadRequest, "inbox.error.query_too_long")
		return
	}
	overdue := r.URL.Query().Get("overdue") == "1"
	after, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	items, pg, err := m.d.Flow.Inbox(r.Context(), m.d.DB, a, flow.InboxQuery{
		Limit: pageSize, After: after, Overdue: overdue, Q: q})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := listData{Rows: m.rows(r.Context(), i18n.LangFrom(r.Context()), items),
		Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String()), Q: q, Overdue: overdue}
	if a.HasAny(auth.RoleHandler, auth.RoleApprover, auth.RoleDispatcher) && len(a.DepartmentIDs) > 0 {
		ordersAfter, err := web.Cursor(r, "orders_after")
		if err != nil {
			m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
			return
		}
		orders, opg, err := m.OpenOrders(r.Context(), a, pageSize, ordersAfter)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Orders = &ordersSection{Orders: orders, Pager: web.KeysetPager(r, "orders_after", opg.Count, opg.Next.String())}
	}
	m.s.Render(w, r, "inbox/work.html", d)
}

// Table is what the "rows" partial renders: the page (for translations)
// and one list of cases.
type Table struct {
	P         *web.Page
	Rows      []Row
	Pager     web.Pager
	Supervise bool // each row links to its supervision page (督办)
}

// Table returns the list for the "rows" partial.
func (d listData) Table(p *web.Page) Table { return Table{P: p, Rows: d.Rows, Pager: d.Pager} }

// Section returns the overdue or the due-soon list for the "rows" partial.
func (d supervisionData) Section(p *web.Page, which string) Table {
	if which == "overdue" {
		return Table{P: p, Rows: d.Overdue, Pager: d.OverduePager, Supervise: d.CanSupervise}
	}
	return Table{P: p, Rows: d.Soon, Pager: d.SoonPager, Supervise: d.CanSupervise}
}

// supervisionData is what the supervisor's page renders.
type supervisionData struct {
	Overdue, Soon           []Row
	OverduePager, SoonPager web.Pager
	Region                  string
	CanSupervise            bool
}

// soonWithin is how far ahead the supervisor's view looks: cases due
// within three days are listed as due soon.
const soonWithin = 72 * time.Hour

// supervisionPage lists the region's overdue cases and those due soon, each
// list paged by its own cursor ("overdue_after", "soon_after").
func (m *Module) supervisionPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	overAfter, err1 := web.Cursor(r, "overdue_after")
	soonAfter, err2 := web.Cursor(r, "soon_after")
	if err1 != nil || err2 != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	now := m.d.Flow.Now()
	lang := i18n.LangFrom(r.Context())
	d := supervisionData{Region: a.RegionCode, CanSupervise: a.Has(auth.RoleSupervisor)}
	over, opg, err := m.d.Flow.Overdue(r.Context(), flow.OverdueQuery{Region: a.RegionCode, Until: now, Limit: pageSize, After: overAfter})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	soon, spg, err := m.d.Flow.Overdue(r.Context(), flow.OverdueQuery{Region: a.RegionCode, From: now, Until: now.Add(soonWithin),
		Limit: pageSize, After: soonAfter})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Overdue, d.OverduePager = m.rows(r.Context(), lang, over), web.KeysetPager(r, "overdue_after", opg.Count, opg.Next.String())
	d.Soon, d.SoonPager = m.rows(r.Context(), lang, soon), web.KeysetPager(r, "soon_after", spg.Count, spg.Next.String())
	m.s.Render(w, r, "inbox/supervision.html", d)
}

func (m *Module) myPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	after, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	items, pg, err := m.d.Flow.Owned(r.Context(), a.UserID, pageSize, after)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "inbox/my.html", listData{Rows: m.rows(r.Context(), i18n.LangFrom(r.Context()), items),
		Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String())})
}

// caseData is what the case page renders.
type caseData struct {
	Case       Row
	Instance   *flow.Instance
	Def        *flow.Definition
	History    []historyRow
	Actions    []actionView
	Extensions []extensionView
	CanExtend  bool
	MaxDays    int
	Problems   []flow.InputProblem
	Error      string // message key
	Flash      string // message key
	Form       url.Values
}

type historyRow struct {
	At        time.Time
	Action    string
	From, To  string
	ActorName string
	Comment   string
	// Inputs are the values given with the action, each under its input's
	// name in the page's language (a sentence, not a key).
	Inputs []inputValue
}

// labelValues shows choice values under their labels.
func (m *Module) labelValues(lang string, vs []inputValue) []inputValue {
	for i := range vs {
		if key := "inbox.option." + vs[i].Value; m.s.Bundle().Has(lang, key) {
			vs[i].Value = m.s.Bundle().T(lang, key)
		}
	}
	return vs
}

// inputValue is one value given with an action.
type inputValue struct{ Name, Value string }

// inputValues names the values given with action as its definition names
// its inputs, in lang, in the definition's order (values of inputs the
// definition no longer has come last, under their keys).
func inputValues(def *flow.Definition, action string, inputs map[string]string, lang string) []inputValue {
	if len(inputs) == 0 {
		return nil
	}
	out := make([]inputValue, 0, len(inputs))
	named := map[string]bool{}
	for i := range def.Actions {
		if def.Actions[i].Key != action {
			continue
		}
		for _, inp := range def.Actions[i].Inputs {
			if v, ok := inputs[inp.Key]; ok {
				out = append(out, inputValue{Name: pick(lang, inp.Name, inp.NameEn), Value: v})
				named[inp.Key] = true
			}
		}
	}
	keys := make([]string, 0, len(inputs))
	for k := range inputs {
		if !named[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, inputValue{Name: k, Value: inputs[k]})
	}
	return out
}

type actionView struct {
	Key, Name       string
	Inputs          []inputView
	CommentRequired bool
}

type inputView struct {
	Key, Name, Type string
	Options         []optionView
	Required        bool
}

// optionView is one choice of a choice input: the value the definition
// names and its label, from the message "inbox.option.<value>" when one is
// defined (the values are identifiers such as "confirmed").
type optionView struct{ Value, Label string }

func (m *Module) optionViews(lang string, values []string) []optionView {
	out := make([]optionView, len(values))
	for i, v := range values {
		out[i] = optionView{Value: v, Label: v}
		if key := "inbox.option." + v; m.s.Bundle().Has(lang, key) {
			out[i].Label = m.s.Bundle().T(lang, key)
		}
	}
	return out
}

type extensionView struct {
	flow.Extension
	CanDecide bool
}

// ErrOwned refuses a generic action on a case a module handles itself.
var ErrOwned = errors.New("inbox: this case is handled on its module's own page")

// loadOpenCase is loadCase for the generic actions: it refuses cases a
// module owns.
func (m *Module) loadOpenCase(ctx context.Context, a *auth.Actor, idText string) (*flow.Instance, *flow.Definition, error) {
	in, def, err := m.loadCase(ctx, a, idText)
	if err == nil && m.ownerPage(in) != "" {
		return nil, nil, ErrOwned
	}
	return in, def, err
}

// loadCase reads case id and checks that the actor may see it. A case the
// actor may not see is reported as not found, so its existence is not
// disclosed.
func (m *Module) loadCase(ctx context.Context, a *auth.Actor, idText string) (*flow.Instance, *flow.Definition, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, flow.ErrNotFound
	}
	in, err := m.d.Flow.Instance(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := m.authorize(ctx, a, auth.ActRead, in); err != nil {
		return nil, nil, flow.ErrNotFound
	}
	def, err := m.d.Flow.Definition(ctx, in.DefinitionKey, in.DefinitionVersion)
	if err != nil {
		return nil, nil, err
	}
	return in, def, nil
}

func (m *Module) casePage(w http.ResponseWriter, r *http.Request) {
	m.renderCase(w, r, http.StatusOK, caseData{Flash: flashKey(r.URL.Query().Get("ok"))})
}

// flashKey maps the ok= parameter of a redirect to its message key, so no
// caller-supplied text is ever shown.
func flashKey(v string) string {
	switch v {
	case "acted", "extension_requested", "extension_decided":
		return "inbox.flash." + v
	}
	return ""
}

func (m *Module) renderCase(w http.ResponseWriter, r *http.Request, status int, d caseData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	in, def, err := m.loadCase(ctx, a, r.PathValue("id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if page := m.ownerPage(in); page != "" {
		http.Redirect(w, r, page, http.StatusSeeOther)
		return
	}
	lang := i18n.LangFrom(ctx)
	d.Instance, d.Def = in, def
	d.Case = m.rows(ctx, lang, []flow.InboxItem{m.item(in)})[0]
	hist, err := m.d.Flow.History(ctx, in.ID)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	for _, h := range hist {
		hr := historyRow{At: h.At, Action: def.ActionLabel(h.Action, lang), ActorName: h.ActorName,
			Comment: h.Comment, Inputs: m.labelValues(lang, inputValues(def, h.Action, h.Inputs, lang)), To: def.StateLabel(h.To, lang)}
		if h.From != "" {
			hr.From = def.StateLabel(h.From, lang)
		}
		d.History = append(d.History, hr)
	}
	if in.Status != flow.StatusDone && m.authorize(ctx, a, auth.ActAct, in) == nil {
		for _, act := range def.ActionsFrom(in.State) {
			if !act.Allows(a.Roles) {
				continue
			}
			av := actionView{Key: act.Key, Name: pick(lang, act.Name, act.NameEn), CommentRequired: act.CommentRequired}
			for _, inp := range act.Inputs {
				av.Inputs = append(av.Inputs, inputView{Key: inp.Key, Name: pick(lang, inp.Name, inp.NameEn),
					Type: string(inp.Type), Options: m.optionViews(lang, inp.Options), Required: inp.Required})
			}
			d.Actions = append(d.Actions, av)
		}
		if p := def.Extension; p != nil {
			d.MaxDays = p.MaxDays
			d.CanExtend = hasAny(a, p.RequestRoles)
		}
	}
	exts, err := m.d.Flow.Extensions(ctx, in.ID)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	for _, x := range exts {
		ev := extensionView{Extension: x}
		if x.Status == flow.ExtensionPending {
			d.CanExtend = false
			ev.CanDecide = def.Extension != nil && hasAny(a, def.Extension.GrantRoles) &&
				m.authorize(ctx, a, auth.ActAct, in) == nil
		}
		d.Extensions = append(d.Extensions, ev)
	}
	m.s.RenderStatus(w, r, status, "inbox/case.html", d)
}

// item wraps an instance as an inbox item with its time left.
func (m *Module) item(in *flow.Instance) flow.InboxItem {
	left, ok := in.Remaining(m.d.Now())
	it := flow.InboxItem{Instance: *in, HasDue: ok, TimeLeft: left}
	if ok && left < 0 {
		it.OverdueDays = m.d.Flow.OverdueDays(nearest(*in))
	}
	return it
}

func hasAny(a *auth.Actor, roles []auth.Role) bool { return a.HasAny(roles...) }

func (m *Module) act(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	in, _, err := m.loadOpenCase(ctx, a, r.PathValue("id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	inputs := map[string]string{}
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "in_"); ok && len(v) > 0 {
			inputs[name] = strings.TrimSpace(v[0])
		}
	}
	tr := flow.Transition{InstanceID: in.ID, Version: version, Action: r.PostForm.Get("action"),
		Actor: a, Inputs: inputs, Comment: strings.TrimSpace(r.PostForm.Get("comment"))}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.d.Flow.Apply(ctx, tx, tr)
		return err
	})
	if err != nil {
		m.failOnCase(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(in.ID, 10)+"?ok=acted", http.StatusSeeOther)
}

func (m *Module) requestExtension(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	in, _, err := m.loadOpenCase(ctx, a, r.PathValue("id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	days, err := strconv.Atoi(r.PostForm.Get("days"))
	if err != nil || days <= 0 {
		m.renderCase(w, r, http.StatusUnprocessableEntity, caseData{Problems: []flow.InputProblem{{Key: "days", Message: "延期天数须为正整数 (days must be a positive whole number)"}}, Form: r.PostForm})
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.d.Flow.RequestExtension(ctx, tx, in.ID, days, reason, a)
		return err
	})
	if err != nil {
		m.failOnCase(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(in.ID, 10)+"?ok=extension_requested", http.StatusSeeOther)
}

func (m *Module) decideExtension(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	in, _, err := m.loadOpenCase(ctx, a, r.PathValue("id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	xid, err := strconv.ParseInt(r.PathValue("ext"), 10, 64)
	if err != nil {
		m.fail(w, r, flow.ErrNotFound)
		return
	}
	if !m.extensionOf(ctx, in.ID, xid) {
		m.fail(w, r, flow.ErrNotFound)
		return
	}
	grant := r.PostForm.Get("decision") == "grant"
	days, _ := strconv.Atoi(r.PostForm.Get("days"))
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		x, err := m.d.Flow.DecideExtension(ctx, tx, xid, a, grant, days, reason)
		if err != nil {
			return err
		}
		if w, ok := m.owned[in.SubjectType].(ExtensionWatcher); ok {
			return w.ExtensionDecided(ctx, tx, in, x, a)
		}
		return nil
	})
	if err != nil {
		m.failOnCase(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(in.ID, 10)+"?ok=extension_decided", http.StatusSeeOther)
}

// extensionOf reports whether extension xid belongs to case id, so a form
// for one case cannot decide another's extension.
func (m *Module) extensionOf(ctx context.Context, id, xid int64) bool {
	xs, err := m.d.Flow.Extensions(ctx, id)
	if err != nil {
		return false
	}
	for _, x := range xs {
		if x.ID == xid {
			return true
		}
	}
	return false
}

// failOnCase shows a refused action on the case page with the reason.
func (m *Module) failOnCase(w http.ResponseWriter, r *http.Request, err error) {
	var ie *flow.InputError
	switch {
	case errors.As(err, &ie):
		m.renderCase(w, r, http.StatusUnprocessableEntity, caseData{Problems: ie.Problems, Form: r.PostForm})
	case errors.Is(err, flow.ErrConflict):
		m.renderCase(w, r, http.StatusConflict, caseData{Error: "inbox.error.conflict"})
	case errors.Is(err, flow.ErrFinished):
		m.renderCase(w, r, http.StatusConflict, caseData{Error: "inbox.error.finished"})
	case errors.Is(err, flow.ErrNoSuchAction):
		m.renderCase(w, r, http.StatusUnprocessableEntity, caseData{Error: "inbox.error.no_such_action"})
	case errors.Is(err, flow.ErrExtensionNotAllowed):
		m.renderCase(w, r, http.StatusUnprocessableEntity, caseData{Error: "inbox.error.extension_not_allowed", Form: r.PostForm})
	case errors.Is(err, flow.ErrForbidden), errors.Is(err, auth.ErrForbidden):
		m.renderCase(w, r, http.StatusForbidden, caseData{Error: "inbox.error.forbidden"})
	default:
		m.fail(w, r, err)
	}
}

// fail answers an error that leaves no page to show.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, flow.ErrNotFound):
		m.s.Error(w, r, http.StatusNotFound, "web.problem.404")
	case errors.Is(err, ErrOwned):
		m.s.Error(w, r, http.StatusConflict, "inbox.error.owned")
	case errors.Is(err, flow.ErrForbidden), errors.Is(err, auth.ErrForbidden):
		m.s.Error(w, r, http.StatusForbidden, "web.problem.403")
	default:
		m.s.Logger().ErrorContext(r.Context(), "inbox", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "web.problem.500")
	}
}
