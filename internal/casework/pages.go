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
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
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
	// Reports are, for a material satisfied by the credit report, the
	// applicant's reports that satisfy it (newest first); ReportMaterial
	// marks such materials.
	Reports        map[int][]CreditReport
	ReportMaterial map[int]bool
	Dates          map[int]string      // shortfall material position → the date it would be due by
	Kept           map[string]*FileRef // file input → a file already received (kept across a refusal or in a draft)
	Flash          string
	DraftAt        time.Time                // when the draft shown was saved
	Prefilled      map[string]bool          // form inputs filled from the verified account
	Steps          bool                     // long form: shown step by step on a phone
	Renews         *certificate.Certificate // the certificate this application renews (延续), from ?renew=
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
	m.renderApply(w, r, http.StatusOK, nil, nil, nil)
}

// renderApply shows the form: form and kept as last posted (a refusal),
// or else the actor's draft, or else what the verified account says.
func (m *Module) renderApply(w http.ResponseWriter, r *http.Request, status int, form url.Values, probs []*FieldError,
	kept map[string]*FileRef) {
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
		Held: map[int]string{}, Reports: map[int][]CreditReport{}, ReportMaterial: map[int]bool{}, Kept: kept, Prefilled: map[string]bool{}, Steps: len(it.Fields)+len(it.Materials) > 12,
		Dates: map[int]string{}}
	for i, mt := range it.Materials {
		if mt.Class == catalog.ClassShortfall {
			d.Dates[i] = m.supplyDate(mt.SupplyDays())
		}
	}
	if r.URL.Query().Get("ok") == "draft" {
		d.Flash = "casework.flash.draft"
	}
	if form == nil {
		d.Form = url.Values{}
		if dr, err := m.loadDraft(ctx, a.UserID, it.Code); err == nil && dr != nil {
			d.Form, d.DraftAt, d.Kept = dr.Form, dr.SavedAt, m.keptFromForm(ctx, a.UserID, dr.Form)
		} else {
			m.prefill(ctx, a, it, d.Form, d.Prefilled)
		}
	}
	if len(replaced) > 0 {
		d.Commitment = CommitmentText(it, a.Name, replaced)
	}
	renew := r.URL.Query().Get("renew")
	if renew == "" {
		renew = d.Form.Get("renew")
	}
	if id, err := strconv.ParseInt(renew, 10, 64); err == nil && id > 0 {
		if c, err := m.d.Certs.Get(ctx, id, a); err == nil && c.TypeCode == it.CertificateType {
			d.Renews = c
		}
	}
	var p problems
	in := &SubmitInput{}
	if d.Clerk {
		in.Applicant = clerkApplicant(d.Form)
	}
	if who, err := m.resolveApplicant(ctx, a, in, &p); err == nil && len(p) == 0 {
		for i, mt := range it.Materials {
			if mt.Class != catalog.ClassShared {
				continue
			}
			if rule, ok := m.reportRule(&mt); ok {
				d.ReportMaterial[i] = true
				if who.kind == Enterprise {
					d.Reports[i] = m.reportChoices(ctx, who.uscc, rule, m.now())
				}
				continue
			}
			if c, err := m.d.Certs.ValidFor(ctx, m.d.DB, who.holder().HolderRef, mt.CertificateType, m.now()); err == nil {
				d.Held[i] = c.Number
			}
		}
	}
	m.s.RenderStatus(w, r, status, "casework/apply.html", d)
}

