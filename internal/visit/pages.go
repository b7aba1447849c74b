package visit

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

//go:embed assets/visit.js
var visitJS []byte

//go:embed assets/visit.css
var visitCSS []byte

// labelRoles are the staff who print 监管宝 labels.
var labelRoles = []auth.Role{auth.RoleInspector, auth.RoleHandler, auth.RoleApprover, auth.RoleLegal, auth.RoleSupervisor, auth.RoleAdmin}

// Mount registers the module's messages, pages and API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("visit", loc); err != nil {
		return fmt.Errorf("visit: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "visit"); err != nil {
		return fmt.Errorf("visit: %w", err)
	}
	in := s.Require()
	s.Handle("GET /visits", in(http.HandlerFunc(m.listPage)))
	s.Handle("GET /visits/{visit}", in(http.HandlerFunc(m.visitPage)))
	s.Handle("POST /visits/{visit}/results", in(http.HandlerFunc(m.resultSubmit)))
	s.Handle("POST /visits/{visit}/evidence", in(web.MaxBytes(MaxRecordingSize+1<<20)(http.HandlerFunc(m.evidenceSubmit))))
	s.Handle("POST /visits/{visit}/completion", in(http.HandlerFunc(m.completeSubmit)))
	s.Handle("POST /visits/{visit}/publication", in(http.HandlerFunc(m.publishSubmit)))
	s.HandleFunc("GET /visits/assets/visit.js", asset("text/javascript; charset=utf-8", visitJS))
	s.HandleFunc("GET /visits/assets/visit.css", asset("text/css; charset=utf-8", visitCSS))
	s.Handle("GET /jgb/{uscc}", http.HandlerFunc(m.boardPage))
	s.Handle("GET /jgb/{uscc}/label", s.Require(labelRoles...)(http.HandlerFunc(m.labelPage)))
	m.registerAPI(s)
	return nil
}

func asset(ct string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(b)
	}
}

// Nav links inspectors, heads and legal reviewers to the visits.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	if a == nil || !a.HasAny(auth.RoleInspector, auth.RoleApprover, auth.RoleLegal) {
		return nil
	}
	return []web.NavLink{{Path: "/visits", Key: "visit.nav"}}
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	m.s.Error(w, r, web.StatusOf(err), "")
}

