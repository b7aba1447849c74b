package enforcement

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

//go:embed enforcement.css
var css []byte

const pageSize = 30

// Mount registers the pages and the API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("enforcement", loc); err != nil {
		return fmt.Errorf("enforcement: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "enforcement"); err != nil {
		return fmt.Errorf("enforcement: %w", err)
	}
	read := s.Require(auth.RoleInspector, auth.RoleHandler, auth.RoleApprover, auth.RoleLegal, auth.RoleSupervisor, auth.RoleAdmin)
	act := s.Require(officers...)
	field := s.Require(auth.RoleInspector, auth.RoleHandler)
	s.Handle("GET /enforcement/cases", read(http.HandlerFunc(m.listPage)))
	s.Handle("GET /enforcement/export", read(http.HandlerFunc(m.export)))
	s.Handle("GET /enforcement/leads/new", field(http.HandlerFunc(m.leadForm)))
	s.Handle("POST /enforcement/leads", field(http.HandlerFunc(m.leadSubmit)))
	s.Handle("GET /enforcement/simple/new", field(http.HandlerFunc(m.simpleForm)))
	s.Handle("POST /enforcement/simple", field(http.HandlerFunc(m.simpleSubmit)))
	s.Handle("GET /enforcement/cases/{case}", s.Require()(http.HandlerFunc(m.casePage)))
	s.Handle("GET /enforcement/cases/{case}/documents/{doc}", s.Require()(http.HandlerFunc(m.documentPage)))
	s.Handle("GET /enforcement/cases/{case}/evidence/{eid}", act(http.HandlerFunc(m.evidenceFile)))
	s.Handle("POST /enforcement/cases/{case}/open", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/decline", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/intended", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/actions", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/statements", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/revision", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/decision", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/extensions", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/extension-decisions", act(http.HandlerFunc(m.step)))
	s.Handle("POST /enforcement/cases/{case}/evidence", act(web.MaxBytes(MaxEvidence+1<<20)(http.HandlerFunc(m.evidenceSubmit))))
	s.HandleFunc("GET /enforcement/assets/enforcement.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(css)
	})
	s.Handle("GET /enforcement/mine", s.Require(auth.RoleEnterprise)(http.HandlerFunc(m.minePage)))
	m.registerAPI(s)
	return nil
}

// Nav links officers to the cases and a business to its own.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	switch {
	case a == nil:
		return nil
	case a.Has(auth.RoleEnterprise):
		return []web.NavLink{{Path: "/enforcement/mine", Key: "enforcement.nav.mine"}}
	case a.HasAny(auth.RoleInspector, auth.RoleHandler, auth.RoleApprover, auth.RoleLegal, auth.RoleSupervisor):
		return []web.NavLink{{Path: "/enforcement/cases", Key: "enforcement.nav.cases"}}
	}
	return nil
}

type listData struct {
	Items     []*Case
	Pager     web.Pager
	Status    string
	Procedure string
	Q         string
	Statuses  []Status
	Field     bool
	Export    string
}

func (m *Module) filter(r *http.Request) (ListFilter, error) {
	q := r.URL.Query()
	f := ListFilter{Status: Status(q.Get("status")), Procedure: Procedure(q.Get("procedure")), Query: q.Get("q"), Limit: pageSize}
	if f.Status != "" && !slices.Contains(allStatuses, f.Status) || f.Procedure != "" && f.Procedure != Ordinary && f.Procedure != Simple {
		return f, &valid.FieldError{Path: "status", Message: "筛选条件无效 (bad filter)"}
	}
	if err := valid.Text("q", f.Query); err != nil || len(f.Query) > 60 {
		return f, &valid.FieldError{Path: "q", Message: "检索词无效 (bad query)"}
	}
	c, err := web.Cursor(r, "after")
	if err != nil {
		return f, &valid.FieldError{Path: "after", Message: "游标无效 (bad cursor)"}
	}
	f.Cursor = c
	return f, nil
}

