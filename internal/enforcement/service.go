package enforcement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Sources are where a lead comes from (案件来源).
var Sources = []string{"监督检查", "投诉举报", "上级交办", "其他部门移送", "监测发现", "其他"}

// LeadInput records a lead (线索).
type LeadInput struct {
	DepartmentID int64  `json:"department_id,omitempty" doc:"One of the officer's departments; 0: the first"`
	Party        Party  `json:"party"`
	MatterCode   string `json:"matter_code" maxLength:"40"`
	Source       string `json:"source" maxLength:"20"`
	Summary      string `json:"summary" maxLength:"2000"`
	// ViolationOn is when the violation happened; ViolationEndedOn, for a
	// continuing one (连续或者继续状态), when it ended; FoundOn when it was
	// found (empty: today).
	ViolationOn      string            `json:"violation_on" doc:"YYYY-MM-DD"`
	ViolationEndedOn string            `json:"violation_ended_on,omitempty" doc:"YYYY-MM-DD"`
	FoundOn          string            `json:"found_on,omitempty" doc:"YYYY-MM-DD"`
	Grave            bool              `json:"grave,omitempty" doc:"Life, health or financial security involved and harm occurred (5 years)"`
	Facts            map[string]string `json:"facts,omitempty"`
}

func text(p *valid.Problems, path, s string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(s) == "":
		p.Add(path, "必填 (required)")
	case utf8.RuneCountInString(s) > max:
		p.Add(path, "不超过%d字 (at most %d characters)", max, max)
	default:
		if err := valid.Text(path, s); err != nil {
			*p = append(*p, err)
		}
	}
}

func (m *Module) checkParty(p *valid.Problems, pt *Party) {
	switch pt.Kind {
	case Person:
		if pt.IDNumber != "" {
			if err := ids.ValidateCitizenID(pt.IDNumber); err != nil {
				p.Add("party.id_number", "居民身份证号无效 (invalid ID number)")
			}
		}
		pt.USCC = ""
	case Organisation:
		pt.USCC = ids.NormalizeUSCC(pt.USCC)
		if ids.ValidateUSCC(pt.USCC) != nil {
			p.Add("party.uscc", "统一社会信用代码无效 (invalid USCC)")
		}
		pt.IDNumber = ""
	default:
		p.Add("party.kind", "须为 person 或 organisation (person or organisation)")
	}
	text(p, "party.name", pt.Name, true, 200)
}

func checkFacts(p *valid.Problems, facts map[string]string) {
	if len(facts) > 30 {
		p.Add("facts", "至多30项 (at most 30)")
	}
	for k, v := range facts {
		if k == "" || len(k) > 40 || strings.ContainsFunc(k, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
			p.Add("facts", "事实名称须为小写字母、数字和下划线 (fact names: a-z, 0-9, _)")
			continue
		}
		text(p, "facts."+k, v, false, 100)
	}
}

// Limitation returns the last day a violation of violation (ended on ended,
// if it continued) may still be found and penalised: 2 years after it (5
// where grave), counted as 民法典 counts periods.
func (r *Rules) Limitation(violation, ended calendar.Date, grave bool) calendar.Date {
	from := violation
	if !ended.IsZero() {
		from = ended
	}
	years := r.LimitationYears
	if grave {
		years = r.LimitationYearsGrave
	}
	return calendar.PeriodEnd(from, calendar.Period{N: years, Unit: calendar.Years})
}

func (m *Module) department(ctx context.Context, a *auth.Actor, want int64) (*org.Department, error) {
	if want == 0 && len(a.DepartmentIDs) > 0 {
		want = a.DepartmentIDs[0]
	}
	if want == 0 || !a.InDepartment(want) {
		return nil, &valid.FieldError{Path: "department_id", Message: "须为本人所在部门 (one of your departments)"}
	}
	return m.d.Org.Department(ctx, want)
}

// opening checks what every case needs whatever its procedure, so that a
// lead and an on-the-spot decision refuse the same input alike: an inspector
// or handler, a valid party, a known matter, a summary and a violation date
// not after today. Problems with the input are added to p; the error is only
// for an actor who may not open cases.
func (m *Module) opening(a *auth.Actor, p *valid.Problems, party *Party, matterCode, summary, violationOn string,
	today calendar.Date) (Matter, calendar.Date, error) {
	if a == nil {
		return Matter{}, calendar.Date{}, auth.ErrUnauthenticated
	}
	if !a.HasAny(auth.RoleInspector, auth.RoleHandler) {
		return Matter{}, calendar.Date{}, auth.ErrForbidden
	}
	m.checkParty(p, party)
	mt, ok := m.d.Rules.Matter(matterCode)
	if !ok {
		p.Add("matter_code", "未知的违法事项 (unknown matter)")
	}
	text(p, "summary", summary, true, 2000)
	vio, err := calendar.ParseDate(violationOn)
	if err != nil || vio.After(today) {
		p.Add("violation_on", "违法行为发生日期无效 (a date not in the future)")
	}
	return mt, vio, nil
}

