package credit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Outbox topics of credit repair.
const (
	// TopicRepaired tells other platforms (信用中国, the province's
	// platform) that a record is no longer published.
	TopicRepaired = "credit.repaired"
	// TopicRepairable reminds a business, once per record, that a record
	// may now be repaired.
	TopicRepairable = "credit.repairable"
	// TopicRepairDecided tells the business the decision on its
	// application, granted or refused.
	TopicRepairDecided = "credit.repair_decided"
)

// The states of an application for credit repair.
const (
	RepairPending = "pending"
	RepairGranted = "granted" // 准予修复
	RepairRefused = "refused" // 不予修复
)

// Limits of an application's proof of correction.
const (
	MaxRepairFiles    = 5
	MaxRepairFileSize = 10 << 20
)

// repairTypes are the content types proof files may have, judged by their
// bytes.
var repairTypes = []string{"application/pdf", "image/jpeg", "image/png"}

// RepairFile is one file of proof as uploaded.
type RepairFile struct {
	Name string `json:"name" maxLength:"200"`
	Data []byte `json:"data" doc:"File content, base64 in JSON; PDF, JPEG or PNG, at most 10 MiB"`
}

// RepairInput is a business's application to repair one record.
type RepairInput struct {
	RecordID int64 `json:"record_id" minimum:"1"`
	// Correction says how the violation was corrected (纠正失信行为的情况).
	Correction string `json:"correction" maxLength:"2000"`
	// Commitment is the business's 信用修复承诺书 text.
	Commitment string       `json:"commitment" maxLength:"2000"`
	Files      []RepairFile `json:"files" maxItems:"5" doc:"Proof of correction (at least one)"`
}

