package hotline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
)

// The return visit (回访) as a centre runs it: the centre calls the citizen
// within Settings.VisitDays working days of closure (2 by default, on the
// working-day calendar, counted from the day after closure); a call that
// does not get through is recorded as an attempt, and the attempt that
// reaches Settings.VisitAttempts (3 by default) ends the visit as 无法联系
// (Unreachable). The attempts are history entries of the order's workflow
// ("visit_attempt"), so they need no table of their own.

// actionVisitAttempt names a failed call attempt in the order's history.
const actionVisitAttempt = "visit_attempt"

// VisitDue returns the return-visit deadline of an order closed at closed.
func (m *Module) VisitDue(closed time.Time) time.Time {
	return m.d.Flow.Calendar().AddWorkingDays(closed, m.set.VisitDays)
}

// VisitAttempts returns how many failed call attempts the return visit of
// order o has had since its latest closure.
func (m *Module) visitAttempts(ctx context.Context, db store.IDB, o *Order) (int, error) {
	var n int
	err := store.QueryRow(ctx, db, `SELECT COUNT(*) FROM flow_history WHERE instance_id = ? AND action = ? AND created_at >= ?`,
		o.InstanceID, actionVisitAttempt, store.Time(o.ClosedAt)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("hotline: order %d: visit attempts: %w", o.ID, err)
	}
	return n, nil
}

// VisitAttempts returns the failed call attempts of order id's return
// visit so far and how many end it as 无法联系.
func (m *Module) VisitAttempts(ctx context.Context, a *auth.Actor, id int64) (done, max int, err error) {
	o, err := m.Get(ctx, a, id)
	if err != nil {
		return 0, 0, err
	}
	if o.Status != StatusClosed {
		return 0, m.set.VisitAttempts, nil
	}
	done, err = m.visitAttempts(ctx, m.d.DB, o)
	return done, m.set.VisitAttempts, err
}

// VisitAttempt records that the centre's call for the return visit of
// closed order id did not get through (hotline operators). The attempt that
// reaches Settings.VisitAttempts ends the visit as 无法联系: the order is
// visited with no verdict, and counts in neither the resolution nor the
// satisfaction rate. It returns the order and the attempts made.
func (m *Module) VisitAttempt(ctx context.Context, a *auth.Actor, id int64, note string) (*Order, int, error) {
	if err := text("note", note, 1000, false); err != nil {
		return nil, 0, err
	}
	note = strings.TrimSpace(note)
	if !a.HasAny(auth.RoleOperator, auth.RoleSystem) {
		return nil, 0, fmt.Errorf("hotline: visit attempt: %w", auth.ErrForbidden)
	}
	var n int
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, false); err != nil {
			return err
		}
		if err := wantStatus(StatusClosed)(o); err != nil {
			return err
		}
		if n, err = m.visitAttempts(ctx, tx, o); err != nil {
			return err
		}
		n++
		comment := "回访电话未接通（第" + strconv.Itoa(n) + "次）"
		if note != "" {
			comment += "：" + note
		}
		if err := m.d.Flow.Note(ctx, tx, o.InstanceID, actionVisitAttempt, a, comment); err != nil {
			return flowError(err)
		}
		if n < m.set.VisitAttempts {
			return nil
		}
		outcome := fmt.Sprintf("回访%d次均未接通，无法联系", n)
		if _, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: o.InstanceID, Action: "visit", Actor: a,
			Inputs: map[string]string{"satisfaction": string(Unreachable)}, Comment: outcome}); err != nil {
			return flowError(err)
		}
		now := store.Time(m.d.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, visit_solved = NULL, visit_satisfaction = ?,
			visit_note = ?, visited_at = ?, updated_at = ? WHERE id = ?`, StatusVisited, Unreachable, outcome, now, now, o.ID); err != nil {
			return fmt.Errorf("hotline: visit %s: %w", o.Number, err)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.visit_unreachable",
			ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode, Detail: map[string]any{"attempts": n}})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	o, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, 0, err
	}
	return m.present(a, o), n, nil
}
