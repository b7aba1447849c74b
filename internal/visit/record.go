package visit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// checkKey validates an idempotency key: what a phone's outbox attaches to
// each queued submission so that sending it again changes nothing.
func checkKey(key string) error {
	var p valid.Problems
	if k := strings.TrimSpace(key); k == "" || len(k) > 100 {
		p.Add("idempotency_key", "必填，最多100字符 (required, at most 100 characters)")
	} else if err := valid.Text("idempotency_key", k); err != nil {
		p = append(p, err)
	}
	return p.Err()
}

// seen reports whether key was used before.
func seen(ctx context.Context, tx store.IDB, key string) (bool, error) {
	var n int
	if err := store.QueryRow(ctx, tx, `SELECT COUNT(*) FROM visit_submissions WHERE idempotency_key = ?`, key).Scan(&n); err != nil {
		return false, fmt.Errorf("visit: key: %w", err)
	}
	return n > 0, nil
}

// remember records key as used for visit id.
func remember(ctx context.Context, tx store.IDB, key string, id int64, now time.Time) error {
	if _, err := store.Exec(ctx, tx, `INSERT INTO visit_submissions (idempotency_key, visit_id, created_at) VALUES (?, ?, ?)`,
		key, id, store.Time(now)); err != nil {
		return fmt.Errorf("visit: key: %w", err)
	}
	return nil
}

// RecordResult records the result and note of one item of an assigned
// visit before completion, as a phone sends them one by one from its
// outbox. A key seen before is a no-op (Outcome.Replayed); a later
// submission for the same item with a new key replaces the result.
func (s *Service) RecordResult(ctx context.Context, tx store.IDB, visitID int64, key string, r ItemResult) (Outcome, error) {
	var out Outcome
	if err := checkKey(key); err != nil {
		return out, err
	}
	if ok, err := seen(ctx, tx, key); err != nil || ok {
		out.Replayed = ok
		return out, err
	}
	v, err := s.Get(ctx, tx, visitID)
	if err != nil {
		return out, err
	}
	var p valid.Problems
	if v.Status != StatusAssigned {
		p.Add("visit", "检查已完成 (the visit is already completed)")
	}
	std, ok := resultByCode(r.Result)
	if !ok {
		p.Add("result", "检查结果不正确 (unknown result %q)", r.Result)
	}
	if len([]rune(r.Note)) > 2000 {
		p.Add("note", "过长，最多2000字 (at most 2000 characters)")
	} else if err := valid.Text("note", r.Note); err != nil {
		p = append(p, err)
	}
	found := false
	for _, it := range v.Items {
		found = found || it.ID == r.ItemID
	}
	if !found {
		p.Add("item_id", "不是该检查的事项 (not an item of this visit)")
	}
	if err := p.Err(); err != nil {
		return out, err
	}
	out.Unreachable = std.Unreachable
	if _, err := store.Exec(ctx, tx, `UPDATE visit_assignments SET result = ?, note = ? WHERE id = ? AND visit_id = ?`,
		r.Result, r.Note, r.ItemID, visitID); err != nil {
		return out, fmt.Errorf("visit: record result: %w", err)
	}
	return out, remember(ctx, tx, key, visitID, s.now())
}

// CompleteRecorded completes visit id with the results recorded item by
// item (RecordResult); see Complete. Every item must have its result.
func (s *Service) CompleteRecorded(ctx context.Context, tx store.IDB, visitID int64, key string) (Outcome, error) {
	if err := checkKey(key); err != nil {
		return Outcome{}, err
	}
	if ok, err := seen(ctx, tx, key); err != nil || ok {
		return Outcome{Replayed: ok}, err
	}
	v, err := s.Get(ctx, tx, visitID)
	if err != nil {
		return Outcome{}, err
	}
	results := make([]ItemResult, 0, len(v.Items))
	for _, it := range v.Items {
		if it.Result != "" {
			results = append(results, ItemResult{ItemID: it.ID, Result: it.Result, Note: it.Note})
		}
	}
	return s.Complete(ctx, tx, visitID, key, results)
}

// Listed is a visit as a list shows it.
type Listed struct {
	ID           int64
	USCC         string
	Joint        bool
	WindowFrom   time.Time
	WindowTo     time.Time
	Status       string
	PublishDueOn string
	Items        int
	Departments  []int64
}

