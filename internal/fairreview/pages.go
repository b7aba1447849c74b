package fairreview

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/fairscreen"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

//go:embed fairreview.css
var css []byte

// Upload limits: one draft, one stock archive.
const (
	maxDraftUpload = 5 << 20
	maxStockUpload = 64 << 20
)

// Mount registers the module's messages, pages and JSON API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("fairreview", loc); err != nil {
		return fmt.Errorf("fairreview: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "fairreview"); err != nil {
		return fmt.Errorf("fairreview: %w", err)
	}
	st := s.Require(staff...)
	s.Handle("GET /fair-review/measures", st(http.HandlerFunc(m.listPage)))
	s.Handle("GET /fair-review/measures/new", st(http.HandlerFunc(m.newPage)))
	s.Handle("POST /fair-review/measures", st(web.MaxBytes(maxDraftUpload+1<<20)(http.HandlerFunc(m.registerSubmit))))
	s.Handle("GET /fair-review/measures/{id}", st(http.HandlerFunc(m.measurePage)))
	s.Handle("GET /fair-review/measures/{id}/conclusion", st(http.HandlerFunc(m.conclusionPage)))
	for _, action := range []string{"self-review", "amend", "comments", "joint-review", "legal-review", "issue", "accountability"} {
		s.Handle("POST /fair-review/measures/{id}/"+action, st(http.HandlerFunc(m.actionSubmit(action))))
	}
	s.Handle("GET /fair-review/queue", st(http.HandlerFunc(m.queuePage)))
	s.Handle("GET /fair-review/reports", st(http.HandlerFunc(m.reportsPage)))
	s.Handle("POST /fair-review/reports/{rid}/answer", st(http.HandlerFunc(m.answerSubmit)))
	s.Handle("GET /fair-review/stock", st(http.HandlerFunc(m.stockPage)))
	s.Handle("POST /fair-review/stock", st(web.MaxBytes(maxStockUpload+1<<20)(http.HandlerFunc(m.stockSubmit))))
	s.Handle("GET /fair-review/figures", st(http.HandlerFunc(m.figuresPage)))
	s.Handle("GET /fair-review/figures/export", st(http.HandlerFunc(m.figuresExport)))
	s.Handle("GET /fair-review/spot-checks", st(http.HandlerFunc(m.spotPage)))
	s.Handle("POST /fair-review/spot-checks", st(http.HandlerFunc(m.spotSubmit)))
	s.Handle("GET /fair-review/accountability", st(http.HandlerFunc(m.accountabilityPage)))
	// The public's pages (第十六条, 第二十二条).
	s.HandleFunc("GET /fair-review/public", m.publicPage)
	s.HandleFunc("GET /fair-review/public/{id}", m.publicMeasurePage)
	s.HandleFunc("POST /fair-review/public/{id}/comments", m.publicWrite(false))
	s.HandleFunc("POST /fair-review/public/{id}/reports", m.publicWrite(true))
	s.HandleFunc("GET /fair-review/track/{token}", m.trackPage)
	s.HandleFunc("GET /fair-review/assets/fairreview.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(css)
	})
	return m.mountAPI(s)
}

// Nav links staff to the drafts and, for reviewers, to their queue.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	if a == nil || !a.HasAny(staff...) {
		return nil
	}
	out := []web.NavLink{{Path: "/fair-review/measures", Key: "fairreview.nav.measures"}}
	if a.HasAny(auth.RoleLegal, auth.RoleSupervisor, auth.RoleAdmin) || (a.HasAny(auth.RoleHandler, auth.RoleApprover) && m.d.IsOffice != nil &&
		len(a.DepartmentIDs) > 0 && m.d.IsOffice(context.Background(), a.DepartmentIDs[0])) {
		out = append(out, web.NavLink{Path: "/fair-review/queue", Key: "fairreview.nav.queue"})
	}
	return out
}

