package hotline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Outbox topics the hotline writes (besides the engine's flow.* events).
const (
	// TopicReplied: an order (and the orders merged into it) got a reply;
	// notifiers tell every caller.
	TopicReplied = "hotline.replied"
	// TopicFeedback: an enterprise appeal was answered; it goes both to
	// the enterprise and to the supervisor (双反馈).
	TopicFeedback = "hotline.feedback"
	// TopicNotify: something the citizen must be told (an extension).
	TopicNotify = "hotline.notify"
	// TopicTransfer110: an order to send to 110; Deliver110 handles it.
	TopicTransfer110 = "hotline.transfer_110"
)

// sendBackWindow is how long after dispatch a department may send a
// misrouted order back.
const sendBackWindow = 24 * time.Hour

// flowError turns the engine's refusals into the hotline's errors.
func flowError(err error) error {
	var ie *flow.InputError
	switch {
	case errors.As(err, &ie):
		var p problems
		for _, x := range ie.Problems {
			p.add(x.Key, x.Message)
		}
		return p.err()
	case errors.Is(err, flow.ErrNoSuchAction), errors.Is(err, flow.ErrFinished), errors.Is(err, flow.ErrExtensionNotAllowed):
		return fmt.Errorf("%w: %v", ErrState, err)
	case errors.Is(err, flow.ErrConflict):
		return fmt.Errorf("%w: %v", ErrState, err)
	case errors.Is(err, flow.ErrForbidden):
		return fmt.Errorf("%v: %w", err, auth.ErrForbidden)
	case errors.Is(err, flow.ErrNotFound):
		return fmt.Errorf("%v: %w", err, ErrNotFound)
	}
	return err
}

// step is one workflow action on an order: check decides whether the order
// and actor allow it, then the engine takes the action and update writes
// the order's own columns, all in one transaction.
type step struct {
	action  string
	comment string
	inputs  map[string]string
	lead    bool // only the lead department's handlers (and hotline staff) may take it
	check   func(o *Order) error
	update  func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error
}

// apply runs s on order id for a.
func (m *Module) apply(ctx context.Context, a *auth.Actor, id int64, s step) (*Order, error) {
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, s.lead); err != nil {
			return err
		}
		if s.check != nil {
			if err := s.check(o); err != nil {
				return err
			}
		}
		if _, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: o.InstanceID, Action: s.action,
			Actor: a, Inputs: s.inputs, Comment: s.comment}); err != nil {
			return flowError(err)
		}
		now := store.Time(m.d.Now())
		if err := s.update(ctx, tx, o, now); err != nil {
			return fmt.Errorf("hotline: %s %s: %w", s.action, o.Number, err)
		}
		return m.recordDue(ctx, tx, o.ID)
	})
	if err != nil {
		return nil, err
	}
	// Read without the scope check: a send-back takes the order out of
	// the sender's scope, yet the sender is told the result.
	o, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	return m.present(a, o), nil
}

// recordDue keeps on the order the deadline of the step it is in: the
// sign-for limit while it waits to be signed for and the handling limit
// (moved by granted extensions) while it is handled. The engine keeps only
// the current step's deadline; the figures judge 响应率 and 按时办结率
// against these after the order has moved on.
func (m *Module) recordDue(ctx context.Context, tx store.Tx, id int64) error {
	in, err := m.d.Flow.InstanceFor(ctx, tx, Kind, id)
	if err != nil {
		return err
	}
	var col string
	switch in.State {
	case string(StatusDispatched):
		col = "sign_due_at"
	case string(StatusHandling):
		col = "reply_due_at"
	default:
		return nil
	}
	_, err = tx.ExecContext(ctx, "UPDATE hotline_orders SET "+col+" = ? WHERE id = ?", store.Nullable(in.StateDueAt), id)
	return err
}

// authorizeAct checks that a may work on o: an order a may not read is not
// found; one a may read but not act on is forbidden. With lead, a
// department handler must belong to the lead department (assisting
// departments contribute but do not sign, send back or reply).
func (m *Module) authorizeAct(a *auth.Actor, o *Order, lead bool) error {
	if m.d.Policy.Authorize(a, auth.ActRead, o.Object()) != nil {
		return fmt.Errorf("hotline: order %d: %w", o.ID, ErrNotFound)
	}
	if err := m.d.Policy.Authorize(a, auth.ActAct, o.Object()); err != nil {
		return err
	}
	if lead && a.Has(auth.RoleHandler) && !a.HasAny(auth.RoleSystem) && !a.InDepartment(o.LeadDept) {
		return fmt.Errorf("hotline: order %d: only the lead department may do this: %w", o.ID, auth.ErrForbidden)
	}
	return nil
}

