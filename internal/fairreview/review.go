package fairreview

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Item is one item of the self-review check-list: a standard of 第八条 to
// 第十一条 or of the 实施办法.
type Item struct {
	ID      string `json:"id"`
	Article string `json:"article"`
	Text    string `json:"text"`
}

// Checklist is the self-review check-list (第十三条), one item per standard.
var Checklist = []Item{
	{"8.1", "第八条第（一）项", "是否在市场准入负面清单以外增设准入审批程序"},
	{"8.2", "第八条第（二）项", "是否违法设置或者授予特许经营权"},
	{"8.3", "第八条第（三）项", "是否限定经营、购买或者使用特定经营者提供的商品或者服务"},
	{"8.4", "第八条第（四）项", "是否设置不合理或者歧视性的准入、退出条件"},
	{"9.1", "第九条第（一）项", "是否限制外地或者进口商品、要素进入本地市场，或者阻碍本地经营者迁出"},
	{"9.2", "第九条第（二）项", "是否排斥、限制、强制外地经营者在本地投资或者设立分支机构"},
	{"9.3", "第九条第（三）项", "是否排斥、限制外地经营者参加本地政府采购、招标投标"},
	{"9.4", "第九条第（四）项", "是否对外地或者进口商品、要素设置歧视性收费项目、收费标准、价格或者补贴"},
	{"9.5", "第九条第（五）项", "是否在资质标准、监管执法等方面对外地经营者设置歧视性要求"},
	{"10.1", "第十条第（一）项", "是否给予特定经营者税收优惠"},
	{"10.2", "第十条第（二）项", "是否给予特定经营者选择性、差异化的财政奖励或者补贴"},
	{"10.3", "第十条第（三）项", "是否给予特定经营者要素获取、行政事业性收费、政府性基金、社会保险费等方面的优惠"},
	{"11.1", "第十一条第（一）项", "是否强制或者变相强制经营者实施垄断行为，或者为其提供便利条件"},
	{"11.2", "第十一条第（二）项", "是否超越法定权限制定政府指导价、政府定价，为特定经营者提供优惠价格"},
	{"11.3", "第十一条第（三）项", "是否违法干预实行市场调节价的商品、要素的价格水平"},
	{"SS.1", "实施办法", "是否以在本地投资、设立分支机构作为经营条件"},
	{"SS.2", "实施办法", "是否以业绩所在地、奖项、纳税或社保缴纳地、注册地作为投标或评分条件、信用评价条件"},
	{"SS.3", "实施办法", "是否设置不合理的公示期、响应期"},
	{"SS.4", "实施办法", "是否以迁移注册地、在本地纳税或纳入本地统计作为奖励、补贴条件"},
}

// Answer is the drafter's answer to one item, with its reason.
type Answer struct {
	Item     string `json:"item"`
	Breaches bool   `json:"breaches"`
	Reason   string `json:"reason"`
}

// Exception is the claim of 第十二条: all three conditions and a term,
// explained in detail (第十七条).
type Exception struct {
	PublicInterest string `json:"public_interest"` // 国家安全、科技进步、节能环保等公共利益
	NoAlternative  string `json:"no_alternative"`  // 没有对公平竞争影响更小的替代方案
	Term           string `json:"term"`            // 合理的实施期限或者终止条件
	Explanation    string `json:"explanation"`     // 详细说明（第十七条）
}

// Validate refuses an exception without all three conditions, a term and a
// detailed explanation.
func (e *Exception) Validate() error {
	for _, f := range []struct{ name, v string }{{"public_interest", e.PublicInterest},
		{"no_alternative", e.NoAlternative}, {"term", e.Term}, {"explanation", e.Explanation}} {
		if err := checkText("exception."+f.name, f.v, 5000, true); err != nil {
			return err
		}
	}
	if len([]rune(strings.TrimSpace(e.Explanation))) < 20 {
		return &FieldError{"exception.explanation", "第十七条要求详细说明 (explain in detail, at least 20 characters)"}
	}
	return nil
}

// Decision is a reviewer's decision on one screening finding.
type Decision struct {
	Clause    int    `json:"clause"`
	Rule      string `json:"rule"`
	Confirmed bool   `json:"confirmed"`
}

