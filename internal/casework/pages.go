package casework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

const pageSize = 20

// maxForm bounds a submission with its files.
const maxForm = 6*MaxFileSize + 1<<20

var publicRoles = []auth.Role{auth.RoleCitizen, auth.RoleEnterprise}
var applyRoles = []auth.Role{auth.RoleCitizen, auth.RoleEnterprise, auth.RoleClerk}
var listRoles = []auth.Role{auth.RoleCitizen, auth.RoleEnterprise, auth.RoleClerk, auth.RoleHandler, auth.RoleApprover,
	auth.RoleSupervisor, auth.RoleAdmin}

func (m *Module) routes(s *web.Server) {
	apply := s.Require(applyRoles...)
	s.Handle("GET /apply", apply(http.HandlerFunc(m.applyListPage)))
	s.Handle("GET /apply/{code}", apply(http.HandlerFunc(m.applyPage)))
	s.Handle("POST /apply/{code}", apply(web.MaxBytes(maxForm)(http.HandlerFunc(m.applySubmit))))
	s.Handle("GET /applications", s.Require(listRoles...)(http.HandlerFunc(m.listPage)))
	s.Handle("GET /applications/credit-list", s.Require(auth.RoleSupervisor, auth.RoleAdmin)(http.HandlerFunc(m.creditPage)))
	s.Handle("POST /applications/credit-list", s.Require(auth.RoleSupervisor, auth.RoleAdmin)(http.HandlerFunc(m.creditSubmit)))
	s.Handle("GET /applications/{id}", s.RequireActor(http.HandlerFunc(m.viewPage)))
	s.Handle("POST /applications/{id}/act", s.RequireActor(web.MaxBytes(2*MaxFileSize)(http.HandlerFunc(m.actSubmit))))
	s.Handle("GET /applications/{id}/files/{sha}", s.RequireActor(http.HandlerFunc(m.serveFile)))
}

// applyListData lists the items one may apply for.
type applyListData struct {
	Items []*catalog.Item
	Q     string
	Pager web.Pager
}

func (m *Module) applyListPage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	items, total, err := m.d.Catalog.List(r.Context(), catalog.Query{Q: q, Limit: pageSize, Offset: web.Offset(r, pageSize)})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "casework/apply_list.html", applyListData{Items: items, Q: q, Pager: web.Paginate(r, total, pageSize)})
}

// applyData is the application form.
type applyData struct {
	Item       *catalog.Item
	Clerk      bool
	Form       url.Values
	Problems   []*FieldError
	Commitment string
	Due        string
	Held       map[int]string // shared material position → certificate held (number)
}

// Problem returns the message for path, if any.
func (d applyData) Problem(path string) string {
	for _, p := range d.Problems {
		if p.Path == path {
			return p.Message
		}
	}
	return ""
}

func (m *Module) applyPage(w http.ResponseWriter, r *http.Request) {
	m.renderApply(w, r, http.StatusOK, url.Values{}, nil)
}