func wantStatus(ss ...Status) func(o *Order) error {
	return func(o *Order) error {
		if !slices.Contains(ss, o.Status) {
			return fmt.Errorf("%w: 工单当前状态为%s (order is %s)", ErrState, o.Status.Name(), o.Status)
		}
		return nil
	}
}

func text(field, v string, max int, required bool) error {
	v = strings.TrimSpace(v)
	switch n := utf8.RuneCountInString(v); {
	case required && n == 0:
		return &FieldError{Name: field, Message: "此项必填 (required)"}
	case n > max:
		return &FieldError{Name: field, Message: fmt.Sprintf("不超过%d字 (at most %d characters)", max, max)}
	}
	return nil
}

// DispatchInput says where an order goes.
type DispatchInput struct {
	Lead    int64   `json:"lead_department_id" doc:"The department that leads (主办)"`
	Assist  []int64 `json:"assist_department_ids,omitempty" doc:"Assisting departments (协办), for co-handling"`
	Comment string  `json:"comment,omitempty" maxLength:"1000"`
}

// Dispatch sends a new (or sent-back) order to a lead department and, for
// co-handling, assisting departments. The sign-for limit starts now. An
// order in a jurisdiction dispute is dispatched by DecideJurisdiction
// (ErrDisputeOpen here).
func (m *Module) Dispatch(ctx context.Context, a *auth.Actor, id int64, in DispatchInput) (*Order, error) {
	return m.dispatch(ctx, a, id, in, "", nil)
}