// CreateLead records a lead and starts its 15-working-day check. It says,
// through TimeBarred, when the violation is past the limitation period.
func (m *Module) CreateLead(ctx context.Context, a *auth.Actor, in LeadInput) (*Case, error) {
	var p valid.Problems
	today := m.today()
	mt, vio, err := m.opening(a, &p, &in.Party, in.MatterCode, in.Summary, in.ViolationOn, today)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(Sources, in.Source) {
		p.Add("source", "案件来源无效 (unknown source)")
	}
	checkFacts(&p, in.Facts)
	var ended calendar.Date
	if in.ViolationEndedOn != "" {
		if ended, err = calendar.ParseDate(in.ViolationEndedOn); err != nil || ended.Before(vio) || ended.After(today) {
			p.Add("violation_ended_on", "违法行为终了日期无效 (on or after the violation, not in the future)")
		}
	}
	found := today
	if in.FoundOn != "" {
		if found, err = calendar.ParseDate(in.FoundOn); err != nil || found.After(today) || found.Before(vio) {
			p.Add("found_on", "发现日期无效 (on or after the violation, not in the future)")
		}
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	dept, err := m.department(ctx, a, in.DepartmentID)
	if err != nil {
		return nil, err
	}
	if mt.Department != "" && !strings.HasSuffix(dept.Code, mt.Department) {
		return nil, &valid.FieldError{Path: "matter_code", Message: "该事项不属于本部门职权 (not a matter of this department)"}
	}
	if err := m.d.Policy.Authorize(a, auth.ActCreate, auth.Object{Kind: ObjectKind, RegionCode: dept.RegionCode,
		DepartmentIDs: []int64{dept.ID}}); err != nil {
		return nil, err
	}
	until := m.d.Rules.Limitation(vio, ended, in.Grave)
	c := &Case{Procedure: Ordinary, Status: StatusLead, DepartmentID: dept.ID, RegionCode: dept.RegionCode, Party: in.Party,
		MatterCode: mt.Code, Source: in.Source, Summary: in.Summary, ViolationOn: vio.String(), ViolationEndedOn: ended.String(),
		Grave: in.Grave, FoundOn: found.String(), LimitationUntil: until.String(), TimeBarred: found.After(until),
		Facts: in.Facts, CreatedBy: a.UserID, Version: 1}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := m.insert(ctx, tx, c, dept); err != nil {
			return err
		}
		in, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: LeadFlow, SubjectType: SubjectType, SubjectID: c.ID,
			Reference: c.Number, Title: c.Party.Name + " " + mt.Name, RegionCode: c.RegionCode, DepartmentIDs: []int64{dept.ID},
			Actor: a})
		if err != nil {
			return err
		}
		c.LeadInstance = in.ID
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement.lead", c, map[string]any{"matter": c.MatterCode, "time_barred": c.TimeBarred,
			"limitation_until": c.LimitationUntil})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, c.ID, "zh-CN")
}

func (m *Module) insert(ctx context.Context, tx store.IDB, c *Case, dept *org.Department) error {
	js, err := json.Marshal(c.doc())
	if err != nil {
		return err
	}
	sealed := ""
	if c.Party.IDNumber != "" {
		sealed = m.d.Box.Seal(c.Party.IDNumber)
	}
	now := m.now()
	c.CreatedAt = now
	tmp := fmt.Sprintf("tmp-%d-%d", now.UnixNano(), c.CreatedBy)
	if err := store.QueryRow(ctx, tx, `INSERT INTO enforcement_cases (number, procedure, status, department_id, region_code,
		party_kind, party_name, party_uscc, party_id_sealed, matter_code, level, time_barred, lead_instance_id, case_instance_id,
		doc, created_at, created_by, updated_at, row_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, 0, 0, ?, ?, ?, ?, 1)
		RETURNING id`, tmp, c.Procedure, c.Status, c.DepartmentID, c.RegionCode, c.Party.Kind, c.Party.Name, c.Party.USCC, sealed,
		c.MatterCode, c.TimeBarred, string(js), now, c.CreatedBy, now).Scan(&c.ID); err != nil {
		return fmt.Errorf("enforcement: insert case: %w", err)
	}
	kind := "立"
	if c.Procedure == Simple {
		kind = "简"
	}
	c.Number = fmt.Sprintf("%s%s〔%d〕%d号", dept.Code, kind, calendar.DateOf(now).Year(), c.ID)
	if _, err := store.Exec(ctx, tx, "UPDATE enforcement_cases SET number = ? WHERE id = ?", c.Number, c.ID); err != nil {
		return fmt.Errorf("enforcement: number case: %w", err)
	}
	if c.Party.IDNumber != "" {
		c.Party.IDNumber = "" // never kept in the clear
	}
	return nil
}