func (m *Module) renderApply(w http.ResponseWriter, r *http.Request, status int, form url.Values, probs []*FieldError) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	it, err := m.d.Catalog.Published(ctx, r.PathValue("code"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	var replaced []string
	for _, mt := range it.CommitmentReplaceable() {
		replaced = append(replaced, mt.Name)
	}
	d := applyData{Item: it, Clerk: a.Has(auth.RoleClerk), Form: form, Problems: probs, Due: m.DefaultShortfallDue(),
		Held: map[int]string{}}
	if len(replaced) > 0 {
		d.Commitment = CommitmentText(it, a.Name, replaced)
	}
	if !d.Clerk {
		var p problems
		who, err := m.resolveApplicant(ctx, a, &SubmitInput{}, &p)
		if err == nil && len(p) == 0 {
			for i, mt := range it.Materials {
				if mt.Class != catalog.ClassShared {
					continue
				}
				if c, err := m.d.Certs.ValidFor(ctx, m.d.DB, who.holder().HolderRef, mt.CertificateType, m.now()); err == nil {
					d.Held[i] = c.Number
				}
			}
		}
	}
	m.s.RenderStatus(w, r, status, "casework/apply.html", d)
}

func (m *Module) applySubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if web.IsTooLarge(err) {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		}
		if err2 := r.ParseForm(); err2 != nil {
			m.s.Error(w, r, http.StatusBadRequest, "")
			return
		}
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return
	}
	it, err := m.d.Catalog.Published(ctx, r.PathValue("code"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	f := r.PostForm
	in := SubmitInput{ItemCode: it.Code, Form: map[string]string{}, ShortfallDue: f.Get("shortfall_due"),
		Sign: f.Get("sign") == "1", Signer: f.Get("signer"), Delivery: Delivery(f.Get("delivery")),
		DeliveryAddress: f.Get("delivery_address"), EnterpriseName: f.Get("enterprise_name")}
	for _, fld := range it.Fields {
		if v := f.Get("f_" + fld.Key); v != "" {
			in.Form[fld.Key] = v
		}
	}
	if a.Has(auth.RoleClerk) {
		in.Applicant = &ApplicantInput{Kind: ApplicantKind(f.Get("applicant_kind")), Name: f.Get("applicant_name"),
			IDNumber: f.Get("applicant_id"), USCC: f.Get("applicant_uscc")}
	}
	for i, mt := range it.Materials {
		mi := MaterialInput{Name: mt.Name, Consent: f.Get(fmt.Sprintf("consent_%d", i)) == "1",
			Shortfall: f.Get(fmt.Sprintf("shortfall_%d", i)) == "1", Commitment: f.Get(fmt.Sprintf("commit_%d", i)) == "1"}
		if up, err := formFile(r, fmt.Sprintf("file_%d", i)); err != nil {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		} else if up != nil {
			mi.File = up
		}
		in.Materials = append(in.Materials, mi)
	}
	app, err := m.Submit(ctx, a, in)
	if err != nil {
		if fes := FieldErrors(err); len(fes) > 0 {
			m.renderApply(w, r, http.StatusUnprocessableEntity, f, fes)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/applications/"+strconv.FormatInt(app.ID, 10)+"?ok=submitted", http.StatusSeeOther)
}

// formFile reads the uploaded file named key, nil when none was sent.
func formFile(r *http.Request, key string) (*Upload, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	fh := r.MultipartForm.File[key]
	if len(fh) == 0 || fh[0].Size == 0 {
		return nil, nil
	}
	if fh[0].Size > MaxFileSize {
		// Let the size check report it, without reading it all.
		return &Upload{Name: fh[0].Filename, Data: make([]byte, MaxFileSize+1)}, nil
	}
	f, err := fh[0].Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return &Upload{Name: fh[0].Filename, Data: data}, nil
}

// listData is the list page.
type listData struct {
	Rows   []Application
	Q      string
	Status string
	Staff  bool
	Pager  web.Pager
}

// StatusName is for the templates.
func (listData) StatusName(s Status) string { return s.Name() }

// Statuses lists the statuses a list may be filtered by.
func (listData) Statuses() []Status {
	return []Status{StatusSubmitted, StatusIntakeCorrection, StatusReview, StatusCorrection, StatusDecision,
		StatusApproved, StatusRejected, StatusRefused, StatusWithdrawn, StatusRevoked}
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	st := Status(r.URL.Query().Get("status"))
	if r.URL.Query().Get("format") == "xlsx" && a.IsStaff() {
		m.export(w, r, a, q, st)
		return
	}
	after, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	rows, pg, err := m.List(r.Context(), a, Query{Q: q, Status: st, Limit: pageSize, After: after})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "casework/list.html", listData{Rows: rows, Q: q, Status: string(st), Staff: a.IsStaff(),
		Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String())})
}

// export writes the staff list as an Excel workbook (at most 10 000 rows).
func (m *Module) export(w http.ResponseWriter, r *http.Request, a *auth.Actor, q string, st Status) {
	sheet := xlsx.Sheet{Name: "办件", Header: []string{"办件编号", "事项", "申请人", "代办人", "受理地", "状态", "提交时间", "办结时间", "决定", "理由"}}
	var after store.Cursor
	for n := 0; n < 10000; n += 200 {
		rows, pg, err := m.List(r.Context(), a, Query{Q: q, Status: st, Limit: 200, After: after})
		if err != nil {
			m.fail(w, r, err)
			return
		}
		for _, app := range rows {
			var fin any
			if !app.FinishedAt.IsZero() {
				fin = app.FinishedAt
			}
			sheet.Rows = append(sheet.Rows, []any{app.Number, app.ItemName, publicName(app.ApplicantKind, app.ApplicantName),
				app.AgentName, app.IntakeRegion, app.Status.Name(), app.SubmittedAt, fin, app.Decision, app.DecisionReason})
		}
		if after = pg.Next; after.IsZero() {
			break
		}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "applications.xlsx"}))
	if err := xlsx.Write(w, sheet); err != nil {
		m.s.Logger().ErrorContext(r.Context(), "casework export", "err", err)
	}
}

// viewData is the application page.
type viewData struct {
	*View
	Instance   *flow.Instance
	History    []flow.HistoryEntry
	Def        *flow.Definition
	Can        map[string]bool
	Flash      string
	Error      string
	Problems   []*FieldError
	Department string
	CertToken  string
	Paused     bool
	ruleFields []catalog.FormField // the item version's fields, naming rule inputs
}