var allStatuses = []Status{StatusLead, StatusNotOpened, StatusOpen, StatusDecided, StatusClosed}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	f, err := m.filter(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	items, next, err := m.List(ctx, a, f)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.decorate(ctx, i18n.LangFrom(ctx), items...)
	nx := ""
	if !next.IsZero() {
		nx = next.String()
	}
	qs := url.Values{"status": {string(f.Status)}, "procedure": {string(f.Procedure)}, "q": {f.Query}}
	m.s.Render(w, r, "enforcement/list.html", listData{Items: items, Pager: web.KeysetPager(r, "after", len(items), nx),
		Status: string(f.Status), Procedure: string(f.Procedure), Q: f.Query, Statuses: allStatuses,
		Field: a.HasAny(auth.RoleInspector, auth.RoleHandler), Export: "/enforcement/export?" + qs.Encode()})
}

func (m *Module) export(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	f, err := m.filter(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	f.Limit = 500
	sheet := xlsx.Sheet{Name: "行政处罚案件", Header: []string{"案号 Number", "程序 Procedure", "状态 Status", "当事人 Party",
		"统一社会信用代码 USCC", "违法事项 Matter", "立案日期 Opened", "裁量阶次 Level", "罚款(元) Fine (yuan)", "偏离建议 Departed",
		"决定书文号 Decision", "决定日期 Decided"}}
	sheet.Stream = func(emit func([]any) error) error {
		for {
			items, next, err := m.List(ctx, a, f)
			if err != nil {
				return err
			}
			for _, c := range items {
				row := []any{c.Number, procedureName[c.Procedure], statusName[c.Status], c.Party.Name, c.Party.USCC, c.MatterName, c.OpenedOn}
				if d := c.Decision; d != nil {
					row = append(row, levelName[d.Level], d.FineYuan(), map[bool]string{true: "是", false: "否"}[d.Departed], d.No, d.On)
				}
				if err := emit(row); err != nil {
					return err
				}
			}
			if next.IsZero() {
				return nil
			}
			f.Cursor = next
		}
	}
	if err := xlsx.Serve(w, "行政处罚案件", sheet); err != nil {
		m.s.Logger().ErrorContext(ctx, "enforcement: export failed", "err", err)
	}
}

var procedureName = map[Procedure]string{Ordinary: "普通程序", Simple: "简易程序"}
var statusName = map[Status]string{StatusLead: "线索核查", StatusNotOpened: "不予立案", StatusOpen: "办理中",
	StatusDecided: "已决定", StatusClosed: "已结案"}
var levelName = map[discretion.Level]string{discretion.LevelNone: "不予处罚", discretion.LevelReduced: "减轻处罚",
	discretion.LevelLighter: "从轻处罚", discretion.LevelNormal: "一般处罚", discretion.LevelHeavier: "从重处罚"}

// LevelName returns the Chinese name of a level, for templates.
func LevelName(l discretion.Level) string { return levelName[l] }

// StatusName returns the Chinese name of the case's status.
func (c *Case) StatusName() string { return statusName[c.Status] }

// ProcedureName returns the Chinese name of the case's procedure.
func (c *Case) ProcedureName() string { return procedureName[c.Procedure] }

type formData struct {
	Matters  []Matter
	Sources  []string
	Problems map[string]string
	Form     url.Values
}

func (m *Module) leadForm(w http.ResponseWriter, r *http.Request) {
	m.s.Render(w, r, "enforcement/lead.html", formData{Matters: m.d.Rules.Matters, Sources: Sources, Form: url.Values{}})
}

func problems(err error) map[string]string {
	out := map[string]string{}
	for _, f := range valid.Fields(err) {
		out[f.Path] = f.Message
	}
	return out
}

func partyOf(f url.Values) Party {
	return Party{Kind: PartyKind(f.Get("party_kind")), Name: strings.TrimSpace(f.Get("party_name")),
		USCC: strings.TrimSpace(f.Get("party_uscc")), IDNumber: strings.TrimSpace(f.Get("party_id"))}
}

func factsOf(f url.Values) map[string]string {
	facts := map[string]string{}
	for _, k := range []string{"first_violation", "harm_slight", "corrected_in_time", "eliminated_harm", "coerced", "confessed",
		"helped", "repeat_within_year"} {
		if f.Get("fact_"+k) != "" {
			facts[k] = "true"
		}
	}
	return facts
}

func (m *Module) leadSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	f := r.PostForm
	in := LeadInput{Party: partyOf(f), MatterCode: f.Get("matter_code"), Source: f.Get("source"), Summary: f.Get("summary"),
		ViolationOn: f.Get("violation_on"), ViolationEndedOn: f.Get("violation_ended_on"), FoundOn: f.Get("found_on"),
		Grave: f.Get("grave") != "", Facts: factsOf(f)}
	c, err := m.CreateLead(r.Context(), auth.FromContext(r.Context()), in)
	if err != nil {
		if web.StatusOf(err) == http.StatusUnprocessableEntity {
			m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "enforcement/lead.html",
				formData{Matters: m.d.Rules.Matters, Sources: Sources, Problems: problems(err), Form: f})
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/enforcement/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

func (m *Module) simpleForm(w http.ResponseWriter, r *http.Request) {
	m.s.Render(w, r, "enforcement/simple.html", formData{Matters: m.d.Rules.Matters, Form: url.Values{}})
}

func (m *Module) simpleSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	f := r.PostForm
	fine, _ := strconv.ParseInt(strings.TrimSpace(f.Get("fine_yuan")), 10, 64)
	in := SimpleInput{Party: partyOf(f), MatterCode: f.Get("matter_code"), Summary: f.Get("summary"), ViolationOn: f.Get("violation_on"),
		Kind: f.Get("kind"), FineYuan: fine, Place: f.Get("place")}
	var err error
	if v := strings.TrimSpace(f.Get("fine_yuan")); v != "" && strconv.FormatInt(fine, 10) != v {
		err = &valid.FieldError{Path: "fine_yuan", Message: "须为整数元 (whole yuan)"}
	}
	var c *Case
	if err == nil {
		c, err = m.Simple(r.Context(), auth.FromContext(r.Context()), in)
	}
	if err != nil {
		if web.StatusOf(err) == http.StatusUnprocessableEntity {
			m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "enforcement/simple.html",
				formData{Matters: m.d.Rules.Matters, Problems: problems(err), Form: f})
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/enforcement/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

type caseData struct {
	C          *Case
	Proposal   *discretion.Proposal
	Steps      []Step
	Evidence   []Evidence
	Extensions []flow.Extension
	Can        map[string]bool
	Kinds      []string
	Levels     []discretion.Level
	Error      string
	Problems   map[string]string
	Party      bool
	Range      []int64    // the proposal's fine range in yuan, when it has one
	Form       url.Values // the case's facts as the facts form shows them
}

func caseID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("case"), 10, 64)
	return id, err == nil && id > 0
}

// can lists the forms the case page offers a: the steps of the state the
// case is in that a's roles may take.
func can(a *auth.Actor, c *Case) map[string]bool {
	out := map[string]bool{}
	field := a.HasAny(auth.RoleInspector, auth.RoleHandler)
	approver := a.Has(auth.RoleApprover)
	switch {
	case c.Status == StatusLead:
		out["open"], out["decline"], out["extend"] = approver, approver, field
	case c.Status == StatusOpen:
		out["extend"], out["evidence"] = field, field
		switch c.State {
		case "investigating":
			out["intend"] = field
		case "notified":
			out["request_hearing"], out["to_review"], out["to_decision"] = field && c.HearingAllowed, field, field && !c.LegalRequired
			out["statement"], out["revise"] = field, field && len(c.Statements) > 0
		case "hearing":
			out["hearing_held"] = field
		case "legal_review":
			out["legal_pass"], out["legal_return"] = a.Has(auth.RoleLegal), a.Has(auth.RoleLegal)
		case "deciding":
			out["decide"], out["to_collective"] = approver, approver && c.CollectiveReq && !c.CollectiveHeld
		case "collective":
			out["collective_done"] = approver
		}
	case c.Status == StatusDecided:
		switch c.State {
		case "delivery":
			out["delivered"] = field
		case "payment":
			out["paid"], out["enforce"] = field, field
		case "execution":
			out["executed"] = field
		}
	}
	out["decide_extension"] = approver && (c.Status == StatusLead || c.Status == StatusOpen)
	return out
}

func (m *Module) casePage(w http.ResponseWriter, r *http.Request) {
	m.renderCase(w, r, http.StatusOK, nil)
}

func (m *Module) renderCase(w http.ResponseWriter, r *http.Request, status int, failure error) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, ok := caseID(r)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "enforcement.error.not_found")
		return
	}
	lang := i18n.LangFrom(ctx)
	c, err := m.Get(ctx, a, id, lang)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := caseData{C: c, Kinds: PenaltyKinds, Levels: levels, Party: a.Has(auth.RoleEnterprise), Form: url.Values{}}
	for k, v := range c.Facts {
		if v == "true" {
			d.Form.Set("fact_"+k, "1")
		}
	}
	if !d.Party {
		d.Can = can(a, c)
		if d.Steps, err = m.History(ctx, a, id, lang); err != nil {
			m.fail(w, r, err)
			return
		}
		d.Evidence, _ = m.EvidenceOf(ctx, a, id)
		d.Extensions, _ = m.Extensions(ctx, a, id)
		if d.Can["intend"] {
			if p, err := m.Propose(ctx, a, id, nil); err == nil {
				d.Proposal = &p
			}
		}
	}
	if d.Proposal == nil {
		d.Proposal = c.Proposal
	}
	if d.Proposal != nil && d.Proposal.FineMax > 0 {
		d.Range = []int64{d.Proposal.FineMin / 100, d.Proposal.FineMax / 100}
	}
	if failure != nil {
		d.Problems = problems(failure)
		if len(d.Problems) == 0 {
			d.Error = failure.Error()
		}
	}
	m.s.RenderStatus(w, r, status, "enforcement/case.html", d)
}