func (m *Module) actor(r *http.Request) Actor {
	return m.ActorOf(r.Context(), auth.FromContext(r.Context()))
}

func (m *Module) deptName(ctx context.Context, id int64) string {
	if m.d.DepartmentName != nil {
		if n := m.d.DepartmentName(ctx, id); n != "" {
			return n
		}
	}
	return "#" + strconv.FormatInt(id, 10)
}

// row is a measure as a list shows it.
type row struct {
	*Measure
	Department string
	Findings   int
	Overdue    bool
}

func (m *Module) rows(ctx context.Context, list []*Measure) []row {
	out := make([]row, len(list))
	today := m.today()
	for i, ms := range list {
		n := 0
		for _, c := range ms.Clauses {
			n += len(c.Findings)
		}
		out[i] = row{Measure: ms, Department: m.deptName(ctx, ms.DepartmentID), Findings: n, Overdue: ms.Overdue(today)}
	}
	return out
}

type listData struct {
	Rows  []row
	Q     string
	Pager web.Pager
	Actor Actor
}

const pageSize = 30

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if utf8.RuneCountInString(q) > 100 {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "")
		return
	}
	var before int64
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			m.s.Error(w, r, http.StatusUnprocessableEntity, "")
			return
		}
		before = n
	}
	a := m.actor(r)
	items, err := m.List(r.Context(), a, q, before, pageSize)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	next := ""
	if len(items) == pageSize {
		next = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	m.s.Render(w, r, "fairreview/list.html", listData{Rows: m.rows(r.Context(), items), Q: q,
		Pager: web.KeysetPager(r, "before", len(items), next), Actor: a})
}

type newData struct {
	Draft   Draft
	Kinds   []string
	Problem []string
}

func (m *Module) newPage(w http.ResponseWriter, r *http.Request) {
	m.s.Render(w, r, "fairreview/new.html", newData{Kinds: Kinds, Draft: Draft{Touches: true}})
}

// uploadText reads an uploaded draft: .txt as UTF-8, .docx through
// DocxText; anything else is refused.
func uploadText(name string, b []byte) (string, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt":
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(b) {
			return "", &FieldError{"file", "不是 UTF-8 文本 (not UTF-8 text)"}
		}
		return string(b), nil
	case ".docx":
		return DocxText(b)
	}
	return "", &FieldError{"file", "仅接受 .txt 或 .docx 文件 (only .txt or .docx)"}
}

func (m *Module) registerSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		m.s.Error(w, r, uploadStatus(err), "")
		return
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return
	}
	d := Draft{Kind: r.FormValue("kind"), Title: r.FormValue("title"), Body: r.FormValue("body"),
		Touches: r.FormValue("touches") == "1", NoReviewReason: r.FormValue("no_review_reason"),
		CountyLevel: r.FormValue("county_level") == "1", ToCongress: r.FormValue("to_congress") == "1"}
	render := func(err error) {
		m.s.RenderStatus(w, r, web.StatusOf(err), "fairreview/new.html", newData{Kinds: Kinds, Draft: d, Problem: lines(err)})
	}
	if f, hdr, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, maxDraftUpload+1))
		f.Close()
		if err != nil || len(b) > maxDraftUpload {
			render(&FieldError{"file", "文件超过 5 MB (file too large)"})
			return
		}
		if len(b) > 0 {
			text, err := uploadText(hdr.Filename, b)
			if err != nil {
				render(err)
				return
			}
			d.Body = text
		}
	}
	ms, err := m.Register(r.Context(), m.actor(r), d)
	if err != nil {
		render(err)
		return
	}
	http.Redirect(w, r, "/fair-review/measures/"+strconv.FormatInt(ms.ID, 10), http.StatusSeeOther)
}

// finding is a screening finding placed in the text, with the clause it is
// in for the reviewer's decision.
type finding struct {
	fairscreen.ShownFinding
	ClauseIndex int
	Decided     string // "confirm", "dismiss" or ""
}

