package credit

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

//go:embed credit.css
var creditCSS []byte

const pageSize = 20

// staffRoles open the staff file (一企一档) and search businesses.
var staffRoles = []auth.Role{auth.RoleClerk, auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin}

// mountPages registers the module's messages, templates and pages.
func (m *Module) mountPages(s *web.Server) error {
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("credit", loc); err != nil {
		return fmt.Errorf("credit: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "credit"); err != nil {
		return fmt.Errorf("credit: %w", err)
	}
	m.registerMoreAPI(s)
	m.mountRecordPages()
	// Public: 信用公示 and the verification of reports.
	s.HandleFunc("GET /credit/assets/credit.css", serveCSS)
	s.HandleFunc("GET /credit/public", m.publicSearch)
	s.HandleFunc("GET /credit/public/{uscc}", m.publicFile)
	s.HandleFunc("GET /credit/verify/{token}", m.verifyReportPage)

	staff := s.Require(staffRoles...)
	deciders := s.Require(auth.RoleHandler, auth.RoleApprover)
	s.Handle("GET /credit/entities", staff(http.HandlerFunc(m.staffSearch)))
	s.Handle("GET /credit/entities/{uscc}", staff(http.HandlerFunc(m.staffFile)))
	s.Handle("POST /credit/entities/{uscc}/reports", staff(http.HandlerFunc(m.issueReportPage)))
	s.Handle("GET /credit/repairs", deciders(http.HandlerFunc(m.repairQueuePage)))
	s.Handle("POST /credit/repairs/{id}/decision", deciders(http.HandlerFunc(m.decideRepairPage)))

	biz := s.Require(auth.RoleEnterprise)
	s.Handle("GET /credit/my", biz(http.HandlerFunc(m.myPage)))
	s.Handle("POST /credit/my/self-check", biz(http.HandlerFunc(m.selfCheck)))
	s.Handle("GET /credit/my/checks", biz(http.HandlerFunc(m.myChecks)))
	s.Handle("POST /credit/my/reports", biz(http.HandlerFunc(m.issueReportPage)))
	s.Handle("GET /credit/my/records/{id}/repair", biz(http.HandlerFunc(m.repairForm)))
	s.Handle("POST /credit/my/records/{id}/repair", biz(web.MaxBytes(MaxRepairFiles*MaxRepairFileSize+1<<20)(http.HandlerFunc(m.repairSubmit))))

	s.Handle("GET /credit/reports/{id}", s.RequireActor(http.HandlerFunc(m.reportPage)))
	s.Handle("GET /credit/repairs/{id}", s.RequireActor(http.HandlerFunc(m.repairPage)))
	s.Handle("GET /credit/repairs/{id}/files/{n}", s.RequireActor(http.HandlerFunc(m.repairFile)))
	return nil
}

// Nav returns the credit links the actor's roles may use.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	var links []web.NavLink
	if a.Has(auth.RoleEnterprise) && a.USCC != "" {
		links = append(links, web.NavLink{Path: "/credit/my", Key: "credit.nav.my"})
	}
	if a.HasAny(staffRoles...) {
		links = append(links, web.NavLink{Path: "/credit/entities", Key: "credit.nav.entities"})
	}
	if a.HasAny(auth.RoleHandler, auth.RoleApprover) && len(a.DepartmentIDs) > 0 {
		links = append(links, web.NavLink{Path: "/credit/repairs", Key: "credit.nav.repairs"})
	}
	return links
}

func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(creditCSS)
}

// fail answers a page request that could not be served.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch st := web.StatusOf(err); st {
	case http.StatusNotFound, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusUnauthorized:
		key := "web.problem." + strconv.Itoa(st)
		if st == http.StatusConflict {
			key = "credit.error.state"
		}
		if st == http.StatusUnprocessableEntity {
			key = "credit.error.invalid"
		}
		m.s.Error(w, r, st, key)
	default:
		m.s.Logger().ErrorContext(r.Context(), "credit", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "")
	}
}

// problem is a field error as a page shows it: in Chinese only on a
// zh-CN page (the messages carry the English in parentheses).
type problem struct{ Field, Message string }

func problems(ctx context.Context, err error) []problem {
	lang := i18n.LangFrom(ctx)
	var out []problem
	for _, fe := range valid.Fields(err) {
		msg := fe.Message
		if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
			if lang == i18n.EN {
				msg = msg[i+2 : len(msg)-1]
			} else {
				msg = msg[:i]
			}
		}
		out = append(out, problem{Field: fe.Path, Message: msg})
	}
	return out
}

// recordView is a record as the staff file and the business's page show
// it.
type recordView struct {
	Record
	KindName   string
	Department string
	// Late: published after the last day it had to be (迟报).
	Late bool
	// Repairs are the applications to repair it, newest first.
	Repairs []Repair
	// CanRepair: the business may apply for repair today.
	CanRepair bool
}