func (m *Module) audit(ctx context.Context, tx store.IDB, a *auth.Actor, action string, c *Case, detail map[string]any) error {
	e := audit.Entry{Action: action, ObjectType: ObjectKind, ObjectID: strconv.FormatInt(c.ID, 10), RegionCode: c.RegionCode,
		Detail: detail}
	if a != nil {
		e.ActorID, e.ActorName = a.UserID, a.Name
	}
	_, err := m.d.Audit.Append(ctx, tx, e)
	return err
}

// Get returns case id if a may read it; out of scope is ErrNotFound.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64, lang string) (*Case, error) {
	c, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActRead, c.object()); err != nil {
		if errors.Is(err, auth.ErrUnauthenticated) {
			return nil, err
		}
		return nil, ErrNotFound
	}
	if a.Has(auth.RoleEnterprise) && (c.Status == StatusLead || c.Status == StatusNotOpened) {
		return nil, ErrNotFound
	}
	m.decorate(ctx, lang, c)
	return c, nil
}

// change loads case id in tx for an action by a: it must be in a's scope
// (ErrNotFound otherwise) and a must be allowed to act.
func (m *Module) change(ctx context.Context, tx store.IDB, a *auth.Actor, id int64) (*Case, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	c, err := m.load(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if m.d.Policy.Authorize(a, auth.ActRead, c.object()) != nil || a.Has(auth.RoleEnterprise) {
		return nil, ErrNotFound
	}
	if err := m.d.Policy.Authorize(a, auth.ActAct, c.object()); err != nil {
		return nil, err
	}
	return c, nil
}

// flowErr turns the engine's errors into the module's.
func flowErr(err error) error {
	var ie *flow.InputError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		var p valid.Problems
		for _, x := range ie.Problems {
			p.Add(x.Key, "%s", x.Message)
		}
		return p.Err()
	case errors.Is(err, flow.ErrForbidden):
		return fmt.Errorf("%w: %v", auth.ErrForbidden, err)
	case errors.Is(err, flow.ErrNoSuchAction), errors.Is(err, flow.ErrFinished), errors.Is(err, flow.ErrExtensionNotAllowed),
		errors.Is(err, flow.ErrConflict):
		return fmt.Errorf("%w (%v)", ErrState, err)
	case errors.Is(err, flow.ErrNotFound):
		return ErrNotFound
	}
	return err
}

// OpenCase approves the opening of the case (立案) from its lead, and starts
// the 90-day clock. A time-barred lead may be opened, so that it can be
// closed as 不予处罚 for limitation; no penalty can be given in it.
func (m *Module) OpenCase(ctx context.Context, a *auth.Actor, id int64, comment string) (*Case, error) {
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if c.Status != StatusLead {
			return ErrState
		}
		if _, err := m.d.Flow.Do(ctx, tx, c.LeadInstance, "open_case", a, nil, comment); err != nil {
			return flowErr(err)
		}
		in, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: CaseFlow, SubjectType: SubjectType, SubjectID: c.ID,
			Reference: c.Number, Title: c.Party.Name, RegionCode: c.RegionCode, DepartmentIDs: []int64{c.DepartmentID}, Actor: a})
		if err != nil {
			return flowErr(err)
		}
		c.CaseInstance, c.Status, c.OpenedOn = in.ID, StatusOpen, m.today().String()
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement.open", c, map[string]any{"time_barred": c.TimeBarred})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id, "zh-CN")
}

// Decline records that no case is opened (不予立案), with the reason.
func (m *Module) Decline(ctx context.Context, a *auth.Actor, id int64, reason string) (*Case, error) {
	var p valid.Problems
	text(&p, "reason", reason, true, 2000)
	if len(p) > 0 {
		return nil, p.Err()
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if c.Status != StatusLead {
			return ErrState
		}
		if _, err := m.d.Flow.Do(ctx, tx, c.LeadInstance, "decline", a, nil, reason); err != nil {
			return flowErr(err)
		}
		c.Status = StatusNotOpened
		return m.save(ctx, tx, c)
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id, "zh-CN")
}

// Propose asks the discretion engine for case id with facts (the case's
// own facts when nil).
func (m *Module) Propose(ctx context.Context, a *auth.Actor, id int64, facts map[string]string) (discretion.Proposal, error) {
	c, err := m.Get(ctx, a, id, "zh-CN")
	if err != nil {
		return discretion.Proposal{}, err
	}
	if facts == nil {
		facts = c.Facts
	}
	return m.d.Discretion.Propose(ctx, discretion.Query{DepartmentCode: c.DepartmentCode, MatterCode: c.MatterCode, Facts: facts})
}