// dispatch is Dispatch with the history's comment starting with prefix;
// with decide, the order's open dispute is decided by decide in the same
// transaction, and without it an open dispute refuses the dispatch.
func (m *Module) dispatch(ctx context.Context, a *auth.Actor, id int64, in DispatchInput, prefix string,
	decide func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error) (*Order, error) {
	var p problems
	if d, err := m.d.Org.GetDepartment(ctx, in.Lead); in.Lead == 0 || err != nil || !d.Active {
		p.add("lead_department_id", "请选择有效的主办部门 (choose an active lead department)")
	}
	seen := map[int64]bool{in.Lead: true}
	for _, x := range in.Assist {
		if seen[x] {
			p.add("assist_department_ids", "协办部门不能重复，也不能是主办部门 (assisting departments must differ)")
			break
		}
		seen[x] = true
		if d, err := m.d.Org.GetDepartment(ctx, x); err != nil || !d.Active {
			p.add("assist_department_ids", "协办部门无效 (unknown assisting department)")
			break
		}
	}
	if len(in.Assist) > 5 {
		p.add("assist_department_ids", "协办部门最多5个 (at most 5 assisting departments)")
	}
	if err := text("comment", in.Comment, 1000, false); err != nil {
		p = append(p, err)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if !a.HasAny(auth.RoleDispatcher, auth.RoleOperator, auth.RoleSystem) {
		return nil, auth.ErrForbidden
	}
	depts := append([]int64{in.Lead}, in.Assist...)
	// The history says where the order went, as a sentence.
	where := "派至" + m.departmentName(ctx, in.Lead)
	for i, x := range in.Assist {
		where += map[bool]string{true: "，协办：", false: "、"}[i == 0] + m.departmentName(ctx, x)
	}
	comment := prefix + where
	if c := strings.TrimSpace(in.Comment); c != "" {
		comment += "。" + c
	}
	return m.apply(ctx, a, id, step{action: "dispatch", comment: comment, check: wantStatus(StatusNew),
		update: func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			if decide != nil {
				if err := decide(ctx, tx, o, now); err != nil {
					return err
				}
			} else if d, err := m.latestDispute(ctx, tx, o.ID); err != nil {
				return err
			} else if d != nil && d.Open() {
				return ErrDisputeOpen
			}
			if err := m.d.Flow.SetDepartments(ctx, tx, o.InstanceID, depts, a); err != nil {
				return err
			}
			var assistDue any
			if len(in.Assist) > 0 {
				assistDue = store.Time(m.d.Flow.Calendar().AddWorkingDays(now, m.set.CoHandleDays))
			}
			_, err := tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, lead_department_id = ?,
				assist_department_ids = ?, dispatched_at = ?, signed_at = NULL, sent_back_at = NULL, assist_due_at = ?,
				first_department_id = CASE WHEN first_department_id = 0 THEN ? ELSE first_department_id END,
				updated_at = ? WHERE id = ?`,
				StatusDispatched, in.Lead, store.FormatIDs(in.Assist), now, assistDue, in.Lead, now, o.ID)
			if err != nil {
				return err
			}
			return setAssists(ctx, tx, o.ID, in.Assist)
		}})
}

// SignFor records that the lead department accepted the order (签收); the
// handling limit starts now.
func (m *Module) SignFor(ctx context.Context, a *auth.Actor, id int64) (*Order, error) {
	return m.apply(ctx, a, id, step{action: "sign", lead: true, check: wantStatus(StatusDispatched),
		update: func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			_, err := tx.ExecContext(ctx, "UPDATE hotline_orders SET status = ?, signed_at = ?, updated_at = ? WHERE id = ?",
				StatusHandling, now, now, o.ID)
			return err
		}})
}

// SendBackInput is why a department sends an order back (退单).
type SendBackInput struct {
	// Code is one of the standard reasons (Settings.SendBackReasons);
	// empty takes Reason alone.
	Code string `json:"code,omitempty" doc:"Standard reason key from the hotline settings"`
	// Reason says more; required without a Code.
	Reason string `json:"reason,omitempty" maxLength:"1000"`
	// Suggest is the department the sender thinks the order belongs to,
	// shown to the dispatcher; 0 for none.
	Suggest int64 `json:"suggest_department_id,omitempty"`
}

// SendBack returns a misrouted order to the dispatcher with a reason (退单).
// It is refused (ErrSendBackLate) more than 24 hours after dispatch.
func (m *Module) SendBack(ctx context.Context, a *auth.Actor, id int64, reason string) (*Order, error) {
	return m.SendBackWith(ctx, a, id, SendBackInput{Reason: reason})
}

// SendBackWith is SendBack with a standard reason and a suggested
// department: the order waits for dispatch again marked as sent back, with
// the reason, the refusing department and the suggestion, until it is
// dispatched anew.
func (m *Module) SendBackWith(ctx context.Context, a *auth.Actor, id int64, in SendBackInput) (*Order, error) {
	in.Code, in.Reason = strings.TrimSpace(in.Code), strings.TrimSpace(in.Reason)
	var p problems
	std, known := m.set.Reason(in.Code)
	if in.Code != "" && !known {
		p.add("code", "请选择标准退单原因 (choose a standard reason)")
	}
	if err := text("reason", in.Reason, 1000, in.Code == "" || in.Code == "other"); err != nil {
		p = append(p, err)
	}
	if in.Suggest != 0 {
		if d, err := m.d.Org.GetDepartment(ctx, in.Suggest); err != nil || !d.Active {
			p.add("suggest_department_id", "建议部门无效 (unknown department)")
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	comment := in.Reason
	if known {
		comment = "退单原因：" + std.Name
		if in.Reason != "" {
			comment += "。" + in.Reason
		}
	}
	if in.Suggest != 0 {
		comment += "。建议派至" + m.departmentName(ctx, in.Suggest)
	}
	return m.apply(ctx, a, id, step{action: "send_back", comment: comment, lead: true,
		check: func(o *Order) error {
			if err := wantStatus(StatusDispatched, StatusHandling)(o); err != nil {
				return err
			}
			if m.d.Now().Sub(o.DispatchedAt) > sendBackWindow {
				return ErrSendBackLate
			}
			if in.Suggest != 0 && in.Suggest == o.LeadDept {
				return &FieldError{Name: "suggest_department_id", Message: "建议部门不能是退单部门本身 (suggest another department)"}
			}
			return nil
		},
		update: func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			if err := m.checkNotDecided(ctx, tx, o); err != nil {
				return err
			}
			if err := m.d.Flow.SetDepartments(ctx, tx, o.InstanceID, nil, a); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, lead_department_id = 0,
				assist_department_ids = '', dispatched_at = NULL, signed_at = NULL, assist_due_at = NULL, sent_back_at = ?,
				sent_back_by = ?, sent_back_code = ?, sent_back_reason = ?, sent_back_suggest = ?, updated_at = ? WHERE id = ?`,
				StatusNew, now, o.LeadDept, in.Code, in.Reason, in.Suggest, now, o.ID)
			if err != nil {
				return err
			}
			if err := m.recordRefusal(ctx, tx, a, o, o.LeadDept, now); err != nil {
				return err
			}
			if err := tellDispatchers(ctx, tx, now, o, "send_back", "工单被退回："+o.Number,
				fmt.Sprintf("%s退回了工单%s：%s，请重新派单。", m.departmentName(ctx, o.LeadDept), o.Number, pii.MaskText(comment)),
				"/hotline/orders/"+strconv.FormatInt(o.ID, 10)); err != nil {
				return err
			}
			return setAssists(ctx, tx, o.ID, nil)
		}})
}