func (m *Module) recordViews(ctx context.Context, recs []Record, repairs []Repair) []recordView {
	lang := i18n.LangFrom(ctx)
	today := m.today()
	out := make([]recordView, 0, len(recs))
	for _, r := range recs {
		v := recordView{Record: r, Department: m.d.Org.DepartmentName(ctx, r.DepartmentID)}
		kr := m.d.Rules.Kinds[r.Kind]
		v.KindName = kr.Name
		if lang == i18n.EN && kr.NameEn != "" {
			v.KindName = kr.NameEn
		}
		if r.DepartmentID == 0 {
			v.Department = "—"
		}
		v.Late = r.PublishedOn != nil && r.PublishBy != nil && *r.PublishedOn > *r.PublishBy
		pending := false
		for _, rp := range repairs {
			if rp.RecordID == r.ID {
				v.Repairs = append(v.Repairs, rp)
				pending = pending || rp.Status == RepairPending
			}
		}
		v.CanRepair = !pending && r.Public && r.RepairedOn == nil && r.RepairableFrom != nil &&
			!today.Before(mustDate(*r.RepairableFrom))
		out = append(out, v)
	}
	return out
}

// searchData is what the staff search renders.
type searchData struct {
	Q       string
	Results []entity.Entity
	Pager   web.Pager
}

func (m *Module) staffSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := searchData{Q: q}
	if q != "" {
		if code := ids.NormalizeUSCC(q); ids.ValidateUSCC(code) == nil {
			http.Redirect(w, r, "/credit/entities/"+code, http.StatusSeeOther)
			return
		}
		list, count, err := m.d.Register.Search(ctx, auth.FromContext(ctx), q, r.URL.Query().Get("after"), pageSize+1)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		next := ""
		if len(list) > pageSize {
			list = list[:pageSize]
			next = list[len(list)-1].USCC
		}
		d.Results, d.Pager = list, web.KeysetPager(r, "after", count, next)
	}
	m.s.Render(w, r, "credit/entities.html", d)
}

// fileData is the staff file of one business (一企一档).
type fileData struct {
	USCC       string
	Entity     *entity.Entity
	State      *State
	Records    []recordView
	Checks     []CheckEntry
	ChecksNext string
	Reports    []Report
	// ReportsPager pages the reports (query parameter reports_after).
	ReportsPager web.Pager
	Flash        string
	// Decider: the actor may record penalties and withdraw records (the
	// module still checks the department's grants); Today: the file is
	// shown as of today, not another day.
	Decider bool
	Today   bool
}

func (m *Module) staffFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	uscc := ids.NormalizeUSCC(r.PathValue("uscc"))
	asOf := m.today()
	if q := strings.TrimSpace(r.URL.Query().Get("as_of")); q != "" {
		day, err := calendar.ParseDate(q)
		if err != nil {
			m.s.Error(w, r, http.StatusBadRequest, "credit.error.as_of")
			return
		}
		asOf = day
	}
	st, err := m.StateOf(ctx, a, uscc, asOf)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := fileData{USCC: st.USCC, State: st, Flash: flash(r.URL.Query().Get("ok")),
		Decider: a.HasAny(auth.RoleHandler, auth.RoleApprover), Today: asOf.Equal(m.today())}
	if e, err := m.d.Register.Get(ctx, a, st.USCC); err == nil {
		d.Entity = e
	}
	repairs, err := m.RepairsOf(ctx, a, st.USCC)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Records = m.recordViews(ctx, st.Records, repairs)
	before, _ := strconv.ParseInt(r.URL.Query().Get("checks_before"), 10, 64)
	checks, err := m.Checks(ctx, a, st.USCC, before, pageSize+1)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if len(checks) > pageSize {
		checks = checks[:pageSize]
		d.ChecksNext = strconv.FormatInt(checks[len(checks)-1].ID, 10)
	}
	d.Checks = checks
	if err := m.reportsPage(r, a, st.USCC, &d); err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "credit/file.html", d)
}

// reportsPage reads the page of the business's reports that r asks for
// (reports_after) into d.
func (m *Module) reportsPage(r *http.Request, a *auth.Actor, uscc string, d *fileData) error {
	after, err := store.ParseCursor(r.URL.Query().Get("reports_after"))
	if err != nil {
		return &valid.FieldError{Path: "reports_after", Message: "无效的分页位置 (malformed cursor)"}
	}
	list, pg, err := m.ReportsOf(r.Context(), a, uscc, after, pageSize)
	if err != nil {
		return err
	}
	d.Reports, d.ReportsPager = list, web.KeysetPager(r, "reports_after", pg.Count, pg.Next.String())
	return nil
}

// myData is the business's own credit page.
type myData struct {
	fileData
	Outcome string
}