// IntendedInput is the intended penalty (拟处罚) the officer settles on.
type IntendedInput struct {
	Facts    map[string]string `json:"facts,omitempty" doc:"The discretion facts as found; they replace the lead's"`
	Level    discretion.Level  `json:"level" enum:"none,reduced,lighter,normal,heavier"`
	Kinds    []string          `json:"kinds,omitempty" maxItems:"10" doc:"警告, 罚款, 没收违法所得, …; empty for none"`
	FineYuan int64             `json:"fine_yuan,omitempty" minimum:"0"`
	// DepartureReason is required when the level or the fine is not the
	// proposal's.
	DepartureReason string `json:"departure_reason,omitempty" maxLength:"2000"`
	// Education records the education given, required for level none.
	Education string `json:"education,omitempty" maxLength:"2000"`
	// Reason explains a 不予处罚.
	Reason string `json:"reason,omitempty" maxLength:"2000"`
}

var levels = []discretion.Level{discretion.LevelNone, discretion.LevelReduced, discretion.LevelLighter,
	discretion.LevelNormal, discretion.LevelHeavier}

// PenaltyKinds are the kinds of penalty of 行政处罚法 第九条 the forms offer.
var PenaltyKinds = []string{"警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "没收较大数额违法所得",
	"暂扣许可证件", "降低资质等级", "吊销许可证件", "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业"}

// Intend settles the intended penalty of an opened case against the
// discretion engine's proposal and moves it on: a penalty to prior notice
// (事先告知, the party's 5 working days to state, defend and ask for a
// hearing begin), 不予处罚 straight to the decision. A time-barred case
// can only be 不予处罚.
func (m *Module) Intend(ctx context.Context, a *auth.Actor, id int64, in IntendedInput) (*Case, error) {
	var p valid.Problems
	if !slices.Contains(levels, in.Level) {
		p.Add("level", "裁量阶次无效 (unknown level)")
	}
	for _, k := range in.Kinds {
		if !slices.Contains(PenaltyKinds, k) {
			p.Add("kinds", "处罚种类无效 (unknown kind of penalty)")
		}
	}
	checkFacts(&p, in.Facts)
	text(&p, "departure_reason", in.DepartureReason, false, 2000)
	text(&p, "education", in.Education, false, 2000)
	text(&p, "reason", in.Reason, false, 2000)
	if in.FineYuan < 0 {
		p.Add("fine_yuan", "不得为负 (not negative)")
	}
	if in.Level == discretion.LevelNone {
		if len(in.Kinds) > 0 || in.FineYuan > 0 {
			p.Add("kinds", "不予处罚不得有处罚种类或罚款 (no penalty: no kinds or fine)")
		}
		if strings.TrimSpace(in.Education) == "" {
			p.Add("education", "不予处罚须记录教育情况 (record the education given)")
		}
	} else if len(in.Kinds) == 0 {
		p.Add("kinds", "须选择处罚种类 (choose the kind of penalty)")
	}
	if in.FineYuan > 0 != slices.Contains(in.Kinds, "罚款") && in.Level != discretion.LevelNone {
		p.Add("fine_yuan", "罚款金额与处罚种类不一致 (a fine needs the kind 罚款 and an amount)")
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if c.Status != StatusOpen {
			return ErrState
		}
		if c.TimeBarred && in.Level != discretion.LevelNone {
			return ErrTimeBarred
		}
		mt, _ := m.d.Rules.Matter(c.MatterCode)
		if in.FineYuan > mt.MaxFineYuan {
			return &valid.FieldError{Path: "fine_yuan", Message: fmt.Sprintf("超过法定最高罚款%d元 (above the legal maximum)", mt.MaxFineYuan)}
		}
		if in.Facts != nil {
			c.Facts = in.Facts
		}
		d, _ := m.d.Org.Department(ctx, c.DepartmentID)
		code := ""
		if d != nil {
			code = d.Code
		}
		prop, err := m.d.Discretion.Propose(ctx, discretion.Query{DepartmentCode: code, MatterCode: c.MatterCode, Facts: c.Facts})
		if err != nil {
			return fmt.Errorf("enforcement: discretion: %w", err)
		}
		fine := in.FineYuan * 100
		departed := in.Level != prop.Level || (prop.FineMax > 0 && (fine < prop.FineMin || fine > prop.FineMax))
		if c.TimeBarred && in.Level == discretion.LevelNone {
			departed = false // the limitation decides, not discretion
		}
		if departed && strings.TrimSpace(in.DepartureReason) == "" {
			return &valid.FieldError{Path: "departure_reason", Message: "与裁量建议不一致，须说明理由 (departing from the proposal needs a reason)"}
		}
		if !departed {
			in.DepartureReason = ""
		}
		c.Proposal = &prop
		c.Intended = &Penalty{Level: in.Level, Kinds: in.Kinds, FineFen: fine, Departed: departed,
			DepartureReason: in.DepartureReason, Education: in.Education, Reason: in.Reason}
		if in.Level == discretion.LevelNone && c.TimeBarred && c.Intended.Reason == "" {
			c.Intended.Reason = "超过行政处罚法第三十六条规定的追责期限，不予行政处罚"
		}
		action := "notify"
		if in.Level == discretion.LevelNone {
			action = "propose_none"
		} else {
			c.NoticeOn = m.today().String()
			c.Notices = append(c.Notices, PartyNotice{Kind: "prior", On: c.NoticeOn, At: m.now(),
				Text: fmt.Sprintf("行政处罚告知书：拟作出“%s”的行政处罚。当事人有权在五个工作日内进行陈述、申辩%s（行政处罚法第四十四条、第四十五条）。",
					describe(c.Intended), map[bool]string{true: "，并有权要求听证", false: ""}[m.heavyPenalty(c)])})
		}
		if _, err := m.d.Flow.Do(ctx, tx, c.CaseInstance, action, a, nil, ""); err != nil {
			return flowErr(err)
		}
		c.LegalReviewed, c.CollectiveHeld = false, false
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement.intend", c, map[string]any{"level": in.Level, "fine_fen": fine,
			"proposed": prop.Level, "departed": departed, "reason": in.DepartureReason})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id, "zh-CN")
}