// StatusName is for the templates.
func (viewData) StatusName(s Status) string { return s.Name() }

// historyInputNames name the inputs the application's workflow records.
var historyInputNames = map[string]string{"rule_version": "规则版本", "materials": "补正材料", "due": "补交期限",
	"reason": "理由", "opinion": "意见", "result": "结果"}

// HistoryInputs lists a history entry's inputs for people: the rule's
// inputs as labelled, masked values, the others under their names.
func (d viewData) HistoryInputs(in map[string]string) []FieldValue {
	var out []FieldValue
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "rule_inputs" {
			out = append(out, RuleInputView(d.ruleFields, in[k])...)
			continue
		}
		name, ok := historyInputNames[k]
		if !ok {
			name = k
		}
		out = append(out, FieldValue{Key: k, Label: name, Value: pii.MaskText(in[k])})
	}
	return out
}

// ActionName names a history action in Chinese.
func (d viewData) ActionName(key string) string {
	if d.Def != nil {
		if a := d.Def.Action(key); a != nil {
			return a.Name
		}
	}
	switch key {
	case "start":
		return "提交申请"
	case "escalate":
		return "督办"
	case "extension_request":
		return "申请延期"
	case "extension_decide":
		return "延期审批"
	}
	if d.Def != nil {
		return d.Def.ActionLabel(key, "zh") // the engine's own entries (督办单, 催办, …)
	}
	return key
}

func (m *Module) viewPage(w http.ResponseWriter, r *http.Request) {
	m.renderView(w, r, http.StatusOK, viewData{Flash: flashKey(r.URL.Query().Get("ok"))})
}

func flashKey(v string) string {
	switch v {
	case "submitted", "acted":
		return "casework.flash." + v
	}
	return ""
}

func pathID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