// step handles every form of the case page.
func (m *Module) step(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, ok := caseID(r)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "enforcement.error.not_found")
		return
	}
	f := r.PostForm
	atoi := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(f.Get(k))); return n }
	var err error
	switch r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] {
	case "open":
		_, err = m.OpenCase(ctx, a, id, f.Get("comment"))
	case "decline":
		_, err = m.Decline(ctx, a, id, f.Get("comment"))
	case "intended":
		fine, perr := strconv.ParseInt(strings.TrimSpace(f.Get("fine_yuan")), 10, 64)
		if perr != nil && strings.TrimSpace(f.Get("fine_yuan")) != "" {
			err = &valid.FieldError{Path: "fine_yuan", Message: "须为整数元 (whole yuan)"}
			break
		}
		_, err = m.Intend(ctx, a, id, IntendedInput{Facts: factsOf(f), Level: discretion.Level(f.Get("level")), Kinds: f["kinds"],
			FineYuan: fine, DepartureReason: f.Get("departure_reason"), Education: f.Get("education"), Reason: f.Get("reason")})
	case "statements":
		_, err = m.RecordStatement(ctx, a, id, StatementInput{Way: f.Get("way"), Text: f.Get("text")})
	case "revision":
		fine, perr := strconv.ParseInt(strings.TrimSpace(f.Get("fine_yuan")), 10, 64)
		if perr != nil && strings.TrimSpace(f.Get("fine_yuan")) != "" {
			err = &valid.FieldError{Path: "fine_yuan", Message: "须为整数元 (whole yuan)"}
			break
		}
		_, err = m.Revise(ctx, a, id, RevisionInput{Level: discretion.Level(f.Get("level")), Kinds: f["kinds"], FineYuan: fine,
			Reason: f.Get("reason"), Education: f.Get("education")})
	case "actions":
		_, err = m.Act(ctx, a, id, f.Get("action"), f.Get("comment"), f.Get("waived") != "")
	case "decision":
		_, err = m.Decide(ctx, a, id, DecideInput{No: strings.TrimSpace(f.Get("no"))})
	case "extensions":
		_, err = m.RequestExtension(ctx, a, id, atoi("days"), f.Get("reason"), f.Get("collective"))
	case "extension-decisions":
		xid, _ := strconv.ParseInt(f.Get("extension_id"), 10, 64)
		_, err = m.DecideExtension(ctx, a, id, xid, f.Get("grant") == "1", atoi("days"), f.Get("reason"))
	}
	if err != nil {
		switch web.StatusOf(err) {
		case http.StatusUnprocessableEntity, http.StatusConflict:
			m.renderCase(w, r, web.StatusOf(err), err)
		default:
			m.fail(w, r, err)
		}
		return
	}
	http.Redirect(w, r, "/enforcement/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (m *Module) evidenceSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := caseID(r)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "enforcement.error.not_found")
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		m.renderCase(w, r, http.StatusUnprocessableEntity, &valid.FieldError{Path: "content", Message: "请选择文件 (choose a file)"})
		return
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, MaxEvidence+1))
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	mime := hdr.Header.Get("Content-Type")
	if ct := http.DetectContentType(b); !strings.HasPrefix(ct, "application/octet-stream") && !strings.HasPrefix(ct, "text/plain") {
		mime = strings.SplitN(ct, ";", 2)[0]
	}
	if _, err := m.AddEvidence(ctx, auth.FromContext(ctx), id, hdr.Filename, mime, r.FormValue("note"), b); err != nil {
		if s := web.StatusOf(err); s == http.StatusUnprocessableEntity || s == http.StatusConflict {
			m.renderCase(w, r, s, err)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/enforcement/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (m *Module) evidenceFile(w http.ResponseWriter, r *http.Request) {
	id, ok := caseID(r)
	eid, err := strconv.ParseInt(r.PathValue("eid"), 10, 64)
	if !ok || err != nil {
		m.s.Error(w, r, http.StatusNotFound, "enforcement.error.not_found")
		return
	}
	e, b, err := m.EvidenceContent(r.Context(), auth.FromContext(r.Context()), id, eid)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", e.MIME)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(e.Name))
	w.Header().Set("Digest", "sha-256="+e.SHA256)
	w.Write(b)
}

type docData struct {
	C     *Case
	Doc   string
	Today string
	// Notified is the penalty as the prior notice gave it: revisions after
	// the party's statement and defence change the intended penalty, not
	// what the notice said.
	Notified *Penalty
	ReviewOn string // the day of the latest notice of a revision
}

// documentPage renders 立案审批表 (filing), 行政处罚告知书 (notice) or
// 行政处罚决定书 (decision) as a printable page. The party reads the notice
// and the decision of its own case.
func (m *Module) documentPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, ok := caseID(r)
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "enforcement.error.not_found")
		return
	}
	c, err := m.Get(ctx, a, id, "zh-CN")
	if err != nil {
		m.fail(w, r, err)
		return
	}
	doc := r.PathValue("doc")
	okDoc := false
	switch doc {
	case "filing":
		okDoc = c.Procedure == Ordinary && !a.Has(auth.RoleEnterprise)
	case "notice":
		okDoc = c.NoticeOn != "" && c.Intended != nil
	case "review":
		okDoc = len(c.Revisions) > 0
	case "decision":
		okDoc = c.Decision != nil
	}
	if !okDoc {
		m.s.Error(w, r, http.StatusNotFound, "enforcement.error.no_document")
		return
	}
	d := docData{C: c, Doc: doc, Today: m.today().String(), Notified: c.Intended}
	if len(c.Revisions) > 0 {
		d.Notified = &c.Revisions[0].From
	}
	for _, n := range c.Notices {
		if n.Kind == "revised" {
			d.ReviewOn = n.On
		}
	}
	m.s.Render(w, r, "enforcement/document.html", d)
}

func (m *Module) minePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	items, _, err := m.List(ctx, a, ListFilter{Limit: 100})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.decorate(ctx, i18n.LangFrom(ctx), items...)
	m.s.Render(w, r, "enforcement/mine.html", listData{Items: items})
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.StatusOf(err)
	switch {
	case errors.Is(err, ErrNotFound), status == http.StatusNotFound:
		m.s.Error(w, r, http.StatusNotFound, "enforcement.error.not_found")
	case status == http.StatusUnprocessableEntity, status == http.StatusConflict, status == http.StatusForbidden,
		status == http.StatusBadRequest, status == http.StatusUnauthorized:
		m.s.Error(w, r, status, "")
	default:
		m.s.Logger().ErrorContext(r.Context(), "enforcement: page failed", "request_id", web.RequestID(r.Context()), "err", err)
		m.s.Error(w, r, http.StatusInternalServerError, "")
	}
}

var _ = store.Cursor{}