// SelfReview is the drafting unit's self-review.
type SelfReview struct {
	Answers   []Answer   `json:"answers"`
	Decisions []Decision `json:"decisions"`
	Exception *Exception `json:"exception,omitempty"`
	Opinion   string     `json:"opinion"`
}

// SubmitSelfReview records the self-review of the drafting department. Every
// check-list item needs an answer with a reason; an exception needs all of
// 第十二条. The measure then goes to 会同审查 (第十四条) or straight to the legal
// department.
func (m *Module) SubmitSelfReview(ctx context.Context, a Actor, id int64, sr SelfReview) (*Measure, error) {
	ms, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if ms.DepartmentID != a.DepartmentID {
		return nil, ErrNotFound
	}
	if ms.Status != StatusSelfReview {
		return nil, ErrState
	}
	got := map[string]Answer{}
	for _, an := range sr.Answers {
		if err := checkText("answers."+an.Item+".reason", an.Reason, 2000, true); err != nil {
			return nil, err
		}
		got[an.Item] = an
	}
	for _, it := range Checklist {
		if _, ok := got[it.ID]; !ok {
			return nil, &FieldError{"answers." + it.ID, "未作答 (" + it.Article + " not answered)"}
		}
	}
	if err := checkText("opinion", sr.Opinion, 5000, true); err != nil {
		return nil, err
	}
	if sr.Exception != nil {
		if err := sr.Exception.Validate(); err != nil {
			return nil, err
		}
	}
	for _, d := range sr.Decisions {
		if d.Clause < 0 || d.Clause >= len(ms.Clauses) {
			return nil, &FieldError{"decisions.clause", "无此条款 (no such clause)"}
		}
	}
	for _, d := range sr.Decisions {
		if err := m.d.Screener.Feedback(ctx, d.Rule, ms.Clauses[d.Clause].Text, d.Confirmed, a.UserID); err != nil {
			return nil, fmt.Errorf("fairreview: feedback: %w", err)
		}
	}
	srj, _ := json.Marshal(sr)
	exj := ""
	if sr.Exception != nil {
		b, _ := json.Marshal(sr.Exception)
		exj = string(b)
	}
	next, due := StatusLegalReview, m.due(m.d.Limits.LegalReview)
	if ms.Joint() {
		next, due = StatusJointReview, m.due(m.d.Limits.JointReview)
	}
	if err := m.change(ctx, a, "self_review", ms, nil, `UPDATE fr_measures SET self_review = ?, exception = ?, status = ?, stage_due_on = ?,
		reviewed_body = body WHERE id = ? AND status = ?`, string(srj), exj, next, due, id, StatusSelfReview); err != nil {
		return nil, err
	}
	return m.load(ctx, m.d.DB, id)
}

// Amend replaces the text while the measure is in review; it goes back to
// self-review and is screened again.
func (m *Module) Amend(ctx context.Context, a Actor, id int64, body string) (*Measure, error) {
	ms, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if ms.DepartmentID != a.DepartmentID {
		return nil, ErrNotFound
	}
	if ms.Status == StatusIssued || ms.Status == StatusNoReview {
		return nil, ErrState
	}
	if err := checkText("body", body, 200000, true); err != nil {
		return nil, err
	}
	clauses, err := m.d.Screener.Screen(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("fairreview: screen: %w", err)
	}
	fj, _ := json.Marshal(clauses)
	if err := m.change(ctx, a, "amend", ms, nil, `UPDATE fr_measures SET body = ?, findings = ?, status = ?, conclusion = '',
		reviewed_body = '', stage_due_on = ? WHERE id = ?`, body, string(fj), StatusSelfReview, m.due(m.d.Limits.SelfReview), id); err != nil {
		return nil, err
	}
	return m.load(ctx, m.d.DB, id)
}