type measureData struct {
	M          *Measure
	Department string
	Marked     template.HTML
	Findings   []finding
	Checklist  []Item
	Answers    map[string]Answer
	Exception  *Exception
	Opinion    string
	Comments   []Comment
	Actor      Actor
	Drafter    bool
	Today      string
	Overdue    bool
	Problem    []string
	Diff       []DiffLine
	IssueText  string
	Allows     bool
	Violated   bool
	Done       bool
}

func (m *Module) measureID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (m *Module) measureData(ctx context.Context, a Actor, ms *Measure) (*measureData, error) {
	d := &measureData{M: ms, Department: m.deptName(ctx, ms.DepartmentID), Checklist: Checklist, Answers: map[string]Answer{},
		Actor: a, Drafter: a.DepartmentID == ms.DepartmentID, Today: m.today(), Overdue: ms.Overdue(m.today()),
		Allows: Allows(ms.Conclusion), Violated: violated(ms)}
	d.Marked, d.Findings = marked(ms)
	var sr SelfReview
	if ms.SelfReview != "" && strings.HasPrefix(ms.SelfReview, "{") {
		if err := json.Unmarshal([]byte(ms.SelfReview), &sr); err == nil {
			for _, an := range sr.Answers {
				d.Answers[an.Item] = an
			}
			d.Exception, d.Opinion = sr.Exception, sr.Opinion
			for i := range d.Findings {
				for _, dc := range sr.Decisions {
					if dc.Clause == d.Findings[i].ClauseIndex && dc.Rule == d.Findings[i].Rule {
						d.Findings[i].Decided = map[bool]string{true: "confirm", false: "dismiss"}[dc.Confirmed]
					}
				}
			}
		}
	}
	cs, err := m.Comments(ctx, a, ms.ID)
	if err != nil {
		return nil, err
	}
	d.Comments = cs
	return d, nil
}

// marked highlights the findings in the measure's text with the
// screening module's own marking.
func marked(ms *Measure) (template.HTML, []finding) {
	segs := fairscreen.Split(ms.Body)
	if len(segs) != len(ms.Clauses) {
		return template.HTML(template.HTMLEscapeString(ms.Body)), nil
	}
	html, shown := fairscreen.Mark(ms.Body, segs, ms.Clauses)
	out := make([]finding, 0, len(shown))
	k := 0
	for i, c := range ms.Clauses {
		for range c.Findings {
			if k < len(shown) {
				out = append(out, finding{ShownFinding: shown[k], ClauseIndex: i})
			}
			k++
		}
	}
	return html, out
}

func (m *Module) measurePage(w http.ResponseWriter, r *http.Request) {
	m.renderMeasure(w, r, http.StatusOK, nil, nil, "")
}

// pageData loads the measure the path names, as the caller may see it,
// and what its pages show; it answers the request itself when it cannot.
func (m *Module) pageData(w http.ResponseWriter, r *http.Request) (*measureData, bool) {
	id, ok := m.measureID(r)
	if !ok {
		m.fail(w, r, ErrNotFound)
		return nil, false
	}
	a := m.actor(r)
	ms, err := m.Get(r.Context(), a, id)
	if err == nil && r.URL.Path != "/fair-review/measures/"+strconv.FormatInt(id, 10) && (ms.Conclusion == "" || strings.HasPrefix(ms.Conclusion, "stock:")) {
		err = ErrNotFound // the conclusion page of a measure without one
	}
	if err != nil {
		m.fail(w, r, err)
		return nil, false
	}
	d, err := m.measureData(r.Context(), a, ms)
	if err != nil {
		m.fail(w, r, err)
		return nil, false
	}
	return d, true
}

func (m *Module) renderMeasure(w http.ResponseWriter, r *http.Request, status int, problem error, diff []DiffLine, issueText string) {
	d, ok := m.pageData(w, r)
	if !ok {
		return
	}
	ms := d.M
	d.Problem, d.Diff, d.IssueText = lines(problem), diff, issueText
	d.Done = problem == nil && r.URL.Query().Get("done") != ""
	if d.IssueText == "" {
		d.IssueText = ms.ReviewedBody
	}
	m.s.RenderStatus(w, r, status, "fairreview/measure.html", d)
}