// newKey returns a fresh idempotency key for a form.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// listRow is one visit of the task list.
type listRow struct {
	Listed
	Name        string
	Departments []string
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !a.HasAny(auth.RoleInspector, auth.RoleApprover, auth.RoleLegal) {
		m.fail(w, r, ErrNotFound)
		return
	}
	c, err := store.ParseCursor(r.URL.Query().Get("after"))
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	status := r.URL.Query().Get("status")
	if status == "" && a.Has(auth.RoleInspector) {
		status = StatusAssigned
	}
	if status == "all" {
		status = ""
	}
	list, pg, err := m.List(ctx, a, status, c, 20)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	rows := make([]listRow, 0, len(list))
	for _, l := range list {
		row := listRow{Listed: l, Name: m.nameOf(r, l.USCC)}
		if v, err := m.d.Service.Get(ctx, m.d.DB, l.ID); err == nil {
			for _, it := range v.Items {
				n := m.d.Org.DepartmentName(ctx, it.DepartmentID)
				if !containsString(row.Departments, n) {
					row.Departments = append(row.Departments, n)
				}
			}
		}
		rows = append(rows, row)
	}
	m.s.Render(w, r, "visit/list.html", map[string]any{"Rows": rows, "Status": r.URL.Query().Get("status"),
		"Inspector": a.Has(auth.RoleInspector), "Pager": web.KeysetPager(r, "after", pg.Count, pg.Next.String())})
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// nameOf returns the registered name of business uscc, or "".
func (m *Module) nameOf(r *http.Request, uscc string) string {
	if e, err := m.d.Register.Get(r.Context(), auth.System(), uscc); err == nil {
		return e.Name
	}
	return ""
}

// itemView is one item of the visit page.
type itemView struct {
	Item
	Department string
	ResultName string
	Key        string
}

// visitData is what the visit page renders.
type visitData struct {
	V          *Visit
	Name       string
	Address    string
	Items      []itemView
	Results    []Result
	Evidence   []Evidence
	CanAct     bool
	CanPublish bool
	Ready      bool // every item has a result
	Open       bool
	Key        string // the completion form's idempotency key
	PhotoKey   string
	SignKey    string
	Flash      string
	Lead       string
	Overdue    bool
	Days       int // the publication limit in working days
}

var flashes = map[string]string{"result": "visit.flash.result", "evidence": "visit.flash.evidence",
	"completed": "visit.flash.completed", "published": "visit.flash.published", "replayed": "visit.flash.replayed"}

func (m *Module) visitID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("visit"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

func (m *Module) visitPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	v, err := m.Get(ctx, a, m.visitID(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := visitData{V: v, Results: StandardResults(), CanAct: m.allowed(ctx, a, v, auth.ActAct) && v.Status == StatusAssigned,
		CanPublish: m.allowed(ctx, a, v, auth.ActAdminister) && (v.Status == StatusCompleted || v.Status == StatusOverdue),
		Open:       v.Status == StatusAssigned, Key: newKey(), PhotoKey: newKey(), SignKey: newKey(), Flash: flashes[r.URL.Query().Get("ok")],
		Lead: m.d.Org.DepartmentName(ctx, v.LeadDepartmentID), Ready: len(v.Items) > 0, Days: m.d.Service.PublishDays()}
	if e, err := m.d.Register.Get(ctx, auth.System(), v.USCC); err == nil {
		d.Name, d.Address = e.Name, e.Address
	}
	for _, it := range v.Items {
		d.Items = append(d.Items, itemView{Item: it, Department: m.d.Org.DepartmentName(ctx, it.DepartmentID),
			ResultName: ResultName(it.Result), Key: newKey()})
		d.Ready = d.Ready && it.Result != ""
	}
	if d.Evidence, err = m.d.Service.EvidenceOf(ctx, m.d.DB, v.ID); err != nil {
		m.fail(w, r, err)
		return
	}
	today := m.d.Now().In(calendar.CST).Format(calendar.DateLayout)
	d.Overdue = v.Status == StatusOverdue || (v.Status == StatusCompleted && v.PublishDueOn < today)
	m.s.Render(w, r, "visit/visit.html", d)
}

// outbox reports whether the request comes from the page's outbox script,
// which wants a JSON answer rather than a page.
func fromOutbox(r *http.Request) bool { return r.Header.Get("X-Outbox") == "1" }

// answer ends a form submission: JSON for the outbox, else back to the
// visit page with a flash.
func (m *Module) answer(w http.ResponseWriter, r *http.Request, id int64, flash string, body map[string]any) {
	if fromOutbox(r) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/visits/%d?ok=%s", id, flash), http.StatusSeeOther)
}

// refuse answers a refused submission: JSON problem for the outbox (which
// then drops it: sending it again would not help), else the error page.
func (m *Module) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if fromOutbox(r) && !errors.Is(err, ErrNotFound) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(web.StatusOf(err))
		json.NewEncoder(w).Encode(map[string]any{"error": err.Error()})
		return
	}
	m.fail(w, r, err)
}

// parse reads a form posted urlencoded or, as a script may send it,
// multipart; it answers and returns false on failure.
func (m *Module) parse(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return m.s.ParseForm(w, r)
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if web.IsTooLarge(err) {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
		} else {
			m.s.Error(w, r, http.StatusBadRequest, "")
		}
		return false
	}
	return true
}

func (m *Module) resultSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.parse(w, r) {
		return
	}
	id := m.visitID(r)
	item, err := strconv.ParseInt(r.PostFormValue("item_id"), 10, 64)
	if err != nil {
		m.refuse(w, r, fieldError("item_id", "事项不正确 (invalid item)"))
		return
	}
	out, err := m.RecordResult(r.Context(), auth.FromContext(r.Context()), id, r.PostFormValue("idempotency_key"),
		ItemResult{ItemID: item, Result: r.PostFormValue("result"), Note: strings.TrimSpace(r.PostFormValue("note"))})
	if err != nil {
		m.refuse(w, r, err)
		return
	}
	m.answer(w, r, id, flashOf(out, "result"), map[string]any{"replayed": out.Replayed})
}

