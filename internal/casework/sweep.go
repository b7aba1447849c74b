package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// errNoRows is sql.ErrNoRows, named for brevity.
var errNoRows = sql.ErrNoRows

// Sweep withdraws, as the system, every application whose promised (容缺)
// materials were not supplied by their date, and returns how many it
// withdrew. Each is handled in its own transaction that re-reads it under a
// lock (FOR UPDATE SKIP LOCKED on PostgreSQL, the single writer on SQLite),
// and the workflow's row version refuses a second withdrawal, so Sweep is
// safe on any number of nodes at once.
func (m *Module) Sweep(ctx context.Context) (int, error) {
	now := m.now()
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id FROM casework_applications WHERE shortfall_open = TRUE
		AND shortfall_due < ? AND status IN (?, ?, ?, ?, ?) ORDER BY shortfall_due, id LIMIT 500`,
		now, StatusSubmitted, StatusIntakeCorrection, StatusReview, StatusCorrection, StatusDecision)
	if err != nil {
		return 0, fmt.Errorf("casework: sweep: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("casework: sweep: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("casework: sweep: %w", err)
	}
	done := 0
	for _, id := range ids {
		ok, err := m.withdrawLapsed(ctx, id, now)
		if err != nil {
			return done, err
		}
		if ok {
			done++
		}
	}
	return done, nil
}

// withdrawLapsed withdraws application id if its shortfall is still open
// and overdue, reporting whether it did.
func (m *Module) withdrawLapsed(ctx context.Context, id int64, now time.Time) (bool, error) {
	did := false
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var claimed int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM casework_applications WHERE id = ? AND shortfall_open = TRUE
			AND shortfall_due < ?`+m.d.DB.ForUpdateSkipLocked(), id, now).Scan(&claimed)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // supplied meanwhile, or another node has it
		}
		if err != nil {
			return err
		}
		app, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if app.Status.Finished() {
			return nil
		}
		var missing []string
		for _, mt := range app.Materials {
			if mt.Missing() {
				missing = append(missing, mt.Name)
			}
		}
		reason := "容缺材料（" + strings.Join(missing, "、") + "）未在承诺期限 " +
			app.ShortfallDue.In(cst).Format("2006-01-02") + " 前补齐，按撤回申请处理"
		err = m.apply(ctx, tx, auth.System(), app, step{action: "withdraw", comment: reason,
			change: func(_ context.Context, _ store.Tx, app *Application, _ *flow.Instance) error {
				app.Decision, app.DecisionReason, app.DecidedAt, app.DecidedByName = "withdrawn", reason, now, auth.SystemName
				return nil
			}})
		if errors.Is(err, flow.ErrConflict) || errors.Is(err, flow.ErrFinished) {
			return nil
		}
		if err != nil {
			return err
		}
		did = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("casework: sweep %d: %w", id, err)
	}
	return did, nil
}

// AcceptanceDays is the time 行政许可法 第三十二条 gives the agency to
// accept, refuse or ask for 补正 after receiving an application: 5 days,
// counted as working days (第八十二条). When it passes without any of them
// the application counts as accepted from the day it was received.
const AcceptanceDays = 5

// acceptanceDue is the end of the time to decide on intake of an
// application that entered intake (was received, or its corrected
// materials were) at received.
func (m *Module) acceptanceDue(received time.Time) time.Time {
	return m.d.Calendar().Deadline(received, calendar.Limit{N: AcceptanceDays, Unit: calendar.WorkingDays})
}