// RepairFileRef describes a stored proof file.
type RepairFileRef struct {
	N           int    `json:"n"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Repair is an application for credit repair and its decision.
type Repair struct {
	ID           int64           `json:"id"`
	RecordID     int64           `json:"record_id"`
	USCC         string          `json:"uscc"`
	DepartmentID int64           `json:"department_id"`
	Status       string          `json:"status" enum:"pending,granted,refused"`
	Correction   string          `json:"correction"`
	Commitment   string          `json:"commitment"`
	AppliedOn    string          `json:"applied_on"`
	DueOn        string          `json:"due_on" doc:"The last day the department decides by (working days)"`
	DecidedOn    *string         `json:"decided_on"`
	Reason       string          `json:"decision_reason,omitempty"`
	Files        []RepairFileRef `json:"files"`
	RegionCode   string          `json:"-"`
}

// RepairDecision is a department's decision on an application.
type RepairDecision struct {
	Grant  bool   `json:"grant" doc:"true 准予修复, false 不予修复"`
	Reason string `json:"reason" maxLength:"1000" doc:"The reasons, required either way"`
}

// ApplyRepair files a's application (a business, for its own record) to
// repair record in.RecordID: a penalty published at least the rules'
// minimum period (repairable_from has come), still shown, not repaired and
// with no application pending. The record's department decides within
// Rules.RepairDecideWithin working days.
func (m *Module) ApplyRepair(ctx context.Context, a *auth.Actor, in RepairInput) (*Repair, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if !a.Has(auth.RoleEnterprise) {
		return nil, ErrNotFound
	}
	today := m.today()
	rec, err := m.GetRecord(ctx, a, in.RecordID, today)
	if err != nil {
		return nil, err
	}
	if rec.USCC != a.USCC {
		return nil, ErrNotFound
	}
	var p valid.Problems
	switch {
	case rec.RepairedOn != nil:
		p.Add("record_id", "该信息已修复 (already repaired)")
	case rec.RepairableFrom == nil:
		p.Add("record_id", "该信息不适用信用修复 (repair does not apply to this record)")
	case today.Before(mustDate(*rec.RepairableFrom)):
		p.Add("record_id", "最短公示期未满，%s 起可申请修复 (repair may be applied for from %s)", *rec.RepairableFrom, *rec.RepairableFrom)
	case !rec.Public:
		p.Add("record_id", "该信息已不再公示，无需修复 (the record is no longer published)")
	}
	in.Correction, in.Commitment = strings.TrimSpace(in.Correction), strings.TrimSpace(in.Commitment)
	for _, f := range []struct{ path, v string }{{"correction", in.Correction}, {"commitment", in.Commitment}} {
		switch {
		case f.v == "":
			p.Add(f.path, "必填 (required)")
		case utf8.RuneCountInString(f.v) > 2000:
			p.Add(f.path, "不超过2000字 (at most 2000 characters)")
		case ctrl(f.v):
			p.Add(f.path, "含有不允许的控制字符 (control characters are not allowed)")
		}
	}
	refs := make([]RepairFileRef, 0, len(in.Files))
	switch {
	case len(in.Files) == 0:
		p.Add("files", "须上传纠正失信行为的证明材料 (upload the proof of correction)")
	case len(in.Files) > MaxRepairFiles:
		p.Add("files", "最多上传%d个文件 (at most %d files)", MaxRepairFiles, MaxRepairFiles)
	}
	for i, f := range in.Files {
		field := fmt.Sprintf("files[%d]", i)
		ct := http.DetectContentType(f.Data)
		switch {
		case len(f.Data) == 0:
			p.Add(field, "文件为空 (the file is empty)")
			continue
		case len(f.Data) > MaxRepairFileSize:
			p.Add(field, "文件不能超过 10 MiB (the file is larger than 10 MiB)")
			continue
		case !contains(repairTypes, ct):
			p.Add(field, "只接受 PDF、JPEG、PNG 文件 (only PDF, JPEG and PNG files are accepted)")
			continue
		}
		sum := sha256.Sum256(f.Data)
		refs = append(refs, RepairFileRef{N: i, Name: cleanName(f.Name), ContentType: ct, Size: int64(len(f.Data)),
			SHA256: hex.EncodeToString(sum[:])})
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	due := calendar.DateOf(m.d.Calendar().AddWorkingDays(today.Start(), m.d.Rules.RepairDecideWithin))
	var id int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO credit_repairs (record_id, uscc, department_id, region_code, status,
			correction, commitment, applied_on, due_on, applied_at, applied_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`, rec.ID, rec.USCC, rec.DepartmentID, rec.RegionCode, RepairPending, in.Correction, in.Commitment,
			today.String(), due.String(), store.Time(m.d.Now()), a.UserID).Scan(&id)
		if store.IsUniqueViolation(err) {
			return &valid.FieldError{Path: "record_id", Message: "该信息已有待决定的修复申请 (an application is already pending)"}
		}
		if err != nil {
			return fmt.Errorf("credit: repair: %w", err)
		}
		for i, f := range in.Files {
			r := refs[i]
			if _, err := tx.ExecContext(ctx, `INSERT INTO credit_repair_files (repair_id, name, content_type, size, sha256, data)
				VALUES (?, ?, ?, ?, ?, ?)`, id, r.Name, r.ContentType, r.Size, r.SHA256, f.Data); err != nil {
				return fmt.Errorf("credit: repair file: %w", err)
			}
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.repair.apply",
			ObjectType: "credit_repair", ObjectID: strconv.FormatInt(id, 10), RegionCode: rec.RegionCode,
			Detail: map[string]any{"uscc": rec.USCC, "record_id": rec.ID, "files": len(refs), "due_on": due.String()}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.GetRepair(ctx, a, id)
}