// Filter selects visits for a list: those of one inspector (UserID) or
// those with an item of one of Departments; Status narrows to one status.
type Filter struct {
	UserID      int64
	Departments []int64
	Status      string
}

// List returns the visits f selects ordered by the end of their window
// (the due date) and id, after c, at most limit, with the cursor of the
// next page and the list's bounded count.
func (s *Service) List(ctx context.Context, db store.IDB, f Filter, c store.Cursor, limit int) ([]Listed, store.Page, error) {
	var pg store.Page
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var where []string
	var args []any
	switch {
	case f.UserID != 0:
		where = append(where, "v.id IN (SELECT visit_id FROM visit_inspectors WHERE user_id = ?)")
		args = append(args, f.UserID)
	case len(f.Departments) > 0:
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(f.Departments)), ", ")
		where = append(where, "v.id IN (SELECT visit_id FROM visit_assignments WHERE department_id IN ("+ph+"))")
		for _, d := range f.Departments {
			args = append(args, d)
		}
	default:
		return nil, pg, nil
	}
	if f.Status != "" {
		where = append(where, "v.status = ?")
		args = append(args, f.Status)
	}
	base := "SELECT v.id FROM visits v WHERE " + strings.Join(where, " AND ")
	n, err := store.CountUpTo(ctx, db, base, args...)
	if err != nil {
		return nil, pg, fmt.Errorf("visit: list: %w", err)
	}
	pg.Count = n
	cond, cargs := store.After("v.window_to", "v.id", c)
	rows, err := store.Query(ctx, db, `SELECT v.id, v.uscc, v.joint, v.window_from, v.window_to, v.status, v.publish_due_on,
		(SELECT COUNT(*) FROM visit_assignments a WHERE a.visit_id = v.id)
		FROM visits v WHERE `+strings.Join(where, " AND ")+" AND "+cond+` ORDER BY v.window_to, v.id LIMIT ?`,
		append(append(args, cargs...), limit+1)...)
	if err != nil {
		return nil, pg, fmt.Errorf("visit: list: %w", err)
	}
	defer rows.Close()
	var out []Listed
	for rows.Next() {
		var l Listed
		if err := rows.Scan(&l.ID, &l.USCC, &l.Joint, &l.WindowFrom, &l.WindowTo, &l.Status, &l.PublishDueOn, &l.Items); err != nil {
			return nil, pg, fmt.Errorf("visit: list: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, pg, fmt.Errorf("visit: list: %w", err)
	}
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		pg.Next = store.Cursor{At: last.WindowTo, ID: last.ID}
	}
	return out, pg, nil
}

// Evidence is one piece of a visit's evidence, without its bytes.
type Evidence struct {
	Kind        string
	SHA256      string
	ContentType string
	Size        int
	CreatedAt   time.Time
}

// EvidenceOf returns visit id's evidence, oldest first.
func (s *Service) EvidenceOf(ctx context.Context, db store.IDB, visitID int64) ([]Evidence, error) {
	rows, err := store.Query(ctx, db, `SELECT kind, sha256, content_type, size, created_at FROM visit_evidence WHERE visit_id = ? ORDER BY id`, visitID)
	if err != nil {
		return nil, fmt.Errorf("visit: evidence: %w", err)
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.Kind, &e.SHA256, &e.ContentType, &e.Size, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("visit: evidence: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PublishedOf returns the published visits of business uscc, newest
// first, at most limit: 双随机 results are public.
func (s *Service) PublishedOf(ctx context.Context, db store.IDB, uscc string, limit int) ([]Visit, error) {
	rows, err := store.Query(ctx, db, `SELECT id FROM visits WHERE uscc = ? AND status = ? ORDER BY published_on DESC, id DESC LIMIT ?`,
		uscc, StatusPublished, limit)
	if err != nil {
		return nil, fmt.Errorf("visit: published of %s: %w", uscc, err)
	}
	var idl []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("visit: published of %s: %w", uscc, err)
		}
		idl = append(idl, id)
	}
	rows.Close()
	out := make([]Visit, 0, len(idl))
	for _, id := range idl {
		v, err := s.Get(ctx, db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ResultName returns the zh-CN name of a standard result code.
func ResultName(code string) string {
	r, _ := resultByCode(code)
	return r.Name
}
