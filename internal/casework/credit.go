package casework

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Subject is whom a credit question or record is about: an enterprise by
// its unified social credit code, a person by identity number.
type Subject struct {
	Kind     ApplicantKind
	USCC     string
	IDNumber string
	Name     string
}

// CreditChecker answers the credit questions casework asks. The credit
// module will provide it; StoreCredit does until then.
type CreditChecker interface {
	// SeriousViolation reports whether the subject may not use the
	// commitment path: listed as a serious violator (严重违法失信名单), or
	// with an unrepaired false commitment.
	SeriousViolation(ctx context.Context, s Subject) (bool, error)
	// Class returns the subject's credit risk class ("A" to "D"), as
	// instant-approval rules read it.
	Class(ctx context.Context, s Subject) (string, error)
}

// CommitmentChecker is a CreditChecker that asks 信用核查 itself before
// the commitment path (告知承诺) is taken, so that the check and its answer
// are logged where the business sees who checked it and why. Casework
// uses it, when the checker has it, instead of SeriousViolation for that
// question.
type CommitmentChecker interface {
	CommitmentRefused(ctx context.Context, s Subject) (bool, error)
}

// CreditRecorder writes a credit record in the caller's transaction.
type CreditRecorder interface {
	Record(ctx context.Context, tx store.IDB, r CreditRecord) (int64, error)
}

// Credit record kinds.
const KindFalseCommitment = "false_commitment"

// CreditRecord is one negative record about a subject.
type CreditRecord struct {
	ID                int64       `json:"id"`
	Subject           Subject     `json:"-"`
	SubjectName       string      `json:"subject_name"`
	Kind              string      `json:"kind"`
	ApplicationID     int64       `json:"application_id"`
	ApplicationNumber string      `json:"application_number"`
	Note              string      `json:"note"`
	RecordedAt        time.Time   `json:"recorded_at"`
	Actor             *auth.Actor `json:"-"`
}

// StoreCredit keeps the serious-violations list and the credit records
// casework writes in its own tables. It implements CreditChecker and
// CreditRecorder. People are keyed by the blind index of their number, so
// the tables never hold an identity number.
type StoreCredit struct {
	DB    *store.DB
	Box   *pii.Box
	Audit *audit.Log
	Now   func() time.Time
}

// key returns the stored key of s, or "" when s is malformed.
func (c *StoreCredit) key(s Subject) string {
	switch s.Kind {
	case Enterprise:
		if u := ids.NormalizeUSCC(s.USCC); ids.ValidateUSCC(u) == nil {
			return "e:" + u
		}
	case Person:
		if n := ids.NormalizeCitizenID(s.IDNumber); ids.ValidateCitizenID(n) == nil {
			return "p:" + c.Box.Index(n)
		}
	}
	return ""
}

// SeriousViolation implements CreditChecker.
func (c *StoreCredit) SeriousViolation(ctx context.Context, s Subject) (bool, error) {
	k := c.key(s)
	if k == "" {
		return false, nil
	}
	var n int
	err := c.DB.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM casework_serious_violations WHERE subject_key = ? AND removed_at IS NULL) +
		(SELECT COUNT(*) FROM casework_credit_records WHERE subject_key = ? AND kind = ? AND repaired_at IS NULL)`,
		k, k, KindFalseCommitment).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("casework: credit check: %w", err)
	}
	return n > 0, nil
}

// Class implements CreditChecker with a stand-in for the credit module's
// classification: "D" on the serious-violations list, "C" after a false
// commitment, "A" otherwise.
func (c *StoreCredit) Class(ctx context.Context, s Subject) (string, error) {
	k := c.key(s)
	if k == "" {
		return "", nil
	}
	var listed, records int
	err := c.DB.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM casework_serious_violations WHERE subject_key = ? AND removed_at IS NULL),
		(SELECT COUNT(*) FROM casework_credit_records WHERE subject_key = ? AND repaired_at IS NULL)`, k, k).Scan(&listed, &records)
	if err != nil {
		return "", fmt.Errorf("casework: credit class: %w", err)
	}
	switch {
	case listed > 0:
		return "D", nil
	case records > 0:
		return "C", nil
	}
	return "A", nil
}

