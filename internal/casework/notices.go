package casework

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
)

// NoticeKind names a written document the law requires an applicant to
// receive at a step of their case.
type NoticeKind string

// The documents of 行政许可法 that an application produces.
const (
	// NoticeAcceptance is the 受理通知书 (第三十二条).
	NoticeAcceptance NoticeKind = "acceptance"
	// NoticeNonAcceptance is the 不予受理通知书 with its reason (第三十二条).
	NoticeNonAcceptance NoticeKind = "non_acceptance"
	// NoticeCorrection is the 补正材料通知书, one per application, listing
	// everything to correct at once (第三十二条, 一次性告知).
	NoticeCorrection NoticeKind = "correction"
	// NoticeExtension is the 延期通知 with the approved reason (第四十二条).
	NoticeExtension NoticeKind = "extension"
	// NoticeExcludedPeriod tells the applicant of a period not counted in
	// the limit (听证, 检验, 专家评审 …) and how long it takes (第四十五条).
	NoticeExcludedPeriod NoticeKind = "excluded_period"
	// NoticeSuspension and NoticeTermination record 中止 and 终止 with
	// their grounds.
	NoticeSuspension  NoticeKind = "suspension"
	NoticeTermination NoticeKind = "termination"
	// NoticeApproval is the 准予行政许可决定书.
	NoticeApproval NoticeKind = "approval"
	// NoticeRefusal is the 不予行政许可决定书 with its reasons and the
	// applicant's right to 行政复议 or 行政诉讼 and their limits (第三十八条).
	NoticeRefusal NoticeKind = "refusal"
)

// NoticeRequest is what a step of the case tells the notice issuer: the
// application as it stands after the step, and what the step decided.
type NoticeRequest struct {
	Kind NoticeKind
	App  *Application
	// Reason is the step's reason or grounds in the officer's words.
	Reason string
	// Items lists what the document enumerates: the materials to correct,
	// the excluded procedure, and the like.
	Items []string
	// Review says a 补正 was asked during review rather than at intake.
	Review bool
	// Deemed says the acceptance is the one 第三十二条 deems made when the
	// time to decide on intake passed.
	Deemed bool
	// Until is the date the document sets: the extended deadline, the date
	// materials are due, the expected end of an excluded period.
	Until time.Time
	// Days is the length the document states, in the unit of Unit.
	Days int
	// Unit is "working_days" or "days".
	Unit string
	// ActorID and ActorName are the officer who took the step (0 and
	// 系统（自动） for the system).
	ActorID   int64
	ActorName string
	At        time.Time
}

// NoticeRef identifies an issued document to the case: its number and the
// public link its QR code carries.
type NoticeRef struct {
	ID       int64
	Number   string
	Kind     NoticeKind
	Title    string
	IssuedAt time.Time
	// VerifyURL is the public address of the document's check (relative
	// when the platform's base URL is not configured).
	VerifyURL string
}

// Notices issues the applicant's documents in the transaction of the step
// that requires them, so that no step commits without its document.
type Notices interface {
	Issue(ctx context.Context, tx store.IDB, req NoticeRequest) (NoticeRef, error)
	// ForApplication lists the documents issued on an application, oldest
	// first, for a reader the case page has already authorised.
	ForApplication(ctx context.Context, applicationID int64) ([]NoticeRef, error)
}

// issueNotice issues req's document when the module has an issuer, and
// does nothing otherwise (tests that do not care about documents).
func (m *Module) issueNotice(ctx context.Context, tx store.IDB, req NoticeRequest) (NoticeRef, error) {
	if m.d.Notices == nil {
		return NoticeRef{}, nil
	}
	if req.At.IsZero() {
		req.At = m.now()
	}
	return m.d.Notices.Issue(ctx, tx, req)
}

// stepNotice issues the document the law ties to step s, just taken on
// app: 受理 (with the date the decision is due and any 容缺 materials with
// their dates), 不予受理 with the reason, 补正 listing every material at
// once, and 不予许可 with its reasons. An approval issues its decision in
// approveApp, which the instant path takes too.
func (m *Module) stepNotice(ctx context.Context, tx store.IDB, a *auth.Actor, app *Application, inst *flow.Instance, s step) error {
	req := NoticeRequest{App: app, ActorID: actorID(a), ActorName: actorName(a)}
	switch s.action {
	case "accept", "accept_shortfall":
		req.Kind, req.Until, req.Deemed = NoticeAcceptance, inst.DueAt, s.deemed
		for _, mt := range app.Materials {
			if !mt.Missing() {
				continue
			}
			due := mt.DueAt
			if due.IsZero() {
				due = app.ShortfallDue
			}
			item := mt.Name
			if !due.IsZero() {
				item += "（" + due.In(cst).Format("2006年1月2日") + "前补交）"
			}
			req.Items = append(req.Items, item)
		}
	case "refuse":
		req.Kind, req.Reason = NoticeNonAcceptance, s.comment
	case "ask_intake_correction", "ask_correction":
		req.Kind, req.Reason, req.Items = NoticeCorrection, s.comment, splitList(s.inputs["materials"])
		req.Review = s.action == "ask_correction"
	case "reject":
		req.Kind, req.Reason = NoticeRefusal, app.DecisionReason
	case "start_special":
		days, _ := strconv.Atoi(s.inputs["days"])
		req.Kind, req.Reason, req.Items = NoticeExcludedPeriod, s.inputs["procedure"], []string{s.comment}
		req.Days, req.Unit, req.Until = days, "days", m.now().AddDate(0, 0, days)
	case "suspend":
		req.Kind, req.Reason = NoticeSuspension, s.comment
	case "terminate":
		req.Kind, req.Reason = NoticeTermination, s.comment
	default:
		return nil
	}
	_, err := m.issueNotice(ctx, tx, req)
	return err
}

// splitList splits the officer's list of materials into its entries: one
// per line, or separated by 、；; as people write them.
func splitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '\n', '\r', '；', ';', '、':
			return true
		}
		return false
	})
	out := f[:0]
	for _, x := range f {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