// clerkApplicant reads the applicant a window clerk named on the form.
func clerkApplicant(f url.Values) *ApplicantInput {
	return &ApplicantInput{Kind: ApplicantKind(f.Get("applicant_kind")), Name: f.Get("applicant_name"),
		IDNumber: f.Get("applicant_id"), USCC: f.Get("applicant_uscc")}
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
	// Files: a new upload, or one kept from an earlier refusal or draft.
	uploads := map[string]*Upload{}
	for i, mt := range it.Materials {
		keys := []string{fmt.Sprintf("file_%d", i)}
		if mt.Class == catalog.ClassShared {
			keys = append(keys, fmt.Sprintf("consent_scan_%d", i))
		}
		for _, key := range keys {
			up, err := formFile(r, key)
			if err != nil {
				m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
				return
			}
			if up == nil {
				if up, err = m.keptUpload(ctx, a.UserID, f.Get("kept_"+key)); err != nil {
					m.fail(w, r, err)
					return
				}
			}
			if up != nil {
				uploads[key] = up
			}
		}
	}
	if f.Get("draft") == "1" {
		kept := m.keepUploads(ctx, a.UserID, uploads)
		for key, ref := range kept {
			f.Set("kept_"+key, ref.SHA256)
		}
		if err := m.saveDraft(ctx, a.UserID, it.Code, f); err != nil {
			m.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/apply/"+it.Code+"?ok=draft", http.StatusSeeOther)
		return
	}
	in := SubmitInput{ItemCode: it.Code, Form: map[string]string{}, ShortfallDue: f.Get("shortfall_due"),
		Sign: f.Get("sign") == "1", Signer: f.Get("signer"), Delivery: Delivery(f.Get("delivery")),
		DeliveryAddress: f.Get("delivery_address"), EnterpriseName: f.Get("enterprise_name")}
	in.Renews, _ = strconv.ParseInt(f.Get("renew"), 10, 64)
	known := m.accountNumbers(ctx, a)
	for _, fld := range it.Fields {
		if v := formValue(f, fld); v != "" {
			in.Form[fld.Key] = known.restore(fld.Type, v)
		}
	}
	if a.Has(auth.RoleClerk) {
		in.Applicant = clerkApplicant(f)
	}
	for i, mt := range it.Materials {
		mi := MaterialInput{Name: mt.Name, Consent: f.Get(fmt.Sprintf("consent_%d", i)) == "1",
			Shortfall: f.Get(fmt.Sprintf("shortfall_%d", i)) == "1", Commitment: f.Get(fmt.Sprintf("commit_%d", i)) == "1",
			File: uploads[fmt.Sprintf("file_%d", i)], CreditReport: f.Get(fmt.Sprintf("report_%d", i))}
		if mt.Class == catalog.ClassShared && a.Has(auth.RoleClerk) {
			mi.ConsentMethod = ConsentMethod(f.Get(fmt.Sprintf("consent_method_%d", i)))
			mi.ConsentScan = uploads[fmt.Sprintf("consent_scan_%d", i)]
		}
		in.Materials = append(in.Materials, mi)
	}
	app, err := m.Submit(ctx, a, in)
	if err != nil {
		if fes := FieldErrors(err); len(fes) > 0 {
			// Keep what was received, so a refusal costs no second upload.
			m.renderApply(w, r, http.StatusUnprocessableEntity, f, fes, m.keepUploads(ctx, a.UserID, uploads))
			return
		}
		m.fail(w, r, err)
		return
	}
	m.deleteDraft(ctx, a.UserID, it.Code)
	ok := "submitted"
	switch {
	case app.Status == StatusApproved && app.IssuancePending():
		ok = "approved_pending"
	case app.Status == StatusApproved:
		ok = "approved"
	}
	http.Redirect(w, r, "/applications/"+strconv.FormatInt(app.ID, 10)+"?ok="+ok, http.StatusSeeOther)
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
	return []Status{StatusSubmitted, StatusForwarded, StatusIntakeCorrection, StatusReview, StatusCorrection, StatusDecision,
		StatusSpecial, StatusSuspended, StatusApproved, StatusRejected, StatusRefused, StatusWithdrawn, StatusRevoked, StatusTerminated}
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
	// CertLink is where 查看证照 goes: the certificate's page for those
	// who may open it, else its public verification page (a window clerk
	// reads the application but not another department's certificates).
	CertLink string
	// Notices are the documents issued on the application (受理通知书 …).
	Notices []NoticeRef
	// Procedures are the excluded procedures a handler may start.
	Procedures []string
	// Issuance is the 待发证 task while the certificate waits for it.
	Issuance *flow.Instance
	// Blockers say why a decision cannot be made now, shown before the
	// buttons (which they disable); Warnings what the next step should know.
	Blockers []string
	Warnings []string
	// Stages are the case as the applicant follows it: each stage with its
	// date and documents.
	Stages     []Stage
	Paused     bool
	ruleFields []catalog.FormField // the item version's fields, naming rule inputs
}

// StatusName is for the templates.
func (viewData) StatusName(s Status) string { return s.Name() }

// historyInputNames name the inputs the application's workflow records.
var historyInputNames = map[string]string{"rule_version": "规则版本", "materials": "补正材料", "due": "补交期限",
	"reason": "理由", "opinion": "意见", "result": "结果", "holder_name": "持证主体", "holder_code": "持证主体代码"}

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
	case "issuance_start":
		return "待发证"
	case "issuance_issue":
		return "发放电子证照"
	case "issuance_escalate":
		return "督办（待发证）"
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
	q := r.URL.Query()
	m.renderView(w, r, http.StatusOK, viewData{Flash: flashKey(q.Get("ok")), Error: errorKey(q.Get("err"))})
}