func (m *Module) conclusionPage(w http.ResponseWriter, r *http.Request) {
	if d, ok := m.pageData(w, r); ok {
		m.s.Render(w, r, "fairreview/conclusion.html", d)
	}
}

// selfReviewForm reads the self-review form: one answer per check-list
// item, a decision per finding, the exception when claimed.
func selfReviewForm(r *http.Request, ms *Measure) SelfReview {
	sr := SelfReview{Opinion: r.PostForm.Get("opinion")}
	for _, it := range Checklist {
		if v := r.PostForm.Get("breach_" + it.ID); v != "" {
			sr.Answers = append(sr.Answers, Answer{Item: it.ID, Breaches: v == "yes", Reason: r.PostForm.Get("reason_" + it.ID)})
		}
	}
	_, fs := marked(ms)
	for i, f := range fs {
		switch r.PostForm.Get("decision_" + strconv.Itoa(i+1)) {
		case "confirm":
			sr.Decisions = append(sr.Decisions, Decision{Clause: f.ClauseIndex, Rule: f.Rule, Confirmed: true})
		case "dismiss":
			sr.Decisions = append(sr.Decisions, Decision{Clause: f.ClauseIndex, Rule: f.Rule, Confirmed: false})
		}
	}
	if r.PostForm.Get("exception") == "1" {
		sr.Exception = &Exception{PublicInterest: r.PostForm.Get("public_interest"), NoAlternative: r.PostForm.Get("no_alternative"),
			Term: r.PostForm.Get("term"), Explanation: r.PostForm.Get("explanation")}
	}
	return sr
}

func (m *Module) actionSubmit(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := m.measureID(r)
		if !ok {
			m.fail(w, r, ErrNotFound)
			return
		}
		if !m.s.ParseForm(w, r) {
			return
		}
		ctx, a := r.Context(), m.actor(r)
		f := r.PostForm
		var err error
		switch action {
		case "self-review":
			var ms *Measure
			if ms, err = m.Get(ctx, a, id); err == nil {
				_, err = m.SubmitSelfReview(ctx, a, id, selfReviewForm(r, ms))
			}
		case "amend":
			_, err = m.Amend(ctx, a, id, f.Get("text"))
		case "comments":
			days, _ := strconv.Atoi(f.Get("days"))
			_, err = m.OpenComments(ctx, a, id, days)
		case "joint-review":
			_, err = m.JointReview(ctx, a, id, f.Get("opinion"))
		case "legal-review":
			_, err = m.LegalReview(ctx, a, id, f.Get("opinion"), f.Get("conclusion"))
		case "issue":
			_, err = m.Issue(ctx, a, id, f.Get("text"))
		case "accountability":
			points, _ := strconv.Atoi(f.Get("points"))
			_, err = m.Hold(ctx, a, id, f.Get("kind"), points, f.Get("note"))
		}
		if errors.Is(err, ErrNotFound) {
			m.fail(w, r, err)
			return
		}
		if err != nil {
			var de *DiffError
			if errors.As(err, &de) {
				m.renderMeasure(w, r, http.StatusConflict, err, de.Diff, f.Get("text"))
				return
			}
			m.renderMeasure(w, r, web.StatusOf(err), err, nil, f.Get("text"))
			return
		}
		http.Redirect(w, r, "/fair-review/measures/"+strconv.FormatInt(id, 10)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
	}
}

type queueData struct {
	Rows  []row
	Actor Actor
}

func (m *Module) queuePage(w http.ResponseWriter, r *http.Request) {
	a := m.actor(r)
	items, err := m.Queue(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "fairreview/queue.html", queueData{Rows: m.rows(r.Context(), items), Actor: a})
}

