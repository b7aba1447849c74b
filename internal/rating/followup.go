package rating

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// FollowUp is the handling of a bad rating: 核实 (verification), 整改
// (rectification) and 反馈 (the answer to the person), due on DueOn.
type FollowUp struct {
	ID            int64
	RatingID      int64
	DepartmentID  int64
	PersonID      int64
	Status        string
	OpenedOn      string
	DueOn         string
	Verification  string
	Rectification string
	Feedback      string
	AnsweredOn    string
	Level         Level
	Comment       string
}

// Answer is what the department records when it closes a follow-up.
type Answer struct {
	Verification  string
	Rectification string
	Feedback      string
}

// AnswerFollowUp records the verification, rectification and the answer
// to the person. Only staff of the responsible department may answer;
// others get ErrNotFound.
func (s *Service) AnswerFollowUp(ctx context.Context, a *auth.Actor, id int64, in Answer) (*FollowUp, error) {
	for _, f := range []struct{ path, v string }{{"verification", in.Verification}, {"rectification", in.Rectification}, {"feedback", in.Feedback}} {
		if err := valid.Text(f.path, f.v); err != nil {
			return nil, err
		}
		if f.v == "" {
			return nil, &valid.FieldError{Path: f.path, Message: "必填 (required)"}
		}
		if len([]rune(f.v)) > 2000 {
			return nil, &valid.FieldError{Path: f.path, Message: "不得超过2000字 (at most 2000 characters)"}
		}
	}
	var out *FollowUp
	err := s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		f, err := s.followUp(ctx, tx, id)
		if err != nil {
			return err
		}
		if a == nil || !actsFor(a, f.DepartmentID) {
			return ErrNotFound
		}
		if f.Status != FollowOpen {
			return ErrAnswered
		}
		on := s.d.Now().In(calendar.CST).Format(calendar.DateLayout)
		// Free text may carry ID or phone numbers: they are masked before storing.
		in.Verification, in.Rectification, in.Feedback = pii.MaskText(in.Verification), pii.MaskText(in.Rectification), pii.MaskText(in.Feedback)
		if _, err := store.Exec(ctx, tx, `UPDATE rating_followups SET status = ?, verification = ?, rectification = ?, feedback = ?,
			answered_on = ?, answered_by = ? WHERE id = ? AND status = ?`, FollowAnswered, in.Verification, in.Rectification,
			in.Feedback, on, a.UserID, id, FollowOpen); err != nil {
			return fmt.Errorf("rating: answer follow-up: %w", err)
		}
		if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "rating.follow_up.answer",
			ObjectType: "rating_followup", ObjectID: strconv.FormatInt(id, 10), Detail: map[string]any{"rating_id": f.RatingID,
				"due_on": f.DueOn, "answered_on": on}}); err != nil {
			return err
		}
		out, err = s.followUp(ctx, tx, id)
		return err
	})
	return out, err
}

// FollowUpsOfPerson lists the follow-ups of the person's bad ratings, so
// the answer reaches the person who rated.
func (s *Service) FollowUpsOfPerson(ctx context.Context, personID int64) ([]FollowUp, error) {
	if personID == 0 {
		return nil, nil
	}
	return s.followUps(ctx, `f.person_id = ?`, personID)
}

// FollowUpsOfDepartment lists a department's follow-ups, open first, for
// its staff.
func (s *Service) FollowUpsOfDepartment(ctx context.Context, a *auth.Actor, dept int64) ([]FollowUp, error) {
	if a == nil || !actsFor(a, dept) {
		return nil, ErrNotFound
	}
	return s.followUps(ctx, `f.department_id = ?`, dept)
}

const followCols = `f.id, f.rating_id, f.department_id, f.person_id, f.status, f.opened_on, f.due_on, f.verification,
	f.rectification, f.feedback, f.answered_on, r.level, r.comment FROM rating_followups f JOIN ratings r ON r.id = f.rating_id`

func (s *Service) followUps(ctx context.Context, where string, arg any) ([]FollowUp, error) {
	rows, err := store.Query(ctx, s.d.DB, `SELECT `+followCols+` WHERE `+where+` ORDER BY f.status DESC, f.id DESC LIMIT 200`, arg)
	if err != nil {
		return nil, fmt.Errorf("rating: follow-ups: %w", err)
	}
	defer rows.Close()
	var out []FollowUp
	for rows.Next() {
		f, err := scanFollowUp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *f)
	}
	return out, rows.Err()
}

func (s *Service) followUp(ctx context.Context, tx store.IDB, id int64) (*FollowUp, error) {
	f, err := scanFollowUp(store.QueryRow(ctx, tx, `SELECT `+followCols+` WHERE f.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return f, err
}

type scanner interface{ Scan(...any) error }

func scanFollowUp(sc scanner) (*FollowUp, error) {
	var f FollowUp
	var answered sql.NullString
	var level int
	if err := sc.Scan(&f.ID, &f.RatingID, &f.DepartmentID, &f.PersonID, &f.Status, &f.OpenedOn, &f.DueOn, &f.Verification,
		&f.Rectification, &f.Feedback, &answered, &level, &f.Comment); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("rating: follow-up: %w", err)
	}
	f.AnsweredOn, f.Level = answered.String, Level(level)
	return &f, nil
}