func (m *Module) myPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	st, err := m.StateOf(ctx, a, a.USCC, m.today())
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := myData{fileData: fileData{USCC: st.USCC, State: st, Flash: flash(r.URL.Query().Get("ok"))}}
	if e, err := m.d.Register.Get(ctx, a, st.USCC); err == nil {
		d.Entity = e
	}
	repairs, err := m.RepairsOf(ctx, a, st.USCC)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Records = m.recordViews(ctx, st.Records, repairs)
	if err := m.reportsPage(r, a, st.USCC, &d.fileData); err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "credit/my.html", d)
}

// flash keeps only the known confirmation keys a redirect carries.
func flash(k string) string {
	switch k {
	case "repair_applied", "repair_decided", "report_issued", "recorded", "withdrawn":
		return "credit.flash." + k
	}
	return ""
}

// selfCheck is 信用自查: the business runs 信用核查 on itself before
// applying. It is logged with purpose self and no department, so it is
// never counted as a department's check.
func (m *Module) selfCheck(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	res, err := m.Check(ctx, a, a.USCC, "self")
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/credit/my/checks?outcome="+res.Outcome+"&check="+strconv.FormatInt(res.ID, 10), http.StatusSeeOther)
}

// checksData is the business's list of who checked it.
type checksData struct {
	Checks  []CheckEntry
	Next    string
	Outcome string
	Reasons []Reason
}

func (m *Module) myChecks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, err := m.Checks(ctx, a, a.USCC, before, pageSize+1)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := checksData{}
	switch o := r.URL.Query().Get("outcome"); o {
	case OutcomeAllow, OutcomeWeigh, OutcomeDeny:
		d.Outcome = o
	}
	if len(list) > pageSize {
		list = list[:pageSize]
		d.Next = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	d.Checks = list
	m.s.Render(w, r, "credit/checks.html", d)
}

// issueReportPage issues a 专用信用报告 for the business (its own, from
// /credit/my/reports) or for the business of the staff file, over the
// chosen number of years, and goes to it.
func (m *Module) issueReportPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.s.ParseForm(w, r) {
		return
	}
	uscc := a.USCC
	if r.PathValue("uscc") != "" {
		uscc = r.PathValue("uscc")
	}
	in := ReportInput{USCC: uscc}
	if y, err := strconv.Atoi(r.PostForm.Get("years")); err == nil && y >= 1 && y <= 5 {
		in.From = publishedBefore(m.today(), periodYears(y)).AddDays(1).String()
	}
	rep, err := m.IssueReport(ctx, a, in)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/credit/reports/"+strconv.FormatInt(rep.ID, 10), http.StatusSeeOther)
}

// reportData is the printable report or its public verification.
type reportData struct {
	Report *Report
	QR     template.HTML
	URL    string
	Public bool
}

func (m *Module) reportPage(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rep, err := m.GetReport(r.Context(), auth.FromContext(r.Context()), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	u := m.verifyURL(r, rep.Token)
	qr, err := certificate.QRSVG(u)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "credit/report.html", reportData{Report: rep, QR: template.HTML(qr), URL: u})
}