func flashKey(v string) string {
	switch v {
	case "submitted", "acted", "approved", "approved_pending", "issued":
		return "casework.flash." + v
	}
	return ""
}

// The refusals an action on the application page is redirected with
// (?err=), each a message key: the page says why after the redirect, so a
// refresh never posts again.
var actErrors = map[string]bool{"state": true, "shortfall": true, "forbidden": true, "conflict": true,
	"invalid": true, "reason": true, "opinion": true, "materials": true, "due": true, "file": true, "holder_name": true,
	"holder_code": true, "correction_once": true, "procedure": true, "days": true}

func errorKey(v string) string {
	if actErrors[v] {
		return "casework.error." + v
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
			d.CertToken, d.CertLink = c.Token, "/certificates/"+strconv.FormatInt(c.ID, 10)
		} else if c, err := m.d.Certs.Get(ctx, app.CertificateID, auth.System()); err == nil {
			// Read as the application's reader: only its public face.
			d.CertToken, d.CertLink = c.Token, "/verify/"+c.Token
		}
	}
	if app.IssuanceInstanceID != 0 {
		if app.IssuancePending() {
			d.Issuance, _ = m.d.Flow.Instance(ctx, app.IssuanceInstanceID)
		}
		if h, err := m.d.Flow.History(ctx, app.IssuanceInstanceID); err == nil {
			for i := range h {
				h[i].Action = "issuance_" + h[i].Action // named apart from the application's own steps
			}
			d.History = append(d.History, h...)
			slices.SortStableFunc(d.History, func(x, y flow.HistoryEntry) int { return x.At.Compare(y.At) })
		}
	}
	if m.d.Notices != nil {
		if d.Notices, err = m.d.Notices.ForApplication(ctx, app.ID); err != nil {
			m.fail(w, r, err)
			return
		}
	}
	d.Blockers, d.Warnings = blockers(app, d.Instance)
	d.Stages = stages(app, d.History, d.Issuance, d.CertLink)
	d.Can = m.allowed(a, app)
	d.Procedures = ExcludedProcedures
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
	case StatusSubmitted, StatusForwarded:
		if IsCrossRegion(app) {
			// 异地代收代办: the receiving window only forwards; the owning
			// department takes it in once it arrives.
			intake = app.Status == StatusForwarded && a.HasAny(auth.RoleHandler) && slices.Contains(a.DepartmentIDs, app.DepartmentID)
		}
		can["accept"], can["refuse"], can["correction"] = intake, intake, intake
		can["accept_shortfall"] = intake && app.ShortfallOpen
	case StatusReview:
		can["pass"], can["correction"] = a.Has(auth.RoleHandler), a.Has(auth.RoleHandler)
		can["special"], can["suspend"], can["terminate"] = a.Has(auth.RoleHandler), a.Has(auth.RoleApprover), a.Has(auth.RoleApprover)
	case StatusDecision:
		can["decide"] = a.Has(auth.RoleApprover)
		can["special"], can["suspend"], can["terminate"] = a.Has(auth.RoleHandler), a.Has(auth.RoleApprover), a.Has(auth.RoleApprover)
	case StatusSpecial:
		can["end_special"], can["terminate"] = a.Has(auth.RoleHandler), a.Has(auth.RoleApprover)
	case StatusSuspended:
		can["resume"], can["terminate"] = a.HasAny(auth.RoleHandler, auth.RoleApprover), a.Has(auth.RoleApprover)
	case StatusIntakeCorrection, StatusCorrection:
		can["resubmit"] = owner || a.Has(auth.RoleClerk)
	}
	if !app.Status.Finished() {
		can["withdraw"] = owner
		can["supply"] = app.ShortfallOpen && (owner || a.Has(auth.RoleClerk))
	}
	if app.IssuancePending() {
		can["issue"] = a.HasAny(auth.RoleHandler, auth.RoleApprover)
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
	case "start_special":
		days, _ := strconv.Atoi(strings.TrimSpace(f.Get("days")))
		_, err = m.StartSpecial(ctx, a, id, f.Get("procedure"), days, reason)
	case "end_special":
		_, err = m.EndSpecial(ctx, a, id, reason)
	case "suspend":
		_, err = m.Suspend(ctx, a, id, reason)
	case "resume":
		_, err = m.Resume(ctx, a, id, reason)
	case "terminate":
		_, err = m.Terminate(ctx, a, id, reason)
	case "verify_true", "verify_false":
		_, err = m.RecordVerification(ctx, a, id, f.Get("do") == "verify_true", reason)
	case "issue":
		_, err = m.IssuePending(ctx, a, id, IssueInput{HolderName: f.Get("holder_name"), HolderCode: f.Get("holder_code")})
		if err == nil {
			http.Redirect(w, r, "/applications/"+strconv.FormatInt(id, 10)+"?ok=issued", http.StatusSeeOther)
			return
		}
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

// failOnView answers a refused action with a redirect to the application
// page naming the refusal (?err=), so that the page says why and a refresh
// does not post the form again; errors that leave no page are shown as
// such.
func (m *Module) failOnView(w http.ResponseWriter, r *http.Request, err error) {
	// An application out of the actor's scope is not found, whatever the
	// action's refusal was.
	if _, gerr := m.Get(r.Context(), auth.FromContext(r.Context()), pathID(r)); gerr != nil {
		m.fail(w, r, gerr)
		return
	}
	key := ""
	if fes := FieldErrors(err); len(fes) > 0 {
		key = "invalid"
		p := strings.SplitN(fes[0].Path, "[", 2)[0]
		if p == "note" {
			p = "reason"
		}
		if actErrors[p] {
			key = p
		}
	} else {
		switch web.StatusOf(err) {
		case http.StatusConflict:
			key = "state"
			switch {
			case errors.Is(err, ErrShortfall):
				key = "shortfall"
			case errors.Is(err, ErrState):
			case errors.As(err, new(conflict)):
				key = "conflict"
			}
		case http.StatusForbidden:
			key = "forbidden"
		default:
			m.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, "/applications/"+strconv.Itoa(int(pathID(r)))+"?err="+key, http.StatusSeeOther)
}

// blockers lists what prevents a decision on app now and what the
// approver should know before deciding, for the page to show before the
// buttons.
func blockers(app *Application, inst *flow.Instance) (block, warn []string) {
	if app.Status.Finished() {
		return nil, nil
	}
	var missing []string
	for _, mt := range app.Materials {
		if mt.Missing() {
			missing = append(missing, mt.Name)
		}
	}
	if app.ShortfallOpen && len(missing) > 0 {
		msg := "容缺材料尚未补齐（" + strings.Join(missing, "、") + "，补交期限" + app.ShortfallDue.In(cst).Format("2006年1月2日") +
			"），补齐前不能准予许可"
		if app.Status == StatusDecision {
			block = append(block, msg)
		} else {
			warn = append(warn, msg)
		}
		if inst != nil && !inst.DueAt.IsZero() && app.ShortfallDue.After(inst.DueAt) {
			warn = append(warn, "容缺材料补交期限晚于办理时限（"+inst.DueAt.In(cst).Format("2006年1月2日")+
				"），请督促申请人尽早补交或依法延期")
		}
	}
	return block, warn
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
		if mt.ConsentFile != nil && mt.ConsentFile.SHA256 == sha {
			name = mt.ConsentFile.Name
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

// Stage is one stage of an application as its applicant follows it.
type Stage struct {
	Name  string
	State string // done, current, todo, skipped
	At    time.Time
	Due   time.Time // for the current stage, when it is due
	Docs  []StageDoc
}

// StageDoc is a document of a stage: a link, or a text when there is none.
type StageDoc struct {
	Label string
	Link  string
}

// stages lays the application out as 提交 → 受理 → 审查 → 决定 → 发证, each
// with the date it was done (from the history) and its documents.
func stages(app *Application, hist []flow.HistoryEntry, issuing *flow.Instance, certLink string) []Stage {
	at := func(actions ...string) time.Time {
		var t time.Time
		for _, h := range hist {
			if slices.Contains(actions, h.Action) {
				t = h.At
			}
		}
		return t
	}
	submit := Stage{Name: "提交申请", State: "done", At: app.SubmittedAt}
	n := 0
	for _, mt := range app.Materials {
		if mt.Provision != ProvideNone {
			n++
		}
	}
	submit.Docs = append(submit.Docs, StageDoc{Label: fmt.Sprintf("申请材料 %d 项", n), Link: "#mat-h"})
	if app.Commitment != nil {
		submit.Docs = append(submit.Docs, StageDoc{Label: "告知承诺书（已签署）"})
	}
	intake := Stage{Name: "受理", At: at("accept", "accept_shortfall", "refuse")}
	review := Stage{Name: "审查", At: at("pass", "instant_approve")}
	decide := Stage{Name: "决定", At: app.DecidedAt}
	issue := Stage{Name: "发证"}
	if app.CorrectionNote != "" {
		review.Docs = append(review.Docs, StageDoc{Label: "补正告知：" + app.CorrectionNote})
	}
	if app.ShortfallOpen {
		intake.Docs = append(intake.Docs, StageDoc{Label: "容缺受理：待补交材料，最迟 " + app.ShortfallDue.In(cst).Format("2006-01-02")})
	}
	switch {
	case app.Status == StatusRefused:
		intake.State, intake.Docs = "done", append(intake.Docs, StageDoc{Label: "不予受理：" + app.DecisionReason})
		review.State, decide.State, issue.State = "skipped", "skipped", "skipped"
	case app.Status == StatusWithdrawn:
		intake.State, review.State, decide.State, issue.State = "skipped", "skipped", "skipped", "skipped"
		if !intake.At.IsZero() {
			intake.State = "done"
		}
	case app.Status == StatusSubmitted || app.Status == StatusIntakeCorrection:
		intake.State, review.State, decide.State, issue.State = "current", "todo", "todo", "todo"
	case app.Status == StatusReview || app.Status == StatusCorrection:
		intake.State, review.State, decide.State, issue.State = "done", "current", "todo", "todo"
	case app.Status == StatusDecision:
		intake.State, review.State, decide.State, issue.State = "done", "done", "current", "todo"
	default: // decided
		intake.State, review.State, decide.State = "done", "done", "done"
		decide.Docs = append(decide.Docs, StageDoc{Label: app.Status.Name() + "：" + app.DecisionReason})
		switch {
		case app.CertificateID != 0:
			issue.State, issue.Docs = "done", []StageDoc{{Label: "电子证照", Link: certLink}}
			issue.At = app.DecidedAt
		case issuing != nil:
			issue.State, issue.Due = "current", issuing.StateDueAt
			issue.Docs = []StageDoc{{Label: "待发证：发证部门确认持证主体后发放"}}
		default:
			issue.State = "skipped"
		}
		if app.Status != StatusApproved {
			issue.State = "skipped"
		}
	}
	return []Stage{submit, intake, review, decide, issue}
}
