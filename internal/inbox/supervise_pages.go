package inbox

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// superviseData is what the supervisor's page of one case renders.
type superviseData struct {
	Case        Row
	Instance    *flow.Instance
	Departments []deptOption
	Records     []Record
	Problems    []*valid.FieldError
	Form        url.Values
	Flash       string
	Today       string
	Lang        string
}

type deptOption struct {
	ID   int64
	Name string
}

// Problem returns the message for field key, or "".
func (d superviseData) Problem(key string) string {
	for _, p := range d.Problems {
		if p.Path == key {
			return localMessage(d.Lang, p.Message)
		}
	}
	return ""
}

// recordData is what the page of one supervision record renders.
type recordData struct {
	Record    *Record
	CaseURL   string
	CanAnswer bool
	Overdue   bool
	Problem   string
	Answer    string
	Flash     string
}

func (m *Module) supervisePage(w http.ResponseWriter, r *http.Request) {
	m.renderSupervise(w, r, http.StatusOK, superviseData{Flash: superviseFlash(r.URL.Query().Get("ok"))})
}

func superviseFlash(v string) string {
	switch v {
	case KindUrge, KindOrder, KindComment, KindInterview, "answered":
		return "inbox.supervise.flash." + v
	}
	return ""
}

func (m *Module) renderSupervise(w http.ResponseWriter, r *http.Request, status int, d superviseData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	in, err := m.superviseCase(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Instance = in
	d.Case = m.rows(ctx, i18n.LangFrom(ctx), []flow.InboxItem{m.item(in)})[0]
	for _, dep := range in.DepartmentIDs {
		d.Departments = append(d.Departments, deptOption{dep, m.departmentName(ctx, dep)})
	}
	if d.Records, err = m.Records(ctx, in); err != nil {
		m.fail(w, r, err)
		return
	}
	d.Today, d.Lang = m.d.Now().In(cst).Format("2006-01-02"), i18n.LangFrom(ctx)
	m.s.RenderStatus(w, r, status, "inbox/supervise.html", d)
}

// addRecord takes a supervisor's 催办, 督办单, comment or interview record
// from the case's supervision page.
func (m *Module) addRecord(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f := r.PostForm
	n := NewRecord{Kind: f.Get("kind"), Body: f.Get("body"), HeldOn: f.Get("held_on"), Participants: f.Get("participants")}
	n.DepartmentID, _ = strconv.ParseInt(f.Get("department_id"), 10, 64)
	if s := f.Get("answer_days"); s != "" {
		var err error
		if n.AnswerDays, err = strconv.Atoi(s); err != nil {
			n.AnswerDays = -1 // refused below with the field's message
		}
	}
	rec, err := m.Supervise(ctx, a, id, n)
	if err != nil {
		if fs := valid.Fields(err); len(fs) > 0 {
			m.renderSupervise(w, r, http.StatusUnprocessableEntity, superviseData{Problems: fs, Form: f})
			return
		}
		if errors.Is(err, flow.ErrFinished) {
			m.s.Error(w, r, http.StatusConflict, "inbox.error.finished")
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/supervision/cases/"+strconv.FormatInt(id, 10)+"?ok="+rec.Kind, http.StatusSeeOther)
}

func (m *Module) recordPage(w http.ResponseWriter, r *http.Request) {
	m.renderRecord(w, r, http.StatusOK, recordData{Flash: superviseFlash(r.URL.Query().Get("ok"))})
}

func (m *Module) renderRecord(w http.ResponseWriter, r *http.Request, status int, d recordData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("record"), 10, 64)
	rec, err := m.Record(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Record = rec
	d.Overdue = rec.Overdue(m.d.Now())
	d.CanAnswer = rec.Kind == KindOrder && rec.Status == OrderOpen && containsID(a.DepartmentIDs, rec.DepartmentID)
	d.CaseURL = "/cases/" + strconv.FormatInt(rec.InstanceID, 10)
	if a.Has(auth.RoleSupervisor) {
		d.CaseURL = "/supervision/cases/" + strconv.FormatInt(rec.InstanceID, 10)
	}
	m.s.RenderStatus(w, r, status, "inbox/record.html", d)
}

func containsID(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// answerRecord takes the department's answer (反馈) to a supervision order.
func (m *Module) answerRecord(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("record"), 10, 64)
	_, err := m.Answer(ctx, a, id, r.PostForm.Get("answer"))
	var fe *valid.FieldError
	switch {
	case errors.As(err, &fe):
		m.renderRecord(w, r, http.StatusUnprocessableEntity, recordData{Problem: localMessage(i18n.LangFrom(ctx), fe.Message),
			Answer: r.PostForm.Get("answer")})
		return
	case errors.Is(err, ErrAnswered):
		m.renderRecord(w, r, http.StatusConflict, recordData{Problem: m.s.Bundle().T(i18n.LangFrom(ctx), "inbox.supervise.answered_already")})
		return
	case err != nil:
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/supervision/records/"+strconv.FormatInt(id, 10)+"?ok=answered", http.StatusSeeOther)
}

// ordersSection is the /work page's list of supervision orders waiting for
// the actor's departments.
type ordersSection struct {
	Orders []Record
	Pager  web.Pager
}

// localMessage returns the half of a bilingual message "中文 (English)" for
// lang, so that a Chinese page shows Chinese only.
func localMessage(lang, msg string) string {
	i := strings.LastIndex(msg, " (")
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return msg
	}
	if lang == i18n.EN {
		return msg[i+2 : len(msg)-1]
	}
	return msg[:i]
}
