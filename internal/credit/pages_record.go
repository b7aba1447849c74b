package credit

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/valid"
)

// penaltyKinds are the kinds of penalty the record form offers (行政处罚法
// 第九条).
var penaltyKinds = []string{"警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "暂扣许可证件", "降低资质等级",
	"吊销许可证件", "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "行政拘留"}

// recordFormData is the form a department's officer records a penalty
// decision with (双公示), or the same form refused.
type recordFormData struct {
	USCC     string
	Name     string
	Kinds    []string
	Form     map[string]string
	Chosen   map[string]bool
	Problems []problem
}

// mountRecordPages registers the officer's pages that write the file: a
// penalty decision and the withdrawal of a record whose decision was
// changed or revoked. The module's own rules decide who may write what.
func (m *Module) mountRecordPages() {
	deciders := m.s.Require(auth.RoleHandler, auth.RoleApprover)
	m.s.Handle("GET /credit/entities/{uscc}/records/new", deciders(http.HandlerFunc(m.recordForm)))
	m.s.Handle("POST /credit/entities/{uscc}/records", deciders(http.HandlerFunc(m.recordSubmit)))
	m.s.Handle("POST /credit/records/{id}/withdrawal", deciders(http.HandlerFunc(m.withdrawSubmit)))
}

func (m *Module) recordForm(w http.ResponseWriter, r *http.Request) {
	m.renderRecordForm(w, r, http.StatusOK, nil, nil)
}

func (m *Module) renderRecordForm(w http.ResponseWriter, r *http.Request, status int, form map[string]string, probs []problem) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	st, err := m.StateOf(ctx, a, ids.NormalizeUSCC(r.PathValue("uscc")), m.today())
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := recordFormData{USCC: st.USCC, Kinds: penaltyKinds, Form: form, Chosen: map[string]bool{}, Problems: probs}
	if d.Form == nil {
		d.Form = map[string]string{"decision_date": m.today().String(), "procedure": "ordinary", "subject": "organisation", "sector": "other"}
	}
	for _, k := range strings.Split(d.Form["kinds"], ",") {
		d.Chosen[k] = true
	}
	if e, err := m.d.Register.Get(ctx, a, st.USCC); err == nil {
		d.Name = e.Name
	}
	m.s.RenderStatus(w, r, status, "credit/record_form.html", d)
}

func (m *Module) recordSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.s.ParseForm(w, r) {
		return
	}
	f := r.PostForm
	uscc := ids.NormalizeUSCC(r.PathValue("uscc"))
	if _, err := m.StateOf(ctx, a, uscc, m.today()); err != nil {
		m.fail(w, r, err)
		return
	}
	form := map[string]string{}
	for _, k := range []string{"decision_no", "decision_date", "published_on", "legal_basis", "content", "procedure", "subject", "sector", "fine_yuan"} {
		form[k] = strings.TrimSpace(f.Get(k))
	}
	form["kinds"] = strings.Join(f["kinds"], ",")
	fine, err := strconv.ParseInt(form["fine_yuan"], 10, 64)
	if form["fine_yuan"] == "" {
		fine, err = 0, nil
	}
	if err != nil || fine < 0 {
		m.renderRecordForm(w, r, http.StatusUnprocessableEntity, form, problems(ctx, &valid.FieldError{Path: "fine_yuan",
			Message: "罚款金额须为不小于0的整数（元）(the fine is a whole number of yuan, at least 0)"}))
		return
	}
	_, err = m.AddRecord(ctx, a, RecordInput{USCC: uscc, Kind: KindPenalty, DecisionNo: form["decision_no"],
		DecisionDate: form["decision_date"], PublishedOn: form["published_on"], LegalBasis: form["legal_basis"],
		Content: form["content"], Penalty: &Penalty{Procedure: form["procedure"], Subject: form["subject"],
			Sector: form["sector"], Kinds: f["kinds"], FineYuan: fine}})
	if err != nil {
		if ps := problems(ctx, err); len(ps) > 0 {
			m.renderRecordForm(w, r, http.StatusUnprocessableEntity, form, ps)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/credit/entities/"+uscc+"?ok=recorded", http.StatusSeeOther)
}

func (m *Module) withdrawSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.s.ParseForm(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		m.fail(w, r, ErrNotFound)
		return
	}
	on := strings.TrimSpace(r.PostForm.Get("withdrawn_on"))
	if on == "" {
		on = m.today().String()
	}
	rec, err := m.Withdraw(ctx, a, id, on)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/credit/entities/"+rec.USCC+"?ok=withdrawn", http.StatusSeeOther)
}