// setAssists replaces the assisting departments' entries of order id
// (hotline_order_assists, which their handlers' lists read), in tx.
func setAssists(ctx context.Context, tx store.IDB, id int64, depts []int64) error {
	if _, err := store.Exec(ctx, tx, "DELETE FROM hotline_order_assists WHERE order_id = ?", id); err != nil {
		return fmt.Errorf("hotline: order %d: assisting departments: %w", id, err)
	}
	for _, d := range depts {
		if _, err := store.Exec(ctx, tx, "INSERT INTO hotline_order_assists (department_id, order_id) VALUES (?, ?) ON CONFLICT DO NOTHING", d, id); err != nil {
			return fmt.Errorf("hotline: order %d: assisting departments: %w", id, err)
		}
	}
	return nil
}

// Reply records the lead department's answer (答复). The orders merged
// into this one receive the same reply, so every caller gets it; an
// enterprise appeal's reply also goes to the supervisor.
func (m *Module) Reply(ctx context.Context, a *auth.Actor, id int64, reply string) (*Order, error) {
	if err := text("reply", reply, maxReply, true); err != nil {
		return nil, err
	}
	reply = strings.TrimSpace(reply)
	return m.apply(ctx, a, id, step{action: "reply", comment: reply, lead: true, check: wantStatus(StatusHandling),
		update: func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			cs, err := m.contributions(ctx, tx, nil, o)
			if err != nil {
				return err
			}
			reply := replyWithParts(reply, cs)
			if _, err := tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, reply_text = ?, replied_at = ?,
				updated_at = ? WHERE id = ?`, StatusReplied, reply, now, now, o.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE hotline_orders SET reply_text = ?, replied_at = ?, updated_at = ?
				WHERE merged_into = ?`, reply, now, now, o.ID); err != nil {
				return err
			}
			merged, err := mergedInto(ctx, tx, o.ID)
			if err != nil {
				return err
			}
			if err := outbox.Add(ctx, tx, now, TopicReplied, map[string]any{"order_id": o.ID, "number": o.Number,
				"merged_order_ids": merged}); err != nil {
				return err
			}
			if o.Type.Appeal() {
				return outbox.Add(ctx, tx, now, TopicFeedback, map[string]any{"order_id": o.ID, "number": o.Number,
					"uscc": o.USCC, "audiences": []string{"enterprise", "supervisor"}})
			}
			return nil
		}})
}

func mergedInto(ctx context.Context, tx store.IDB, id int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM hotline_orders WHERE merged_into = ? ORDER BY id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ReturnReply sends an inadequate reply back to the department (退回重办)
// before closure.
func (m *Module) ReturnReply(ctx context.Context, a *auth.Actor, id int64, reason string) (*Order, error) {
	if err := text("reason", reason, 1000, true); err != nil {
		return nil, err
	}
	return m.apply(ctx, a, id, step{action: "return", comment: strings.TrimSpace(reason), check: wantStatus(StatusReplied),
		update: func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			_, err := tx.ExecContext(ctx, "UPDATE hotline_orders SET status = ?, updated_at = ? WHERE id = ?", StatusHandling, now, o.ID)
			return err
		}})
}

// Close closes a replied order (办结); the return visit follows.
func (m *Module) Close(ctx context.Context, a *auth.Actor, id int64, note string) (*Order, error) {
	if err := text("comment", note, 1000, false); err != nil {
		return nil, err
	}
	return m.apply(ctx, a, id, step{action: "close", comment: strings.TrimSpace(note), check: wantStatus(StatusReplied),
		update: func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			_, err := tx.ExecContext(ctx, "UPDATE hotline_orders SET status = ?, closed_at = ?, updated_at = ? WHERE id = ?",
				StatusClosed, now, now, o.ID)
			return err
		}})
}