func (m *Module) renderView(w http.ResponseWriter, r *http.Request, status int, d viewData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	app, err := m.Get(ctx, a, pathID(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if d.View, err = m.view(ctx, app); err != nil {
		m.fail(w, r, err)
		return
	}
	d.Department = m.departmentName(ctx, app.DepartmentID)
	if it, err := m.d.Catalog.Version(ctx, app.ItemCode, app.ItemVersion); err == nil {
		d.ruleFields = it.Fields
	}
	if d.Instance, err = m.d.Flow.Instance(ctx, app.InstanceID); err == nil {
		d.Def, _ = m.d.Flow.Definition(ctx, d.Instance.DefinitionKey, d.Instance.DefinitionVersion)
		d.Paused = d.Instance.Status == flow.StatusPaused
	}
	d.History, _ = m.d.Flow.History(ctx, app.InstanceID)
	if app.CertificateID != 0 {
		if c, err := m.d.Certs.Get(ctx, app.CertificateID, a); err == nil {
			d.CertToken = c.Token
		}
	}
	d.Can = m.allowed(a, app)
	m.s.RenderStatus(w, r, status, "casework/view.html", d)
}

// allowed lists the page actions a may take on app now.
func (m *Module) allowed(a *auth.Actor, app *Application) map[string]bool {
	can := map[string]bool{}
	if m.d.Policy.Authorize(a, auth.ActAct, app.object()) != nil {
		return can
	}
	owner := a.HasAny(publicRoles...) && (a.UserID == app.ApplicantUserID)
	intake := a.HasAny(auth.RoleClerk, auth.RoleHandler)
	switch app.Status {
	case StatusSubmitted:
		can["accept"], can["refuse"], can["correction"] = intake, intake, intake
		can["accept_shortfall"] = intake && app.ShortfallOpen
	case StatusReview:
		can["pass"], can["correction"] = a.Has(auth.RoleHandler), a.Has(auth.RoleHandler)
	case StatusDecision:
		can["decide"] = a.Has(auth.RoleApprover)
	case StatusIntakeCorrection, StatusCorrection:
		can["resubmit"] = owner || a.Has(auth.RoleClerk)
	}
	if !app.Status.Finished() {
		can["withdraw"] = owner
		can["supply"] = app.ShortfallOpen && (owner || a.Has(auth.RoleClerk))
	}
	if app.VerificationInstanceID != 0 && app.VerificationResult == "" {
		can["verify"] = a.HasAny(auth.RoleHandler, auth.RoleApprover)
		can["refute"] = a.Has(auth.RoleApprover)
	}
	return can
}

func (m *Module) actSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if web.IsTooLarge(err) {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		}
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	if r.PostForm == nil {
		if !m.s.ParseForm(w, r) {
			return
		}
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return
	}
	id := pathID(r)
	f := r.PostForm
	version, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	reason := f.Get("reason")
	var err error
	switch f.Get("do") {
	case "accept":
		_, err = m.Accept(ctx, a, id, reason)
	case "accept_shortfall":
		_, err = m.AcceptWithShortfall(ctx, a, id, f.Get("due"), reason)
	case "refuse":
		_, err = m.Refuse(ctx, a, id, reason)
	case "correction":
		_, err = m.RequestCorrection(ctx, a, id, f.Get("materials"), reason)
	case "pass":
		_, err = m.Pass(ctx, a, id, f.Get("opinion"))
	case "approve", "reject":
		_, err = m.Decide(ctx, a, id, Decision{Approve: f.Get("do") == "approve", Reason: reason, Version: version})
	case "withdraw":
		_, err = m.Withdraw(ctx, a, id, reason)
	case "verify_true", "verify_false":
		_, err = m.RecordVerification(ctx, a, id, f.Get("do") == "verify_true", reason)
	case "resubmit", "supply":
		files := map[int]*Upload{}
		if r.MultipartForm != nil {
			for key := range r.MultipartForm.File {
				pos, perr := strconv.Atoi(strings.TrimPrefix(key, "file_"))
				if perr != nil || !strings.HasPrefix(key, "file_") {
					continue
				}
				up, ferr := formFile(r, key)
				if ferr != nil {
					m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
					return
				}
				if up != nil {
					files[pos] = up
				}
			}
		}
		if f.Get("do") == "resubmit" {
			_, err = m.Resubmit(ctx, a, id, files, reason)
		} else {
			err = &FieldError{Path: "file", Message: "请选择要补交的文件 (choose the file to supply)"}
			for pos, up := range files {
				_, err = m.SupplyShortfall(ctx, a, id, pos, up)
				break
			}
		}
	default:
		err = ErrState
	}
	if err != nil {
		m.failOnView(w, r, err)
		return
	}
	http.Redirect(w, r, "/applications/"+strconv.FormatInt(id, 10)+"?ok=acted", http.StatusSeeOther)
}

// failOnView shows a refused action on the application page.
func (m *Module) failOnView(w http.ResponseWriter, r *http.Request, err error) {
	if fes := FieldErrors(err); len(fes) > 0 {
		m.renderView(w, r, http.StatusUnprocessableEntity, viewData{Problems: fes})
		return
	}
	switch status := web.StatusOf(err); status {
	case http.StatusConflict:
		key := "casework.error.state"
		if errors.Is(err, ErrShortfall) {
			key = "casework.error.shortfall"
		}
		m.renderView(w, r, status, viewData{Error: key})
	case http.StatusForbidden:
		m.renderView(w, r, status, viewData{Error: "casework.error.forbidden"})
	default:
		m.fail(w, r, err)
	}
}

func (m *Module) serveFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	app, err := m.Get(ctx, auth.FromContext(ctx), pathID(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	sha := r.PathValue("sha")
	var name string
	for _, mt := range app.Materials {
		if mt.File != nil && mt.File.SHA256 == sha {
			name = mt.File.Name
		}
	}
	if name == "" {
		m.fail(w, r, ErrNotFound)
		return
	}
	data, ct, err := m.file(ctx, sha)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

// creditData is the serious-violations list page.
type creditData struct {
	Entries  []ListEntry
	Problems []*FieldError
	Form     url.Values
	Flash    bool
}

func (m *Module) creditPage(w http.ResponseWriter, r *http.Request) {
	m.renderCredit(w, r, http.StatusOK, creditData{Flash: r.URL.Query().Get("ok") == "1"})
}

func (m *Module) renderCredit(w http.ResponseWriter, r *http.Request, status int, d creditData) {
	var err error
	if d.Entries, err = m.credits.Entries(r.Context(), 200); err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.RenderStatus(w, r, status, "casework/credit.html", d)
}

func (m *Module) creditSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	f := r.PostForm
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if id, _ := strconv.ParseInt(f.Get("unlist"), 10, 64); id > 0 {
			return m.credits.Unlist(ctx, tx, id, a)
		}
		s := Subject{Kind: ApplicantKind(f.Get("kind")), Name: f.Get("name"), USCC: f.Get("uscc"), IDNumber: f.Get("id_number")}
		_, err := m.credits.List(ctx, tx, s, f.Get("reason"), a)
		return err
	})
	if fes := FieldErrors(err); len(fes) > 0 {
		m.renderCredit(w, r, http.StatusUnprocessableEntity, creditData{Problems: fes, Form: f})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/applications/credit-list?ok=1", http.StatusSeeOther)
}

// fail answers an error that leaves no page to show.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.StatusOf(err)
	if errors.Is(err, catalog.ErrNotFound) {
		status = http.StatusNotFound
	}
	if status == http.StatusInternalServerError {
		m.s.Logger().ErrorContext(r.Context(), "casework", "err", err, "route", r.Pattern)
	}
	m.s.Error(w, r, status, "")
}