// heavyPenalty says whether c's intended penalty gives a right to a hearing.
func (m *Module) heavyPenalty(c *Case) bool {
	h, _ := m.heavy(c)
	return h
}

// heavy says whether c's intended penalty needs legal review and may have
// a hearing, and whether the heads must discuss it collectively.
func (m *Module) heavy(c *Case) (heavy, collective bool) {
	if c.Intended == nil || c.Intended.Level == discretion.LevelNone {
		return false, false
	}
	p := c.Intended
	return m.d.Rules.Heavy(c.Party.Kind, p.Kinds, p.FineYuan()), m.d.Rules.Collective(c.Party.Kind, p.Kinds, p.FineYuan())
}

// Act takes one of the procedure's steps on case id: request_hearing,
// hearing_held, to_review, to_decision, legal_pass, legal_return,
// to_collective, collective_done, delivered, paid, enforce, executed.
// The law's rules are checked here; the flow engine checks role and state.
// waived (the party said in writing it waives 陈述申辩) lets to_review and
// to_decision come before the party's period ends.
func (m *Module) Act(ctx context.Context, a *auth.Actor, id int64, action, comment string, waived bool) (*Case, error) {
	var p valid.Problems
	text(&p, "comment", comment, false, 4000)
	if len(p) > 0 {
		return nil, p.Err()
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if c.Status != StatusOpen && c.Status != StatusDecided {
			return ErrState
		}
		in, err := m.d.Flow.Instance(ctx, c.CaseInstance)
		if err != nil {
			return flowErr(err)
		}
		heavy, _ := m.heavy(c)
		now := m.d.Now()
		switch action {
		case "request_hearing":
			if !heavy {
				return conflict{"enforcement: the intended penalty gives no right to a hearing (拟作出的处罚不属于听证范围)"}
			}
			if in.State == "notified" && now.After(in.StateDueAt) {
				return conflict{"enforcement: the hearing was asked for after the 5 working days (当事人逾期未申请听证，视为放弃)"}
			}
		case "to_decision":
			if heavy {
				return ErrLegalReview
			}
			fallthrough
		case "to_review":
			if in.State == "notified" && !now.After(in.StateDueAt) && !waived {
				return fmt.Errorf("%w: the party's 5 working days to state, defend and ask for a hearing run until %s (当事人陈述申辩期限未届满)",
					ErrPeriod, calendar.DateOf(in.StateDueAt))
			}
		case "legal_pass":
			c.LegalReviewed, c.LegalOpinion = true, comment
		case "legal_return":
			c.LegalReviewed, c.LegalOpinion, c.Intended, c.NoticeOn = false, comment, nil, ""
		case "collective_done":
			c.CollectiveHeld = true
		case "delivered":
			if c.Decision == nil || c.Decision.FineFen == 0 {
				action = "delivered_close"
			}
		case "to_collective", "hearing_held", "paid", "enforce", "executed":
		default:
			return &valid.FieldError{Path: "action", Message: "未知的操作 (unknown action)"}
		}
		out, err := m.d.Flow.Do(ctx, tx, c.CaseInstance, action, a, nil, comment)
		if err != nil {
			return flowErr(err)
		}
		if out.Status == flow.StatusDone {
			c.Status = StatusClosed
		}
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement."+action, c, nil)
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id, "zh-CN")
}

// DecideInput is the decision (行政处罚决定 or 不予行政处罚决定).
type DecideInput struct {
	No string `json:"no,omitempty" maxLength:"60" doc:"决定书文号; empty: derived from the case number"`
}