type reportsData struct {
	Reports []*Report
	Problem []string
}

func (m *Module) reportsPage(w http.ResponseWriter, r *http.Request) {
	m.renderReports(w, r, http.StatusOK, nil)
}

func (m *Module) renderReports(w http.ResponseWriter, r *http.Request, status int, problem error) {
	rs, err := m.Reports(r.Context(), m.actor(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.RenderStatus(w, r, status, "fairreview/reports.html", reportsData{Reports: rs, Problem: lines(problem)})
}

func (m *Module) answerSubmit(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("rid"), 10, 64)
	if err != nil || id < 1 {
		m.fail(w, r, ErrNotFound)
		return
	}
	if !m.s.ParseForm(w, r) {
		return
	}
	a := m.actor(r)
	if _, err := m.AnswerReport(r.Context(), a, id, r.PostForm.Get("answer")); err != nil {
		if errors.Is(err, ErrNotFound) {
			m.fail(w, r, err)
			return
		}
		m.renderReports(w, r, web.StatusOf(err), err)
		return
	}
	http.Redirect(w, r, "/fair-review/reports", http.StatusSeeOther)
}

type stockData struct {
	Items   []StockItem
	Problem []string
	Elapsed string
}

func (m *Module) stockPage(w http.ResponseWriter, r *http.Request) {
	a := m.actor(r)
	if a.DepartmentID == 0 {
		m.fail(w, r, ErrNotFound)
		return
	}
	m.s.Render(w, r, "fairreview/stock.html", stockData{})
}

func (m *Module) stockSubmit(w http.ResponseWriter, r *http.Request) {
	a := m.actor(r)
	if a.DepartmentID == 0 {
		m.fail(w, r, ErrNotFound)
		return
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		m.s.RenderStatus(w, r, uploadStatus(err), "fairreview/stock.html", stockData{Problem: lines(&FieldError{"file", "请选择 zip 文件 (choose a zip file)"})})
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "fairreview/stock.html", stockData{Problem: lines(&FieldError{"file", "请选择 zip 文件 (choose a zip file)"})})
		return
	}
	b, err := io.ReadAll(io.LimitReader(f, maxStockUpload+1))
	f.Close()
	if err != nil || len(b) > maxStockUpload {
		m.s.RenderStatus(w, r, http.StatusRequestEntityTooLarge, "fairreview/stock.html", stockData{Problem: lines(&FieldError{"file", "超过 64 MB (too large)"})})
		return
	}
	start := m.d.Now()
	log := m.s.Logger()
	items, err := m.ImportStock(r.Context(), a, b, func(done, total int) {
		if done%50 == 0 || done == total {
			log.Info("fairreview: stock clean-up", "done", done, "total", total)
		}
	})
	if err != nil {
		m.s.RenderStatus(w, r, web.StatusOf(err), "fairreview/stock.html", stockData{Problem: lines(err)})
		return
	}
	m.s.Render(w, r, "fairreview/stock.html", stockData{Items: items, Elapsed: m.d.Now().Sub(start).Round(time.Millisecond).String()})
}

type figuresData struct {
	Year    int
	Figures []figureRow
}

type figureRow struct {
	Figures
	Department string
}

func (m *Module) year(r *http.Request) (int, bool) {
	y := m.d.Now().Year()
	if v := r.URL.Query().Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2000 || n > 2100 {
			return 0, false
		}
		y = n
	}
	return y, true
}

func (m *Module) figuresPage(w http.ResponseWriter, r *http.Request) {
	y, ok := m.year(r)
	if !ok {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "")
		return
	}
	figs, err := m.YearFigures(r.Context(), m.actor(r), y)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := figuresData{Year: y}
	for _, f := range figs {
		d.Figures = append(d.Figures, figureRow{Figures: f, Department: m.deptName(r.Context(), f.DepartmentID)})
	}
	m.s.Render(w, r, "fairreview/figures.html", d)
}