// DeemAccepted accepts, as the system, every application left awaiting
// intake past AcceptanceDays, as 第三十二条 says it then is: the history
// and the 受理通知书 say so, and the decision stays due on the limit
// counted from receipt (the case's overall limit starts at submission).
// A cross-region application counts from its forwarding to the owning
// locality; before it, it waits for the receiving window's check. It returns how many it accepted and, like Sweep, is safe
// on any number of nodes.
func (m *Module) DeemAccepted(ctx context.Context) (int, error) {
	now := m.now()
	// A cheap bound first: five working days are at least five days.
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id FROM casework_applications WHERE status IN (?, ?) AND updated_at < ?
		ORDER BY updated_at, id LIMIT 500`, StatusSubmitted, StatusForwarded, now.AddDate(0, 0, -AcceptanceDays))
	if err != nil {
		return 0, fmt.Errorf("casework: deemed acceptance: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("casework: deemed acceptance: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("casework: deemed acceptance: %w", err)
	}
	done := 0
	for _, id := range ids {
		err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var claimed int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM casework_applications WHERE id = ? AND status IN (?, ?)`+
				m.d.DB.ForUpdateSkipLocked(), id, StatusSubmitted, StatusForwarded).Scan(&claimed)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // taken in meanwhile, or another node has it
			}
			if err != nil {
				return err
			}
			app, err := m.load(ctx, tx, id)
			if err != nil {
				return err
			}
			if IsCrossRegion(app) && app.Status == StatusSubmitted {
				return nil // the receiving window has not forwarded it yet
			}
			in, err := m.d.Flow.InstanceFor(ctx, tx, SubjectType, app.ID)
			if err != nil {
				return err
			}
			if in.State != string(app.Status) || !now.After(m.acceptanceDue(in.StateEnteredAt)) {
				return nil
			}
			received := in.StateEnteredAt.In(cst).Format("2006年1月2日")
			err = m.apply(ctx, tx, auth.System(), app, step{action: "accept", deemed: true,
				comment: "未在五日内作出受理、不予受理或补正决定，依《中华人民共和国行政许可法》第三十二条，自收到申请材料之日（" +
					received + "）起即为受理"})
			if errors.Is(err, flow.ErrConflict) || errors.Is(err, flow.ErrFinished) {
				return nil
			}
			if err == nil {
				done++
			}
			return err
		})
		if err != nil {
			return done, fmt.Errorf("casework: deemed acceptance of %d: %w", id, err)
		}
	}
	return done, nil
}

// Run sweeps every interval until ctx ends, logging failures and carrying
// on. It returns ctx's error.
func (m *Module) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "casework: sweep", "err", err)
		}
		if _, err := m.DeemAccepted(ctx); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "casework: deemed acceptance", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RecordVerification records the result of the verification (核查) of a
// commitment application. A true commitment closes the task. A false one
// (approvers only) also revokes the decision and the certificate it issued,
// and writes a credit record of the false commitment, all in one
// transaction.
func (m *Module) RecordVerification(ctx context.Context, a *auth.Actor, id int64, truthful bool, note string) (*Application, error) {
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > 2000 {
		return nil, &FieldError{Path: "note", Message: "须写明核查情况，不超过2000字 (the findings are required)"}
	}
	var app *Application
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if app, err = m.readable(ctx, tx, a, id); err != nil {
			return err
		}
		if err := m.d.Policy.Authorize(a, auth.ActAct, app.object()); err != nil {
			return ErrForbidden
		}
		if app.VerificationInstanceID == 0 || app.VerificationResult != "" {
			return ErrState
		}
		action, result := "confirm", "truthful"
		if !truthful {
			action, result = "refute", "false"
		}
		if _, err := m.d.Flow.Do(ctx, tx, app.VerificationInstanceID, action, a, nil, note); err != nil {
			return err
		}
		now := m.now()
		app.VerificationResult, app.VerifiedAt = result, now
		if !truthful {
			if app.CertificateID != 0 {
				if _, err := m.d.Certs.Revoke(ctx, tx, app.CertificateID, "告知承诺不实，撤销许可决定（办件 "+app.Number+"）", a); err != nil &&
					!errors.Is(err, certificate.ErrAlreadyDone) {
					return err
				}
			}
			var idn string
			if app.idEnc != "" {
				if idn, err = m.d.Box.Open(app.idEnc); err != nil {
					return err
				}
			}
			rec, err := m.d.Recorder.Record(ctx, tx, CreditRecord{Subject: app.subject(idn), Kind: KindFalseCommitment,
				ApplicationID: app.ID, ApplicationNumber: app.Number, Note: truncate(note, 500), Actor: a})
			if err != nil {
				return err
			}
			app.CreditRecordID = rec
			app.Status, app.Decision = StatusRevoked, "revoked"
			app.DecisionReason, app.DecidedAt, app.DecidedBy, app.DecidedByName = "告知承诺不实："+note, now, actorID(a), actorName(a)
		}
		if err := m.save(ctx, tx, app); err != nil {
			return err
		}
		if err := m.audit(ctx, tx, a, "casework.verify_commitment", app, map[string]any{"number": app.Number,
			"result": result, "note": note, "certificate_id": app.CertificateID, "credit_record_id": app.CreditRecordID}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, now, TopicChanged, m.event(app, "verify_"+result))
	})
	if err != nil {
		return nil, mapFlowError(err)
	}
	if !truthful && app.CertificateID != 0 {
		m.d.Certs.Forget(app.CertificateID)
	}
	return app, nil
}