// Decide makes the decision on the intended penalty. A heavy one needs
// legal review first, and collective discussion where the rules require;
// a time-barred case can only be 不予处罚. The outcome goes to the
// discretion engine in the same transaction; the credit record follows
// from TopicDecided.
func (m *Module) Decide(ctx context.Context, a *auth.Actor, id int64, in DecideInput) (*Case, error) {
	var p valid.Problems
	text(&p, "no", in.No, false, 60)
	if len(p) > 0 {
		return nil, p.Err()
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if c.Status != StatusOpen || c.Intended == nil {
			return ErrState
		}
		if c.TimeBarred && c.Intended.Level != discretion.LevelNone {
			return ErrTimeBarred
		}
		heavy, collective := m.heavy(c)
		if heavy && !c.LegalReviewed {
			return ErrLegalReview
		}
		if collective && !c.CollectiveHeld {
			return ErrCollective
		}
		no := in.No
		if no == "" {
			no = strings.Replace(c.Number, "立", "罚决", 1)
			if c.Intended.Level == discretion.LevelNone {
				no = strings.Replace(c.Number, "立", "不罚", 1)
			}
		}
		c.Decision = &Decision{Penalty: *c.Intended, No: no, On: m.today().String(), ByID: a.UserID, ByName: a.Name,
			At: m.now(), Collectve: c.CollectiveHeld}
		if _, err := m.d.Flow.Do(ctx, tx, c.CaseInstance, "decide", a, nil, ""); err != nil {
			return flowErr(err)
		}
		if _, err := m.d.Flow.Do(ctx, tx, c.CaseInstance, "send", auth.System(), nil, ""); err != nil {
			return flowErr(err)
		}
		c.Status = StatusDecided
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		if err := m.recordOutcome(ctx, tx, c); err != nil {
			return err
		}
		if err := outbox.Add(ctx, tx, m.now(), TopicDecided, map[string]any{"id": c.ID}); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement.decide", c, map[string]any{"no": no, "level": c.Decision.Level,
			"fine_fen": c.Decision.FineFen, "departed": c.Decision.Departed})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id, "zh-CN")
}

func (m *Module) recordOutcome(ctx context.Context, tx store.IDB, c *Case) error {
	o := Outcome{CaseNumber: c.Number, MatterCode: c.MatterCode, Level: c.Decision.Level, FineFen: c.Decision.FineFen,
		Departed: c.Decision.Departed, Reason: c.Decision.DepartureReason, Education: c.Decision.Education != "",
		FirstViolation: c.Facts["first_violation"] == "true", DecidedOn: c.Decision.On}
	if d, err := m.d.Org.Department(ctx, c.DepartmentID); err == nil {
		o.DepartmentCode = d.Code
	}
	if c.Proposal != nil {
		o.Proposed, o.Version = c.Proposal.Level, c.Proposal.Version
	} else {
		o.Proposed = c.Decision.Level
	}
	if err := m.d.Discretion.RecordOutcome(ctx, tx, o); err != nil {
		return fmt.Errorf("enforcement: record outcome: %w", err)
	}
	return nil
}

// SimpleInput is a penalty decided on the spot (简易程序, 第五十一条).
type SimpleInput struct {
	DepartmentID int64  `json:"department_id,omitempty"`
	Party        Party  `json:"party"`
	MatterCode   string `json:"matter_code" maxLength:"40"`
	Summary      string `json:"summary" maxLength:"2000"`
	ViolationOn  string `json:"violation_on" doc:"YYYY-MM-DD"`
	// Kind is 警告 or 罚款.
	Kind     string `json:"kind" enum:"警告,罚款"`
	FineYuan int64  `json:"fine_yuan,omitempty" minimum:"0"`
	Place    string `json:"place" maxLength:"200"`
}

// Simple decides a warning or a fine up to the caps (200 yuan for a
// person, 3,000 yuan for an organisation) on the spot, as one step.
func (m *Module) Simple(ctx context.Context, a *auth.Actor, in SimpleInput) (*Case, error) {
	var p valid.Problems
	today := m.today()
	mt, vio, err := m.opening(a, &p, &in.Party, in.MatterCode, in.Summary, in.ViolationOn, today)
	if err != nil {
		return nil, err
	}
	text(&p, "place", in.Place, true, 200)
	switch in.Kind {
	case "警告":
		if in.FineYuan != 0 {
			p.Add("fine_yuan", "警告不得并处罚款 (a warning has no fine)")
		}
	case "罚款":
		limit := m.d.Rules.SimpleMaxFineYuan.For(in.Party.Kind)
		if in.FineYuan <= 0 || in.FineYuan > limit {
			p.Add("fine_yuan", "简易程序罚款须为1至%d元（行政处罚法第五十一条） (1 to %d yuan on the spot)", limit, limit)
		}
	default:
		p.Add("kind", "简易程序只能警告或罚款 (a warning or a fine)")
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	if in.FineYuan > mt.MaxFineYuan {
		return nil, &valid.FieldError{Path: "fine_yuan", Message: "超过法定最高罚款 (above the legal maximum)"}
	}
	dept, err := m.department(ctx, a, in.DepartmentID)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActCreate, auth.Object{Kind: ObjectKind, RegionCode: dept.RegionCode,
		DepartmentIDs: []int64{dept.ID}}); err != nil {
		return nil, err
	}
	until := m.d.Rules.Limitation(vio, calendar.Date{}, false)
	if today.After(until) {
		return nil, ErrTimeBarred
	}
	level := discretion.LevelNormal
	c := &Case{Procedure: Simple, Status: StatusClosed, DepartmentID: dept.ID, RegionCode: dept.RegionCode, Party: in.Party,
		MatterCode: mt.Code, Source: "监督检查", Summary: in.Summary + "（地点：" + in.Place + "）", ViolationOn: vio.String(),
		FoundOn: today.String(), LimitationUntil: until.String(), CreatedBy: a.UserID, Version: 1}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := m.insert(ctx, tx, c, dept); err != nil {
			return err
		}
		c.Decision = &Decision{Penalty: Penalty{Level: level, Kinds: []string{in.Kind}, FineFen: in.FineYuan * 100},
			No: c.Number, On: today.String(), ByID: a.UserID, ByName: a.Name, At: m.now()}
		fi, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: SimpleFlow, SubjectType: SubjectType, SubjectID: c.ID,
			Reference: c.Number, Title: c.Party.Name, RegionCode: c.RegionCode, DepartmentIDs: []int64{dept.ID}, Actor: a})
		if err != nil {
			return flowErr(err)
		}
		if _, err := m.d.Flow.Do(ctx, tx, fi.ID, "decide_on_spot", a, nil, ""); err != nil {
			return flowErr(err)
		}
		c.CaseInstance = fi.ID
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		if err := outbox.Add(ctx, tx, m.now(), TopicDecided, map[string]any{"id": c.ID}); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement.simple", c, map[string]any{"kind": in.Kind, "fine_yuan": in.FineYuan})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, c.ID, "zh-CN")
}