// verifyReportPage is the public page a report's QR code opens: the
// report's contents and whether its signature holds.
func (m *Module) verifyReportPage(w http.ResponseWriter, r *http.Request) {
	rep, err := m.VerifyReport(r.Context(), r.PathValue("token"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if !rep.Genuine {
		status = http.StatusConflict
	}
	m.s.RenderStatus(w, r, status, "credit/report.html", reportData{Report: rep, Public: true, URL: m.verifyURL(r, rep.Token)})
}

// verifyURL is the address a report's QR code holds.
func (m *Module) verifyURL(r *http.Request, token string) string {
	base := strings.TrimSuffix(m.d.BaseURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/credit/verify/" + token
}

// repairFormData is the business's application form.
type repairFormData struct {
	Record   recordView
	Problems []problem
	Form     map[string]string
}

func (m *Module) ownRecord(r *http.Request) (*recordView, error) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rec, err := m.GetRecord(ctx, a, id, m.today())
	if err != nil {
		return nil, err
	}
	if rec.USCC != a.USCC {
		return nil, ErrNotFound
	}
	repairs, err := m.RepairsOf(ctx, a, a.USCC)
	if err != nil {
		return nil, err
	}
	v := m.recordViews(ctx, []Record{*rec}, repairs)[0]
	return &v, nil
}

func (m *Module) repairForm(w http.ResponseWriter, r *http.Request) {
	v, err := m.ownRecord(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "credit/repair_form.html", repairFormData{Record: *v})
}

func (m *Module) repairSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	v, err := m.ownRecord(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if web.IsTooLarge(err) {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		}
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	if err := web.CheckForm(r); err != nil {
		m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "credit/repair_form.html",
			repairFormData{Record: *v, Problems: problems(ctx, err)})
		return
	}
	in := RepairInput{RecordID: v.ID, Correction: r.PostForm.Get("correction"), Commitment: r.PostForm.Get("commitment")}
	for _, fh := range r.MultipartForm.File["files"] {
		f, err := fh.Open()
		if err != nil {
			m.s.Error(w, r, http.StatusBadRequest, "")
			return
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxRepairFileSize+1))
		f.Close()
		if err != nil {
			m.s.Error(w, r, http.StatusBadRequest, "")
			return
		}
		in.Files = append(in.Files, RepairFile{Name: fh.Filename, Data: data})
	}
	rp, err := m.ApplyRepair(ctx, a, in)
	if err != nil {
		if len(valid.Fields(err)) > 0 {
			m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "credit/repair_form.html", repairFormData{Record: *v,
				Problems: problems(ctx, err), Form: map[string]string{"correction": in.Correction, "commitment": in.Commitment}})
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/credit/repairs/"+strconv.FormatInt(rp.ID, 10)+"?ok=repair_applied", http.StatusSeeOther)
}

// repairData is one application as its business and departments see it.
type repairData struct {
	Repair    *Repair
	Record    *recordView
	CanDecide bool
	Problems  []problem
	Flash     string
}

func (m *Module) repairPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rp, err := m.GetRepair(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderRepair(w, r, http.StatusOK, rp, nil)
}

func (m *Module) renderRepair(w http.ResponseWriter, r *http.Request, status int, rp *Repair, probs []problem) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	rec, err := m.GetRecord(ctx, a, rp.RecordID, m.today())
	if err != nil {
		m.fail(w, r, err)
		return
	}
	v := m.recordViews(ctx, []Record{*rec}, nil)[0]
	d := repairData{Repair: rp, Record: &v, Problems: probs, Flash: flash(r.URL.Query().Get("ok")),
		CanDecide: rp.Status == RepairPending && !a.Has(auth.RoleEnterprise) && a.HasAny(auth.RoleHandler, auth.RoleApprover) &&
			m.d.Policy.Authorize(a, auth.ActAct, object(rp.RegionCode, rp.DepartmentID, rp.USCC)) == nil}
	m.s.RenderStatus(w, r, status, "credit/repair.html", d)
}

func (m *Module) repairFile(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	f, data, err := m.RepairFileData(r.Context(), auth.FromContext(r.Context()), id, n)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlEscape(f.Name))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(data)
}

// queueData is a department's applications to decide.
type queueData struct {
	Repairs []queueItem
	Pending bool
	Pager   web.Pager
}

type queueItem struct {
	Repair
	Name    string
	Overdue bool
}

func (m *Module) repairQueuePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, err := store.ParseCursor(r.URL.Query().Get("after"))
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	pending := r.URL.Query().Get("pending") == "1"
	list, pg, err := m.RepairQueue(ctx, auth.FromContext(ctx), RepairQuery{Pending: pending, After: after, Limit: pageSize})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	today := m.today().String()
	d := queueData{Pending: pending, Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String())}
	for _, rp := range list {
		it := queueItem{Repair: rp, Overdue: rp.Status == RepairPending && rp.DueOn < today}
		if e, err := m.d.Register.Get(ctx, auth.System(), rp.USCC); err == nil {
			it.Name = e.Name
		}
		d.Repairs = append(d.Repairs, it)
	}
	m.s.Render(w, r, "credit/repairs.html", d)
}

func (m *Module) decideRepairPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.s.ParseForm(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var d RepairDecision
	switch r.PostForm.Get("decision") {
	case "grant":
		d.Grant = true
	case "refuse":
	default:
		rp, err := m.GetRepair(ctx, a, id)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		m.renderRepair(w, r, http.StatusUnprocessableEntity, rp, problems(ctx,
			&valid.FieldError{Path: "decision", Message: "请选择准予或不予修复 (choose grant or refuse)"}))
		return
	}
	d.Reason = r.PostForm.Get("reason")
	rp, err := m.DecideRepair(ctx, a, id, d)
	if err != nil {
		if len(valid.Fields(err)) > 0 {
			if rp, err2 := m.GetRepair(ctx, a, id); err2 == nil {
				m.renderRepair(w, r, http.StatusUnprocessableEntity, rp, problems(ctx, err))
				return
			}
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/credit/repairs/"+strconv.FormatInt(rp.ID, 10)+"?ok=repair_decided", http.StatusSeeOther)
}

func periodYears(n int) calendar.Period { return calendar.Period{N: n, Unit: calendar.Years} }

func urlEscape(s string) string { return url.PathEscape(s) }

// S shows an optional date in a template ("" for none).
func (recordView) S(p *string) string { return deref(p) }

// S shows an optional date in a template ("" for none).
func (Repair) S(p *string) string { return deref(p) }