// JointReview records the market-regulation review office's opinion (第十四条).
func (m *Module) JointReview(ctx context.Context, a Actor, id int64, opinion string) (*Measure, error) {
	if !a.Office {
		return nil, ErrNotFound
	}
	ms, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if ms.Status != StatusJointReview {
		return nil, ErrState
	}
	if err := checkText("opinion", opinion, 5000, true); err != nil {
		return nil, err
	}
	if err := m.change(ctx, a, "joint_review", ms, nil, `UPDATE fr_measures SET joint_opinion = ?, status = ?, stage_due_on = ? WHERE id = ?`,
		opinion, StatusLegalReview, m.due(m.d.Limits.LegalReview), id); err != nil {
		return nil, err
	}
	return m.load(ctx, m.d.DB, id)
}

// LegalReview records the legal department's re-review (双审制) and the
// conclusion. An exception conclusion needs the drafter's 第十二条 claim; a
// conclusion allowing a measure with confirmed findings is refused unless
// it is an exception.
func (m *Module) LegalReview(ctx context.Context, a Actor, id int64, opinion, conclusion string) (*Measure, error) {
	if !a.Legal {
		return nil, ErrNotFound
	}
	ms, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if ms.Status != StatusLegalReview {
		return nil, ErrState
	}
	if err := checkText("opinion", opinion, 5000, true); err != nil {
		return nil, err
	}
	switch conclusion {
	case ConclusionAllow, ConclusionAmend, ConclusionForbid:
	case ConclusionException:
		if ms.Exception == "" {
			return nil, &FieldError{"conclusion", "未按第十二条申请例外 (no exception claimed)"}
		}
	default:
		return nil, &FieldError{"conclusion", "未知结论 (unknown conclusion)"}
	}
	if conclusion == ConclusionAllow && confirmedFindings(ms) > 0 {
		return nil, &FieldError{"conclusion", "存在已确认的违反标准条款，不得出具可以出台的结论 (confirmed findings)"}
	}
	if err := m.change(ctx, a, "legal_review", ms, map[string]any{"conclusion": conclusion}, `UPDATE fr_measures SET legal_opinion = ?, conclusion = ?, status = ?, stage_due_on = '' WHERE id = ?`,
		opinion, conclusion, StatusConcluded, id); err != nil {
		return nil, err
	}
	return m.load(ctx, m.d.DB, id)
}

// confirmedFindings counts findings the drafter confirmed in self-review.
func confirmedFindings(ms *Measure) int {
	var sr SelfReview
	if json.Unmarshal([]byte(ms.SelfReview), &sr) != nil {
		return 0
	}
	n := 0
	for _, d := range sr.Decisions {
		if d.Confirmed {
			n++
		}
	}
	return n
}

// Allows reports whether a conclusion allows issuing (第十八条).
func Allows(conclusion string) bool {
	return conclusion == ConclusionAllow || conclusion == ConclusionException
}

// DiffError refuses issuing a text that differs from the reviewed one; Diff
// shows the lines.
type DiffError struct{ Diff []DiffLine }

// Conflict makes the refusal a 409.
func (e *DiffError) Conflict() bool { return true }

func (e *DiffError) Error() string {
	return "fairreview: the issued text differs from the reviewed text (出台文本与审查文本不一致)"
}

// Issue marks the measure issued with its issued text. It is refused
// without a conclusion that allows it (第十八条) and when the text differs
// from the reviewed one.
func (m *Module) Issue(ctx context.Context, a Actor, id int64, text string) (*Measure, error) {
	ms, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if ms.DepartmentID != a.DepartmentID {
		return nil, ErrNotFound
	}
	if ms.Status == StatusNoReview {
		// A measure that needs no review is issued as registered.
		ms.ReviewedBody = ms.Body
	} else if ms.Status != StatusConcluded || !Allows(ms.Conclusion) {
		return nil, ErrState
	}
	if text == "" {
		text = ms.ReviewedBody
	}
	if err := checkText("text", text, 200000, true); err != nil {
		return nil, err
	}
	if d := Diff(ms.ReviewedBody, text); Changed(d) {
		return nil, &DiffError{Diff: d}
	}
	if err := m.change(ctx, a, "issue", ms, nil, `UPDATE fr_measures SET issued_body = ?, status = ?, issued_on = ? WHERE id = ?`,
		text, StatusIssued, m.today(), id); err != nil {
		return nil, err
	}
	return m.load(ctx, m.d.DB, id)
}