// Evidence is a file entered in a case, stored by its SHA-256.
type Evidence struct {
	ID        int64  `json:"id"`
	SHA256    string `json:"sha256"`
	Name      string `json:"name"`
	MIME      string `json:"mime"`
	Size      int64  `json:"size"`
	Note      string `json:"note,omitempty"`
	CreatedBy int64  `json:"created_by"`
	At        string `json:"at"`
}

// MaxEvidence is the largest evidence file accepted.
const MaxEvidence = 20 << 20

var evidenceTypes = []string{"image/jpeg", "image/png", "image/webp", "application/pdf", "audio/mpeg", "audio/mp4",
	"video/mp4", "text/plain"}

// AddEvidence stores content for case id under its SHA-256 and enters it
// in the audit log, so that 全过程记录 can be proved later.
func (m *Module) AddEvidence(ctx context.Context, a *auth.Actor, id int64, name, mime, note string, content []byte) (*Evidence, error) {
	var p valid.Problems
	text(&p, "name", name, true, 200)
	text(&p, "note", note, false, 500)
	if !slices.Contains(evidenceTypes, mime) {
		p.Add("mime", "文件类型不支持 (unsupported type)")
	}
	if len(content) == 0 || len(content) > MaxEvidence {
		p.Add("content", "文件为空或超过20MB (empty or above 20 MB)")
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	sum := sha256.Sum256(content)
	h := hex.EncodeToString(sum[:])
	ev := &Evidence{SHA256: h, Name: name, MIME: mime, Size: int64(len(content)), Note: note, CreatedBy: a.UserID,
		At: m.now().Format("2006-01-02T15:04:05Z")}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if c.Status == StatusClosed || c.Status == StatusNotOpened {
			return ErrState
		}
		var n int
		if err := store.QueryRow(ctx, tx, "SELECT COUNT(*) FROM enforcement_blobs WHERE sha256 = ?", h).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := store.Exec(ctx, tx, "INSERT INTO enforcement_blobs (sha256, content) VALUES (?, ?)", h, content); err != nil {
				return fmt.Errorf("enforcement: store evidence: %w", err)
			}
		}
		err = store.QueryRow(ctx, tx, `INSERT INTO enforcement_evidence (case_id, sha256, name, mime, size, note, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.ID, h, name, mime, ev.Size, note, m.now(), a.UserID).Scan(&ev.ID)
		if store.IsUniqueViolation(err) {
			return &valid.FieldError{Path: "content", Message: "该文件已作为本案证据 (already in this case)"}
		}
		if err != nil {
			return fmt.Errorf("enforcement: evidence: %w", err)
		}
		return m.audit(ctx, tx, a, "enforcement.evidence", c, map[string]any{"sha256": h, "name": name, "size": ev.Size})
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// EvidenceOf lists the evidence of case id.
func (m *Module) EvidenceOf(ctx context.Context, a *auth.Actor, id int64) ([]Evidence, error) {
	c, err := m.Get(ctx, a, id, "zh-CN")
	if err != nil {
		return nil, err
	}
	if a.Has(auth.RoleEnterprise) {
		return nil, nil
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT id, sha256, name, mime, size, note, created_by, created_at
		FROM enforcement_evidence WHERE case_id = ? ORDER BY id`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		var at = m.now()
		if err := rows.Scan(&e.ID, &e.SHA256, &e.Name, &e.MIME, &e.Size, &e.Note, &e.CreatedBy, &at); err != nil {
			return nil, err
		}
		e.At = at.UTC().Format("2006-01-02T15:04:05Z")
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceContent returns the bytes of evidence eid of case id.
func (m *Module) EvidenceContent(ctx context.Context, a *auth.Actor, id, eid int64) (*Evidence, []byte, error) {
	evs, err := m.EvidenceOf(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range evs {
		if e.ID == eid {
			var b []byte
			if err := store.QueryRow(ctx, m.d.DB, "SELECT content FROM enforcement_blobs WHERE sha256 = ?", e.SHA256).Scan(&b); err != nil {
				return nil, nil, err
			}
			return &e, b, nil
		}
	}
	return nil, nil, ErrNotFound
}

// RequestExtension asks for more time: on a lead, up to 15 more working
// days to decide whether to open; on a case, more days to decide. Past the
// rules' 30 days a case's extension needs a collective decision of the
// heads (集体讨论), whose record collective names.
func (m *Module) RequestExtension(ctx context.Context, a *auth.Actor, id int64, days int, reason, collective string) (*flow.Extension, error) {
	var p valid.Problems
	text(&p, "reason", reason, true, 2000)
	text(&p, "collective", collective, false, 500)
	if len(p) > 0 {
		return nil, p.Err()
	}
	var x *flow.Extension
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		iid := c.LeadInstance
		if c.Status == StatusOpen {
			iid = c.CaseInstance
			in, err := m.d.Flow.Instance(ctx, iid)
			if err != nil {
				return flowErr(err)
			}
			if in.ExtendedDays+days > m.d.Rules.DecisionExtensionDays && strings.TrimSpace(collective) == "" {
				return &valid.FieldError{Path: "collective", Message: fmt.Sprintf(
					"延长超过%d日须经负责人集体讨论决定，请填写集体讨论记录 (beyond %d days only by a collective decision)",
					m.d.Rules.DecisionExtensionDays, m.d.Rules.DecisionExtensionDays)}
			}
			if collective != "" {
				reason += "（集体讨论：" + collective + "）"
			}
		} else if c.Status != StatusLead {
			return ErrState
		}
		x, err = m.d.Flow.RequestExtension(ctx, tx, iid, days, reason, a)
		return flowErr(err)
	})
	return x, err
}

// DecideExtension grants or refuses extension xid of case id.
func (m *Module) DecideExtension(ctx context.Context, a *auth.Actor, id, xid int64, grant bool, days int, reason string) (*flow.Extension, error) {
	var p valid.Problems
	text(&p, "reason", reason, false, 2000)
	if len(p) > 0 {
		return nil, p.Err()
	}
	var x *flow.Extension
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		xs, err := m.d.Flow.Extensions(ctx, c.instance())
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(xs, func(e flow.Extension) bool { return e.ID == xid }) {
			return ErrNotFound
		}
		x, err = m.d.Flow.DecideExtension(ctx, tx, xid, a, grant, days, reason)
		return flowErr(err)
	})
	return x, err
}

