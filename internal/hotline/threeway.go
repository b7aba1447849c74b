package hotline

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// The three-way call with 110 (三方通话, 国办发〔2022〕12号 on 12345 and 110):
// a matter clearly the police's is transferred at once (TransferTo110); one
// unclear between them is settled by a call of the caller, 12345 and 110
// together, and the platforms agree who handles it. If they do not agree,
// the platform that took the call first handles it (首接负责): here 12345,
// which took the order in. Danger to life or property always goes to 110,
// so an urgent order that stays undecided is transferred.

// ThreeWayOutcome is how a three-way call with 110 ended.
type ThreeWayOutcome string

// The outcomes.
const (
	// ThreeWayTo110: agreed that 110 handles it; the order is transferred.
	ThreeWayTo110 ThreeWayOutcome = "to_110"
	// ThreeWayHotline: agreed that 12345 handles it; the order waits for
	// dispatch.
	ThreeWayHotline ThreeWayOutcome = "hotline"
	// ThreeWayUndecided: no agreement; 12345, which took the call first,
	// handles it, unless life or property is in danger (an urgent order),
	// when it goes to 110.
	ThreeWayUndecided ThreeWayOutcome = "undecided"
)

var threeWayNames = map[ThreeWayOutcome]string{
	ThreeWayTo110: "约定由110处置", ThreeWayHotline: "约定由12345办理", ThreeWayUndecided: "未达成一致",
}

// Name returns the outcome's Chinese name.
func (t ThreeWayOutcome) Name() string { return threeWayNames[t] }

// ThreeWayInput records a three-way call with 110.
type ThreeWayInput struct {
	Outcome ThreeWayOutcome `json:"outcome" enum:"to_110,hotline,undecided"`
	// PoliceRef is 110's incident number (警情编号), when 110 gave one.
	PoliceRef string `json:"police_ref,omitempty" maxLength:"64"`
	// Note says what was agreed or why no agreement was reached.
	Note string `json:"note" maxLength:"1000"`
}

// RecordThreeWayCall records the three-way call with 110 about new order
// id and acts on its outcome (hotline operators and dispatchers): with
// ThreeWayTo110, or ThreeWayUndecided on an urgent order, the order is
// transferred to 110 as TransferTo110 does; otherwise it stays with 12345,
// waiting for dispatch, with the outcome on the order and in its history.
func (m *Module) RecordThreeWayCall(ctx context.Context, a *auth.Actor, id int64, in ThreeWayInput) (*Order, error) {
	in.PoliceRef, in.Note = strings.TrimSpace(in.PoliceRef), strings.TrimSpace(in.Note)
	var p problems
	if threeWayNames[in.Outcome] == "" {
		p.add("outcome", "请选择三方通话结果 (choose the outcome of the call)")
	}
	if utf8.RuneCountInString(in.PoliceRef) > maxRef {
		p.add("police_ref", "110警情编号过长 (the 110 incident number is too long)")
	}
	if err := text("note", in.Note, 1000, true); err != nil {
		p = append(p, err)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if !a.HasAny(auth.RoleOperator, auth.RoleDispatcher) {
		return nil, fmt.Errorf("hotline: three-way call: %w", auth.ErrForbidden)
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, false); err != nil {
			return err
		}
		if err := wantStatus(StatusNew)(o); err != nil {
			return err
		}
		transfer := in.Outcome == ThreeWayTo110 || (in.Outcome == ThreeWayUndecided && o.Urgent)
		sentence := "与110三方通话：" + in.Outcome.Name()
		switch {
		case in.Outcome == ThreeWayUndecided && transfer:
			sentence += "，危及生命财产安全，转110处置"
		case in.Outcome == ThreeWayUndecided:
			sentence += "，按首接负责由12345办理"
		}
		if in.PoliceRef != "" {
			sentence += "（110警情编号" + in.PoliceRef + "）"
		}
		sentence += "。" + in.Note
		if err := m.d.Flow.Note(ctx, tx, o.InstanceID, "three_way_110", a, sentence); err != nil {
			return flowError(err)
		}
		now := store.Time(m.d.Now())
		status := StatusNew
		if transfer {
			if _, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: o.InstanceID, Action: "transfer_110", Actor: a,
				Comment: sentence}); err != nil {
				return flowError(err)
			}
			status = StatusTransferred
			if err := outbox.Add(ctx, tx, now, TopicTransfer110, map[string]any{"order_id": o.ID, "reason": sentence}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, three_way_outcome = ?, three_way_ref = ?,
			three_way_note = ?, three_way_at = ?, updated_at = ? WHERE id = ?`,
			status, in.Outcome, in.PoliceRef, in.Note, now, now, o.ID); err != nil {
			return fmt.Errorf("hotline: three-way call %s: %w", o.Number, err)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.three_way_call",
			ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode,
			Detail: map[string]any{"outcome": in.Outcome, "police_ref": in.PoliceRef, "transferred": transfer}})
		return err
	})
	if err != nil {
		return nil, err
	}
	o, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	return m.present(a, o), nil
}