func (m *Module) figuresExport(w http.ResponseWriter, r *http.Request) {
	y, ok := m.year(r)
	if !ok {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "")
		return
	}
	figs, err := m.YearFigures(r.Context(), m.actor(r), y)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := WriteFiguresXLSX(&buf, y, figs, func(id int64) string { return m.deptName(r.Context(), id) }); err != nil {
		m.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(fmt.Sprintf("公平竞争审查统计-%d.xlsx", y)))
	w.Write(buf.Bytes())
}

type spotData struct {
	Checks  []SpotCheckRecord
	Drawn   []int64
	Seed    string
	Problem []string
}

func (m *Module) spotPage(w http.ResponseWriter, r *http.Request) {
	m.renderSpot(w, r, http.StatusOK, spotData{})
}

func (m *Module) renderSpot(w http.ResponseWriter, r *http.Request, status int, d spotData) {
	cs, err := m.SpotChecks(r.Context(), m.actor(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Checks = cs
	m.s.RenderStatus(w, r, status, "fairreview/spot.html", d)
}

func (m *Module) spotSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	d := spotData{Seed: r.PostForm.Get("seed")}
	seed, err := strconv.ParseUint(d.Seed, 10, 64)
	if err != nil {
		d.Problem = lines(&FieldError{"seed", "随机种子应为非负整数 (seed: a whole number)"})
		m.renderSpot(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	n, _ := strconv.Atoi(r.PostForm.Get("n"))
	drawn, err := m.SpotCheck(r.Context(), m.actor(r), seed, n)
	if errors.Is(err, ErrNotFound) {
		m.fail(w, r, err)
		return
	}
	if err != nil {
		d.Problem = lines(err)
		m.renderSpot(w, r, web.StatusOf(err), d)
		return
	}
	d.Drawn = drawn
	m.renderSpot(w, r, http.StatusOK, d)
}

type accountabilityData struct {
	Violations []row
	Records    []accountRow
}

type accountRow struct {
	Accountability
	Department string
}

func (m *Module) accountabilityPage(w http.ResponseWriter, r *http.Request) {
	a := m.actor(r)
	vs, err := m.Violations(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	recs, err := m.Accountabilities(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := accountabilityData{Violations: m.rows(r.Context(), vs)}
	for _, x := range recs {
		d.Records = append(d.Records, accountRow{Accountability: x, Department: m.deptName(r.Context(), x.DepartmentID)})
	}
	m.s.Render(w, r, "fairreview/accountability.html", d)
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	status := web.StatusOf(err)
	if status >= 500 {
		m.s.Logger().Error("fairreview", "err", err)
	}
	m.s.Error(w, r, status, "")
}

// lines turns an error into the lines an error box shows, each "中文
// (English)" so that the page shows it in its language: a field error's
// reason, every refused file of an import, the Chinese of a state error.
func lines(err error) []string {
	if err == nil {
		return nil
	}
	var fe *FieldError
	var ie *ImportError
	var de *DiffError
	switch {
	case errors.As(err, &ie):
		out := make([]string, len(ie.Rejected))
		for i, r := range ie.Rejected {
			out[i] = r.Name + "：" + r.Reason
		}
		return out
	case errors.As(err, &de):
		return []string{"出台文本与审查通过的文本不一致，请按审查文本出台或修改后重新审查 (the text differs from the reviewed one: issue the reviewed text or amend and review again)"}
	case errors.As(err, &fe):
		return []string{fe.Reason}
	}
	s := strings.TrimPrefix(err.Error(), "fairreview: ")
	// "English (中文)" as the service's state errors read: the Chinese first.
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		return []string{s[i+2:len(s)-1] + " (" + s[:i] + ")"}
	}
	return []string{s}
}

// uploadStatus is the answer to a body that could not be parsed: 413 when
// too large, 422 otherwise (not multipart, malformed).
func uploadStatus(err error) int {
	if web.IsTooLarge(err) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusUnprocessableEntity
}