// Step is one line of a case's history, its lead's and its case's.
type Step struct {
	Phase  string `json:"phase"`
	Action string `json:"action"`
	To     string `json:"to"`
	Actor  string `json:"actor"`
	Note   string `json:"note,omitempty"`
	At     string `json:"at"`
}

// History returns the steps of case id, oldest first.
func (m *Module) History(ctx context.Context, a *auth.Actor, id int64, lang string) ([]Step, error) {
	c, err := m.Get(ctx, a, id, lang)
	if err != nil {
		return nil, err
	}
	var out []Step
	for _, iid := range []int64{c.LeadInstance, c.CaseInstance} {
		if iid == 0 {
			continue
		}
		in, err := m.d.Flow.Instance(ctx, iid)
		if err != nil {
			return nil, err
		}
		def, err := m.d.Flow.Definition(ctx, in.DefinitionKey, in.DefinitionVersion)
		if err != nil {
			return nil, err
		}
		hs, err := m.d.Flow.History(ctx, iid)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			out = append(out, Step{Phase: def.Name, Action: def.ActionLabel(h.Action, lang), To: def.StateLabel(h.To, lang),
				Actor: h.ActorName, Note: h.Comment, At: h.At.In(calendar.CST).Format("2006-01-02 15:04")})
		}
	}
	return out, nil
}

// Extensions lists the extension requests of case id's running instance.
func (m *Module) Extensions(ctx context.Context, a *auth.Actor, id int64) ([]flow.Extension, error) {
	c, err := m.Get(ctx, a, id, "zh-CN")
	if err != nil {
		return nil, err
	}
	if a.Has(auth.RoleEnterprise) {
		return nil, nil
	}
	var out []flow.Extension
	for _, iid := range []int64{c.LeadInstance, c.CaseInstance} {
		if iid == 0 {
			continue
		}
		xs, err := m.d.Flow.Extensions(ctx, iid)
		if err != nil {
			return nil, err
		}
		out = append(out, xs...)
	}
	return out, nil
}