// Record implements CreditRecorder: it writes r and an audit entry in tx.
func (c *StoreCredit) Record(ctx context.Context, tx store.IDB, r CreditRecord) (int64, error) {
	k := c.key(r.Subject)
	if k == "" {
		return 0, &FieldError{Path: "subject", Message: "信用主体无效 (invalid credit subject)"}
	}
	now := store.Time(c.Now())
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO casework_credit_records (subject_key, subject_name, kind, application_id,
		application_number, note, recorded_at, recorded_by, repaired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) RETURNING id`,
		k, r.Subject.Name, r.Kind, r.ApplicationID, r.ApplicationNumber, r.Note, now, actorID(r.Actor)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("casework: credit record: %w", err)
	}
	if _, err := c.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(r.Actor), ActorName: actorName(r.Actor),
		Action: "casework.credit_record", ObjectType: "casework_credit_record", ObjectID: strconv.FormatInt(id, 10),
		Detail: map[string]any{"kind": r.Kind, "application": r.ApplicationNumber, "subject": r.Subject.Name}}); err != nil {
		return 0, fmt.Errorf("casework: credit record: %w", err)
	}
	return id, nil
}

// ListEntry is one entry of the serious-violations list.
type ListEntry struct {
	ID          int64     `json:"id"`
	SubjectName string    `json:"subject_name"`
	Kind        string    `json:"kind"`
	Reason      string    `json:"reason"`
	ListedAt    time.Time `json:"listed_at"`
	RemovedAt   time.Time `json:"removed_at,omitzero"`
}

// List puts s on the serious-violations list in tx, with an audit entry.
func (c *StoreCredit) List(ctx context.Context, tx store.IDB, s Subject, reason string, by *auth.Actor) (int64, error) {
	var p problems
	k := c.key(s)
	if k == "" {
		p.Add("subject", "须填写有效的统一社会信用代码或身份证号码 (a valid USCC or identity number is required)")
	}
	s.Name, reason = strings.TrimSpace(s.Name), strings.TrimSpace(reason)
	if s.Name == "" || utf8.RuneCountInString(s.Name) > 100 {
		p.Add("name", "名称必填，不超过100字 (name required, at most 100 characters)")
	}
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		p.Add("reason", "列入事由必填，不超过500字 (reason required, at most 500 characters)")
	}
	if len(p) > 0 {
		return 0, p.Err()
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO casework_serious_violations (subject_key, subject_name, reason, listed_at,
		listed_by, removed_at) VALUES (?, ?, ?, ?, ?, NULL) RETURNING id`, k, s.Name, reason, store.Time(c.Now()), actorID(by)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("casework: list violator: %w", err)
	}
	_, err = c.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(by), ActorName: actorName(by), Action: "casework.violator_list",
		ObjectType: "casework_serious_violation", ObjectID: strconv.FormatInt(id, 10),
		Detail: map[string]any{"subject": s.Name, "reason": reason}})
	return id, err
}

// Unlist ends entry id in tx (credit repaired or published period over).
func (c *StoreCredit) Unlist(ctx context.Context, tx store.IDB, id int64, by *auth.Actor) error {
	res, err := tx.ExecContext(ctx, `UPDATE casework_serious_violations SET removed_at = ? WHERE id = ? AND removed_at IS NULL`,
		store.Time(c.Now()), id)
	if err != nil {
		return fmt.Errorf("casework: unlist %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotFound
	}
	_, err = c.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(by), ActorName: actorName(by), Action: "casework.violator_unlist",
		ObjectType: "casework_serious_violation", ObjectID: strconv.FormatInt(id, 10)})
	return err
}

// Entries returns the newest list entries, current ones first.
func (c *StoreCredit) Entries(ctx context.Context, limit int) ([]ListEntry, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT id, subject_key, subject_name, reason, listed_at, removed_at
		FROM casework_serious_violations ORDER BY (removed_at IS NULL) DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("casework: list entries: %w", err)
	}
	defer rows.Close()
	var out []ListEntry
	for rows.Next() {
		var e ListEntry
		var key string
		var removed sql.NullTime
		if err := rows.Scan(&e.ID, &key, &e.SubjectName, &e.Reason, &e.ListedAt, &removed); err != nil {
			return nil, err
		}
		e.Kind = string(Person)
		if strings.HasPrefix(key, "e:") {
			e.Kind = string(Enterprise)
		}
		e.ListedAt, e.RemovedAt = e.ListedAt.UTC(), nt(removed)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Records returns the credit records of application id.
func (c *StoreCredit) Records(ctx context.Context, applicationID int64) ([]CreditRecord, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT id, subject_name, kind, application_id, application_number, note, recorded_at
		FROM casework_credit_records WHERE application_id = ? ORDER BY id`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("casework: credit records: %w", err)
	}
	defer rows.Close()
	var out []CreditRecord
	for rows.Next() {
		var r CreditRecord
		if err := rows.Scan(&r.ID, &r.SubjectName, &r.Kind, &r.ApplicationID, &r.ApplicationNumber, &r.Note, &r.RecordedAt); err != nil {
			return nil, err
		}
		r.RecordedAt = r.RecordedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

func actorID(a *auth.Actor) int64 {
	if a == nil {
		return 0
	}
	return a.UserID
}

func actorName(a *auth.Actor) string {
	if a == nil {
		return ""
	}
	return a.Name
}