// VisitInput is the outcome of a return visit.
type VisitInput struct {
	Solved       bool         `json:"solved"`
	Satisfaction Satisfaction `json:"satisfaction" enum:"satisfied,basic_satisfied,dissatisfied"`
	// Reasonable marks a dissatisfaction for a cause the department could
	// have avoided: the order is then reopened (重办) to the same department.
	Reasonable bool   `json:"reasonable,omitempty"`
	Note       string `json:"note,omitempty" maxLength:"1000"`
}

// Visit records the return visit of a closed order (回访). A dissatisfied
// citizen with a reasonable cause reopens the order (重办) to the same
// department, with its history and a fresh handling limit; otherwise the
// order ends as visited.
func (m *Module) Visit(ctx context.Context, a *auth.Actor, id int64, in VisitInput) (*Order, error) {
	in.Note = strings.TrimSpace(in.Note)
	var p problems
	switch in.Satisfaction {
	case Satisfied, BasicSatisfied, Dissatisfied:
	default:
		p.add("satisfaction", "请选择满意、基本满意或不满意 (choose a satisfaction level)")
	}
	if in.Reasonable && in.Satisfaction != Dissatisfied {
		p.add("reasonable", "仅不满意时可认定诉求合理 (only a dissatisfied visit can be reasonable)")
	}
	if err := text("note", in.Note, 1000, in.Reasonable); err != nil {
		p = append(p, err)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	s := step{check: wantStatus(StatusClosed)}
	reopen := in.Satisfaction == Dissatisfied && in.Reasonable
	if reopen {
		s.action, s.comment = "reopen", "回访不满意，重办："+in.Note
	} else {
		s.action, s.comment, s.inputs = "visit", in.Note, map[string]string{"satisfaction": string(in.Satisfaction)}
	}
	s.update = func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
		status, closedAt, reopens := StatusVisited, any(o.ClosedAt), o.ReopenCount
		if reopen {
			status, closedAt, reopens = StatusHandling, nil, reopens+1
		}
		_, err := tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, visit_solved = ?, visit_satisfaction = ?,
			visit_note = ?, visited_at = ?, reopen_count = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
			status, in.Solved, in.Satisfaction, in.Note, now, reopens, closedAt, now, o.ID)
		return err
	}
	return m.apply(ctx, a, id, s)
}

// RequestExtension asks, before the deadline, for more working days
// (lead department); the dispatcher grants or refuses.
func (m *Module) RequestExtension(ctx context.Context, a *auth.Actor, id int64, days int, reason string) (*flow.Extension, error) {
	var x *flow.Extension
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, true); err != nil {
			return err
		}
		if err := wantStatus(StatusHandling)(o); err != nil {
			return err
		}
		if x, err = m.d.Flow.RequestExtension(ctx, tx, o.InstanceID, days, strings.TrimSpace(reason), a); err != nil {
			return flowError(err)
		}
		return tellDispatchers(ctx, tx, m.d.Now(), o, "extension_request", "延期申请待审核："+o.Number,
			fmt.Sprintf("%s申请工单%s延期%d个工作日，请在延期审核队列中审核。", m.departmentName(ctx, o.LeadDept), o.Number, days),
			"/hotline/extensions")
	})
	return x, err
}

// DecideExtension grants (moving the deadline) or refuses extension xid of
// order id (dispatchers), and tells the citizen.
func (m *Module) DecideExtension(ctx context.Context, a *auth.Actor, id, xid int64, grant bool, days int, reason string) (*flow.Extension, error) {
	var x *flow.Extension
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, false); err != nil {
			return err
		}
		xs, err := m.d.Flow.Extensions(ctx, o.InstanceID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(xs, func(e flow.Extension) bool { return e.ID == xid }) {
			return ErrNotFound
		}
		if x, err = m.d.Flow.DecideExtension(ctx, tx, xid, a, grant, days, strings.TrimSpace(reason)); err != nil {
			return flowError(err)
		}
		in, err := m.d.Flow.InstanceFor(ctx, tx, Kind, o.ID)
		if err != nil {
			return err
		}
		if err := m.recordDue(ctx, tx, o.ID); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicNotify, map[string]any{"order_id": o.ID, "number": o.Number,
			"kind": "extension", "granted": grant, "days": x.GrantedDays, "due_at": in.StateDueAt,
			"message": extensionMessage(o.Number, grant, x.GrantedDays, in.StateDueAt)})
	})
	return x, err
}