func flashOf(o Outcome, ok string) string {
	if o.Replayed {
		return "replayed"
	}
	return ok
}

func (m *Module) evidenceSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.parse(w, r) {
		return
	}
	id := m.visitID(r)
	kind := r.PostFormValue("kind")
	f, h, err := r.FormFile("file")
	if err != nil {
		m.refuse(w, r, fieldError("file", "请选择文件 (choose a file)"))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(MaxRecordingSize)+1))
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	ct := h.Header.Get("Content-Type")
	if kind != EvidenceRecording {
		ct = http.DetectContentType(data)
	}
	hash, err := m.AddEvidence(r.Context(), auth.FromContext(r.Context()), id, kind, ct, data)
	if err != nil {
		m.refuse(w, r, err)
		return
	}
	m.answer(w, r, id, "evidence", map[string]any{"sha256": hash})
}

func (m *Module) completeSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.parse(w, r) {
		return
	}
	id := m.visitID(r)
	out, err := m.Complete(r.Context(), auth.FromContext(r.Context()), id, r.PostFormValue("idempotency_key"))
	if err != nil {
		m.refuse(w, r, err)
		return
	}
	m.answer(w, r, id, flashOf(out, "completed"), map[string]any{"replayed": out.Replayed, "unreachable": out.Unreachable})
}

func (m *Module) publishSubmit(w http.ResponseWriter, r *http.Request) {
	id := m.visitID(r)
	if _, err := m.Publish(r.Context(), auth.FromContext(r.Context()), id); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/visits/%d?ok=published", id), http.StatusSeeOther)
}

// fieldError is a refusal naming one field.
func fieldError(path, msg string) error {
	return &valid.FieldError{Path: path, Message: msg}
}

// boardData is what the public 监管宝 page renders.
type boardData struct {
	B          *Board
	Records    []maskedRecord
	TooMany    bool
	RetryAfter int
	Report     string // the 12345 form prefilled with the business
	Label      bool   // the viewer may print the label
	Open       []int64
}

// maskedRecord is a public credit record with personal data masked.
type maskedRecord struct {
	Kind, Department, DecisionNo, Decision, Content string
}

func (m *Module) boardPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if ok, wait := m.d.Credit.AllowPublic(ctx); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		m.s.RenderStatus(w, r, http.StatusTooManyRequests, "visit/board.html", boardData{TooMany: true, RetryAfter: secs})
		return
	}
	b, err := m.BoardOf(ctx, r.PathValue("uscc"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	a := auth.FromContext(ctx)
	d := boardData{B: b, Label: a != nil && a.HasAny(labelRoles...), Open: m.OpenFor(ctx, a, b.File.USCC)}
	for _, rec := range b.File.Records {
		d.Records = append(d.Records, maskedRecord{Kind: rec.KindName, Department: rec.Department, DecisionNo: rec.DecisionNo,
			Decision: rec.Decision, Content: pii.MaskText(rec.Content)})
	}
	q := url.Values{}
	name := b.File.Name
	q.Set("title", "反映"+name+"的问题")
	q.Set("content", fmt.Sprintf("经营主体：%s（统一社会信用代码 %s）\n地址：%s\n问题：", name, b.File.USCC, b.File.Address))
	q.Set("address", b.File.Address)
	// Staff do not file through the public form (the hotline sends them
	// to their own intake): the link is for the public and businesses.
	if a == nil || a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) {
		d.Report = "/hotline/submit?" + q.Encode()
	}
	m.s.Render(w, r, "visit/board.html", d)
}

// BoardURL is the address a business's QR label holds.
func (m *Module) BoardURL(r *http.Request, uscc string) string {
	base := strings.TrimSuffix(m.d.BaseURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/jgb/" + uscc
}

func (m *Module) labelPage(w http.ResponseWriter, r *http.Request) {
	uscc := ids.NormalizeUSCC(r.PathValue("uscc"))
	if ids.ValidateUSCC(uscc) != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	e, err := m.d.Register.Get(r.Context(), auth.System(), uscc)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	u := m.BoardURL(r, uscc)
	svg, err := certificate.QRSVG(u)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "visit/label.html", map[string]any{"Name": e.Name, "USCC": uscc, "Address": e.Address,
		"QR": template.HTML(svg), "URL": u})
}