// DecideRepair records the decision of the record's department on
// application id: 准予 ends the record's publication today (public_until
// is the decision date; it is not shown after) and tells other platforms
// (TopicRepaired); 不予 leaves it published. Reasons are required either
// way. Another department's staff get ErrNotFound.
func (m *Module) DecideRepair(ctx context.Context, a *auth.Actor, id int64, d RepairDecision) (*Repair, error) {
	rp, err := m.GetRepair(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if a.Has(auth.RoleEnterprise) || m.d.Policy.Authorize(a, auth.ActAct, object(rp.RegionCode, rp.DepartmentID, rp.USCC)) != nil {
		return nil, ErrNotFound
	}
	if rp.Status != RepairPending {
		return nil, ErrState
	}
	d.Reason = strings.TrimSpace(d.Reason)
	switch {
	case d.Reason == "":
		return nil, &valid.FieldError{Path: "reason", Message: "须说明理由 (give the reasons)"}
	case utf8.RuneCountInString(d.Reason) > 1000:
		return nil, &valid.FieldError{Path: "reason", Message: "不超过1000字 (at most 1000 characters)"}
	case ctrl(d.Reason):
		return nil, &valid.FieldError{Path: "reason", Message: "含有不允许的控制字符 (control characters are not allowed)"}
	}
	today := m.today()
	status := RepairRefused
	if d.Grant {
		status = RepairGranted
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE credit_repairs SET status = ?, decided_on = ?, decided_by = ?, decision_reason = ?
			WHERE id = ? AND status = ?`, status, today.String(), a.UserID, d.Reason, id, RepairPending)
		if err != nil {
			return fmt.Errorf("credit: decide repair %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		if d.Grant {
			if _, err := tx.ExecContext(ctx, `UPDATE credit_records SET repaired_on = ?, public_until = ? WHERE id = ?`,
				today.String(), today.String(), rp.RecordID); err != nil {
				return fmt.Errorf("credit: repair record %d: %w", rp.RecordID, err)
			}
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.repair." + status,
			ObjectType: "credit_repair", ObjectID: strconv.FormatInt(id, 10), RegionCode: rp.RegionCode,
			Detail: map[string]any{"uscc": rp.USCC, "record_id": rp.RecordID, "reason": d.Reason}}); err != nil {
			return err
		}
		if err := outbox.Add(ctx, tx, m.d.Now(), TopicRepairDecided, map[string]any{"id": id, "record_id": rp.RecordID,
			"uscc": rp.USCC, "status": status, "reason": d.Reason}); err != nil {
			return err
		}
		if !d.Grant {
			return nil
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicRepaired, map[string]any{"id": rp.RecordID, "repair_id": id,
			"uscc": rp.USCC, "repaired_on": today.String(), "public_until": today.String()})
	})
	if err != nil {
		return nil, err
	}
	return m.GetRepair(ctx, a, id)
}

const repairCols = `id, record_id, uscc, department_id, region_code, status, correction, commitment, applied_on, due_on,
	decided_on, decision_reason`

func scanRepair(r interface{ Scan(...any) error }) (*Repair, error) {
	var rp Repair
	var decided sql.NullString
	if err := r.Scan(&rp.ID, &rp.RecordID, &rp.USCC, &rp.DepartmentID, &rp.RegionCode, &rp.Status, &rp.Correction,
		&rp.Commitment, &rp.AppliedOn, &rp.DueOn, &decided, &rp.Reason); err != nil {
		return nil, err
	}
	rp.DecidedOn = datePtr(scanDate(decided))
	rp.Files = []RepairFileRef{}
	// Free text is read by others than its writer: personal numbers masked.
	rp.Correction, rp.Commitment, rp.Reason = pii.MaskText(rp.Correction), pii.MaskText(rp.Commitment), pii.MaskText(rp.Reason)
	return &rp, nil
}

// GetRepair returns application id, if a may read its record: the
// business itself and staff of every department.
func (m *Module) GetRepair(ctx context.Context, a *auth.Actor, id int64) (*Repair, error) {
	rp, err := scanRepair(m.d.DB.QueryRowContext(ctx, "SELECT "+repairCols+" FROM credit_repairs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("credit: repair %d: %w", id, err)
	}
	if a == nil || (!a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object(rp.RegionCode, rp.DepartmentID, rp.USCC)) != nil) {
		return nil, ErrNotFound
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT name, content_type, size, sha256 FROM credit_repair_files WHERE repair_id = ?
		ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("credit: repair %d files: %w", id, err)
	}
	defer rows.Close()
	for n := 0; rows.Next(); n++ {
		f := RepairFileRef{N: n}
		if err := rows.Scan(&f.Name, &f.ContentType, &f.Size, &f.SHA256); err != nil {
			return nil, err
		}
		rp.Files = append(rp.Files, f)
	}
	return rp, rows.Err()
}

// RepairFileData returns proof file n of application id, if a may read
// the application.
func (m *Module) RepairFileData(ctx context.Context, a *auth.Actor, id int64, n int) (*RepairFileRef, []byte, error) {
	rp, err := m.GetRepair(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	if n < 0 || n >= len(rp.Files) {
		return nil, nil, ErrNotFound
	}
	f := rp.Files[n]
	var data []byte
	if err := m.d.DB.QueryRowContext(ctx, `SELECT data FROM credit_repair_files WHERE repair_id = ? AND sha256 = ?
		ORDER BY id LIMIT 1`, id, f.SHA256).Scan(&data); err != nil {
		return nil, nil, fmt.Errorf("credit: repair %d file %d: %w", id, n, err)
	}
	return &f, data, nil
}

// RepairsOf lists the applications about business uscc, newest first, if
// a may read its credit information.
func (m *Module) RepairsOf(ctx context.Context, a *auth.Actor, uscc string) ([]Repair, error) {
	if a == nil || (!a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object("", 0, uscc)) != nil) {
		return nil, ErrNotFound
	}
	return m.repairs(ctx, "uscc = ?", uscc)
}

// RepairQuery narrows and pages a department's repair queue.
type RepairQuery struct {
	// Pending keeps only the applications still to decide.
	Pending bool
	// After is the position after the last row of the page before
	// (store.Page.Next); zero for the first page.
	After store.Cursor
	// Limit is the page size: 50 when zero, at most 200.
	Limit int
}

// RepairQueue returns one page of the applications a's departments decide,
// newest first (the pending ones marked, or alone with q.Pending), read by
// keyset on the id so that no application is lost or shown twice between
// pages however long the queue grows; the page says where the next one
// starts and how long the queue is (bounded at store.CountBound).
func (m *Module) RepairQueue(ctx context.Context, a *auth.Actor, q RepairQuery) ([]Repair, store.Page, error) {
	if a == nil || len(a.DepartmentIDs) == 0 {
		return []Repair{}, store.Page{}, nil
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 200)
	where := "department_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(a.DepartmentIDs)), ", ") + ")"
	args := make([]any, 0, len(a.DepartmentIDs)+2)
	for _, d := range a.DepartmentIDs {
		args = append(args, d)
	}
	if q.Pending {
		where, args = where+" AND status = ?", append(args, RepairPending)
	}
	var pg store.Page
	var err error
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT id FROM credit_repairs WHERE "+where, args...); err != nil {
		return nil, store.Page{}, fmt.Errorf("credit: repair queue: %w", err)
	}
	ks, kargs := store.Before("", "id", q.After)
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+repairCols+" FROM credit_repairs WHERE "+where+" AND "+ks+
		" ORDER BY id DESC LIMIT ?", append(append(args, kargs...), q.Limit+1)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("credit: repair queue: %w", err)
	}
	defer rows.Close()
	out := []Repair{}
	n := 0
	for rows.Next() {
		rp, err := scanRepair(rows)
		if err != nil {
			return nil, store.Page{}, fmt.Errorf("credit: repair queue: %w", err)
		}
		if n++; n > q.Limit {
			break
		}
		pg.Next = store.Cursor{ID: rp.ID}
		// The department's staff who may not decide (a clerk) see nothing.
		if m.d.Policy.Authorize(a, auth.ActAct, object(rp.RegionCode, rp.DepartmentID, rp.USCC)) == nil {
			out = append(out, *rp)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, store.Page{}, fmt.Errorf("credit: repair queue: %w", err)
	}
	if n <= q.Limit {
		pg.Next = store.Cursor{}
	}
	return out, pg, nil
}

func (m *Module) repairs(ctx context.Context, where string, args ...any) ([]Repair, error) {
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+repairCols+" FROM credit_repairs WHERE "+where+
		" ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, id DESC LIMIT 200", args...)
	if err != nil {
		return nil, fmt.Errorf("credit: repairs: %w", err)
	}
	defer rows.Close()
	out := []Repair{}
	for rows.Next() {
		rp, err := scanRepair(rows)
		if err != nil {
			return nil, fmt.Errorf("credit: repairs: %w", err)
		}
		out = append(out, *rp)
	}
	return out, rows.Err()
}

// RemindRepairable writes one reminder (an outbox event TopicRepairable,
// which notify turns into a message to the business) for every record
// that may now be repaired and was never reminded of, and returns how many
// it wrote. It is safe to run on many nodes at once: the reminder row is
// the claim. It watches ctx between batches.
func (m *Module) RemindRepairable(ctx context.Context) (int, error) {
	today := m.today()
	// No penalty is repairable before the shorter of the two periods.
	shortest := m.d.Rules.RepairAfter
	if calendar.PeriodEnd(today, m.d.Rules.StrictRepairAfter).Before(calendar.PeriodEnd(today, shortest)) {
		shortest = m.d.Rules.StrictRepairAfter
	}
	latest := publishedBefore(today, shortest)
	total := 0
	after := int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		rows, err := m.d.DB.QueryContext(ctx, "SELECT "+recordCols+` FROM credit_records r WHERE r.kind = ? AND r.id > ?
			AND r.published_on IS NOT NULL AND r.published_on <= ? AND r.repaired_on IS NULL AND r.withdrawn_on IS NULL
			AND (r.public_until IS NULL OR r.public_until >= ?)
			AND NOT EXISTS (SELECT 1 FROM credit_repair_reminders x WHERE x.record_id = r.id)
			ORDER BY r.id LIMIT 500`, KindPenalty, after, latest.String(), today.String())
		if err != nil {
			return total, fmt.Errorf("credit: repairable: %w", err)
		}
		var due []Record
		n := 0
		for rows.Next() {
			rec, err := m.scanRecord(rows, today)
			if err != nil {
				rows.Close()
				return total, fmt.Errorf("credit: repairable: %w", err)
			}
			n++
			after = rec.ID
			if rec.RepairableFrom != nil && !today.Before(mustDate(*rec.RepairableFrom)) && rec.Public {
				due = append(due, *rec)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, err
		}
		for _, rec := range due {
			wrote := false
			err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				res, err := tx.ExecContext(ctx, `INSERT INTO credit_repair_reminders (record_id, uscc, sent_at) VALUES (?, ?, ?)
					ON CONFLICT DO NOTHING`, rec.ID, rec.USCC, store.Time(m.d.Now()))
				if err != nil {
					return fmt.Errorf("credit: reminder %d: %w", rec.ID, err)
				}
				if k, _ := res.RowsAffected(); k == 0 {
					return nil // another node reminded first
				}
				wrote = true
				return outbox.Add(ctx, tx, m.d.Now(), TopicRepairable, map[string]any{"id": rec.ID, "uscc": rec.USCC,
					"kind": rec.Kind, "decision_no": rec.DecisionNo, "repairable_from": deref(rec.RepairableFrom)})
			})
			if err != nil {
				return total, err
			}
			if wrote {
				total++
			}
		}
		if n < 500 {
			return total, nil
		}
	}
}

// RunReminders sweeps for repairable records every interval until ctx
// ends.
func (m *Module) RunReminders(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := m.RemindRepairable(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// publishedBefore returns the last publication date from which period p
// has run by today.
func publishedBefore(today calendar.Date, p calendar.Period) calendar.Date {
	t := today.Start()
	switch p.Unit {
	case calendar.Years:
		t = t.AddDate(-p.N, 0, 0)
	case calendar.Months:
		t = t.AddDate(0, -p.N, 0)
	default:
		t = t.AddDate(0, 0, -p.N)
	}
	return calendar.DateOf(t)
}

// repairedTerms ends a record's publication on the day its repair was
// granted: shown that day, not after; nothing is left to repair.
func repairedTerms(t Terms, repaired calendar.Date) Terms {
	if repaired.IsZero() {
		return t
	}
	if t.Until.IsZero() || repaired.Before(t.Until) {
		t.Until = repaired
	}
	t.RepairableFrom = calendar.Date{}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cleanName keeps a file name's base, without controls, at most 100
// characters.
func cleanName(name string) string {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || ctrl(string(r)) {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" {
		name = "file"
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return name
}