func extensionMessage(number string, grant bool, days int, due time.Time) string {
	if grant {
		return fmt.Sprintf("您的工单%s办理时限已延长%d个工作日，新的办理期限为%s。", number, days, due.In(cst).Format("2006-01-02"))
	}
	return fmt.Sprintf("您的工单%s的延期申请未获批准，将按原期限办理。", number)
}

// Extensions lists the extension requests of order id.
func (m *Module) Extensions(ctx context.Context, a *auth.Actor, id int64) ([]flow.Extension, error) {
	o, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return m.extensions(ctx, a, o)
}

// Merge merges new order id into master (a duplicate): it ends its own
// workflow and takes the master's reply when there is one (now or later).
func (m *Module) Merge(ctx context.Context, a *auth.Actor, id, master int64) (*Order, error) {
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, false); err != nil {
			return err
		}
		return m.merge(ctx, tx, a, o, master, store.Time(m.d.Now()))
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id)
}

func (m *Module) merge(ctx context.Context, tx store.Tx, a *auth.Actor, o *Order, masterID int64, now time.Time) error {
	if err := wantStatus(StatusNew)(o); err != nil {
		return err
	}
	master, err := m.load(ctx, tx, masterID)
	if err == nil && master.MergedInto != 0 {
		master, err = m.load(ctx, tx, master.MergedInto)
	}
	if err != nil || master.ID == o.ID || m.d.Policy.Authorize(a, auth.ActRead, master.Object()) != nil {
		return &FieldError{Name: "merge_into", Message: "主工单不存在 (no such master order)"}
	}
	if master.Status == StatusTransferred || master.Status == StatusMerged {
		return &FieldError{Name: "merge_into", Message: "该工单不能作为主工单 (that order cannot be a master)"}
	}
	if _, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: o.InstanceID, Action: "merge", Actor: a,
		Comment: "合并至 " + master.Number}); err != nil {
		return flowError(err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, merged_into = ?, reply_text = ?, replied_at = ?,
		updated_at = ? WHERE id = ?`, StatusMerged, master.ID, master.ReplyText, store.Nullable(master.RepliedAt), now, o.ID)
	if err != nil {
		return fmt.Errorf("hotline: merge %s: %w", o.Number, err)
	}
	_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.merge",
		ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode, Detail: map[string]any{"master": master.Number}})
	return err
}

// Merged returns the orders merged into order id.
func (m *Module) Merged(ctx context.Context, a *auth.Actor, id int64) ([]Order, error) {
	if _, err := m.Get(ctx, a, id); err != nil {
		return nil, err
	}
	ids, err := mergedInto(ctx, m.d.DB, id)
	if err != nil {
		return nil, fmt.Errorf("hotline: merged into %d: %w", id, err)
	}
	out := make([]Order, 0, len(ids))
	for _, x := range ids {
		o, err := m.load(ctx, m.d.DB, x)
		if err != nil {
			return nil, err
		}
		out = append(out, *m.presentList(a, o))
	}
	return out, nil
}

// History returns the workflow history of order id, its comments masked
// as present masks the order's free text.
func (m *Module) History(ctx context.Context, a *auth.Actor, id int64) ([]flow.HistoryEntry, error) {
	o, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return m.history(ctx, a, o)
}

// history returns the history of o, already read by a: its comments are
// free text like the content, masked as present masks it.
func (m *Module) history(ctx context.Context, a *auth.Actor, o *Order) ([]flow.HistoryEntry, error) {
	hs, err := m.d.Flow.History(ctx, o.InstanceID)
	if err != nil || seesFreeText(a, o) {
		return hs, err
	}
	for i := range hs {
		hs[i].Comment = pii.MaskText(hs[i].Comment)
	}
	return hs, nil
}

// extensions returns the extension requests of o, already read by a, their
// reasons masked as present masks the free text.
func (m *Module) extensions(ctx context.Context, a *auth.Actor, o *Order) ([]flow.Extension, error) {
	xs, err := m.d.Flow.Extensions(ctx, o.InstanceID)
	if err != nil || seesFreeText(a, o) {
		return xs, err
	}
	for i := range xs {
		xs[i].Reason, xs[i].DecisionReason = pii.MaskText(xs[i].Reason), pii.MaskText(xs[i].DecisionReason)
	}
	return xs, nil
}

// Instance returns the workflow instance of order id (deadlines,
// escalation level).
func (m *Module) Instance(ctx context.Context, a *auth.Actor, id int64) (*flow.Instance, error) {
	o, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return m.d.Flow.Instance(ctx, o.InstanceID)
}
