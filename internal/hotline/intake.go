package hotline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Duplicate is an earlier order the new one probably repeats.
type Duplicate struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	Title      string    `json:"title"`
	Status     Status    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	Similarity float64   `json:"similarity"`
	Reason     string    `json:"reason"`
}

// IntakeResult is what Intake created and what it found.
type IntakeResult struct {
	Order       *Order       `json:"order"`
	Duplicates  []Duplicate  `json:"duplicates" doc:"Earlier orders to offer for merging"`
	Suggestions []Suggestion `json:"suggestions" doc:"Likeliest departments, with the reason"`
}

// maxDuplicates bounds the duplicates offered for one order: an operator
// merges into one master, and in a burst of reports about one place the
// newest few already show it (merged orders are offered as their master).
const maxDuplicates = 10

// Duplicates returns the orders of the last DuplicateDays that in probably
// repeats: the same caller phone (by its blind index), or the same region
// and address with text at least DuplicateSimilarity alike; at most
// maxDuplicates, the same caller's first, then the newest. A merged order
// is offered as its master, once.
//
// Both lookups are bounded and indexed (20 orders of the caller, 50 of the
// place), and the candidates' bigrams come from a cache keyed by their
// text, so a burst of reports about one place costs each new report the
// same as the first.
func (m *Module) Duplicates(ctx context.Context, in NewOrder) ([]Duplicate, error) {
	in.normalize()
	since := store.Time(m.d.Now().AddDate(0, 0, -m.d.Config.DuplicateDays))
	const cols = "id, number, title, content, status, created_at, merged_into"
	type cand struct {
		Duplicate
		content string
		merged  *int64
	}
	var cands []cand
	read := func(q string, args ...any) error {
		rows, err := store.Query(ctx, m.d.DB, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c cand
			if err := rows.Scan(&c.ID, &c.Number, &c.Title, &c.content, &c.Status, &c.CreatedAt, &c.merged); err != nil {
				return err
			}
			c.CreatedAt = c.CreatedAt.UTC()
			cands = append(cands, c)
		}
		return rows.Err()
	}
	if in.CallerPhone != "" && validPhone(in.CallerPhone) {
		if err := read("SELECT "+cols+" FROM hotline_orders WHERE caller_phone_idx = ? AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT 20",
			m.d.Box.Index(in.CallerPhone), since); err != nil {
			return nil, fmt.Errorf("hotline: duplicates: %w", err)
		}
	}
	byPhone := len(cands)
	if in.RegionCode != "" && in.Address != "" {
		if err := read("SELECT "+cols+" FROM hotline_orders WHERE region_code = ? AND address = ? AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT 50",
			in.RegionCode, in.Address, since); err != nil {
			return nil, fmt.Errorf("hotline: duplicates: %w", err)
		}
	}
	grams := bigrams(in.Title + " " + in.Content)
	seen := map[int64]bool{}
	var out []Duplicate
	for i, c := range cands {
		if len(out) == maxDuplicates {
			break
		}
		if c.Status == StatusTransferred {
			continue
		}
		id := c.ID
		if c.merged != nil && *c.merged != 0 {
			id = *c.merged
		}
		if seen[id] {
			continue // its master is offered already: no need to compare or load it
		}
		c.Similarity = jaccard(grams, m.grams.get(c.Title+" "+c.content))
		if i < byPhone {
			c.Reason = fmt.Sprintf("同一来电号码 %d 天内的工单（内容相似度 %.2f）", m.d.Config.DuplicateDays, c.Similarity)
		} else if c.Similarity >= m.d.Config.DuplicateSimilarity {
			c.Reason = fmt.Sprintf("同一地点且内容相似（相似度 %.2f）", c.Similarity)
		} else {
			continue
		}
		if id != c.ID {
			master, err := m.load(ctx, m.d.DB, id)
			if err != nil {
				continue
			}
			c.ID, c.Number, c.Title, c.Status, c.CreatedAt = master.ID, master.Number, master.Title, master.Status, master.CreatedAt
		}
		seen[id] = true
		// Another caller's order: its title shows no personal numbers.
		c.Title = pii.MaskText(c.Title)
		out = append(out, c.Duplicate)
	}
	return out, nil
}

// checkCaller refuses a caller user id that names no active citizen or
// enterprise account: an order may belong only to the public, so an
// operator cannot give one to a colleague, an administrator or nobody.
func (m *Module) checkCaller(ctx context.Context, a *auth.Actor, id int64) error {
	if id == 0 || (id == a.UserID && a.HasAny(auth.RoleCitizen, auth.RoleEnterprise)) {
		return nil
	}
	bad := &FieldError{Name: "caller_user_id", Message: "来电人账户不存在或不是市民、企业账户 (the caller must be an existing citizen or enterprise account)"}
	if id < 0 {
		return bad
	}
	u, err := m.d.Org.GetUser(ctx, id)
	if errors.Is(err, org.ErrNotFound) {
		return bad
	}
	if err != nil {
		return fmt.Errorf("hotline: intake: caller %d: %w", id, err)
	}
	if u.Status != org.StatusActive || !(u.Has(auth.RoleCitizen) || u.Has(auth.RoleEnterprise)) {
		return bad
	}
	return nil
}

// Intake takes in a work order from any channel: it validates every field
// (nothing is stored when one is wrong), numbers the order, stores it with
// the caller's phone encrypted, starts its workflow on the definition of
// its type and urgency, and returns it with the duplicates found and the
// dispatch suggestion. A consultation with DirectAnswer is closed at once
// (直接办结); with MergeInto the order is merged into that master at once.
//
// Citizens and enterprises file their own orders: the caller must pass
// their user id as CallerUserID. Open311 passes ChannelOpen311 and its
// service request id as SourceRef.
func (m *Module) Intake(ctx context.Context, a *auth.Actor, in NewOrder) (*IntakeResult, error) {
	return m.intake(ctx, a, in, true)
}

// Receive takes in a work order as Intake does, for a channel that shows
// the sender no duplicate offers and no dispatch suggestions (Open311
// answers only the order's number): it does not look for them, which
// under a burst of reports about one place was half of intake's work and
// was thrown away. Nothing else changes: the order is stored, numbered and
// started exactly as by Intake.
func (m *Module) Receive(ctx context.Context, a *auth.Actor, in NewOrder) (*Order, error) {
	res, err := m.intake(ctx, a, in, false)
	if err != nil {
		return nil, err
	}
	return res.Order, nil
}

// intake is Intake; offers says whether to look for duplicates and
// dispatch suggestions.
func (m *Module) intake(ctx context.Context, a *auth.Actor, in NewOrder, offers bool) (*IntakeResult, error) {
	in.normalize()
	if err := in.validate(m.activeCategory); err != nil {
		return nil, err
	}
	if err := m.checkCaller(ctx, a, in.CallerUserID); err != nil {
		return nil, err
	}
	if err := m.linkCaller(ctx, a, &in); err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActCreate, auth.Object{Kind: Kind, RegionCode: in.RegionCode,
		OwnerUserID: in.CallerUserID}); err != nil {
		return nil, err
	}
	res := &IntakeResult{}
	var err error
	if offers {
		if res.Duplicates, err = m.Duplicates(ctx, in); err != nil {
			return nil, err
		}
	}
	if offers && in.DirectAnswer == "" && in.MergeInto == 0 {
		if res.Suggestions, err = m.Suggest(ctx, in.CategoryCode, in.RegionCode, in.Title+" "+in.Content); err != nil {
			return nil, err
		}
	}
	// On PostgreSQL the order's number is drawn in a statement of its own
	// before the intake's transaction: the day's counter is one row, and
	// drawn inside the transaction its lock was held until COMMIT, so every
	// concurrent intake queued behind it (30 of 32 callers waited on that
	// row under load). A failed intake then leaves its number unused; the
	// numbers stay unique and increasing within the day. On SQLite the
	// single writer serialises intakes anyway, and the number is drawn in
	// the shared group transaction.
	var early string
	var earlyAt time.Time
	if m.d.DB.Kind() == store.Postgres {
		earlyAt = store.Time(m.d.Now())
		if early, err = nextNumber(ctx, m.d.DB, earlyAt); err != nil {
			return nil, err
		}
	}
	var id int64
	var o *Order
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		now, number := earlyAt, early
		var err error
		if number == "" {
			now = store.Time(m.d.Now())
			if number, err = nextNumber(ctx, tx, now); err != nil {
				return err
			}
		}
		var lat, lng any
		if in.Lat != nil {
			lat, lng = *in.Lat, *in.Lng
		}
		sealed, index := m.d.Box.Seal(in.CallerPhone), m.d.Box.Index(in.CallerPhone)
		takenBy := int64(0)
		if a.HasAny(auth.RoleOperator, auth.RoleDispatcher) {
			takenBy = a.UserID
		}
		err = store.QueryRow(ctx, tx, `INSERT INTO hotline_orders (number, channel, order_type, category_code, title, content,
			caller_name, caller_phone, caller_phone_idx, caller_user_id, taken_by, uscc, region_code, address, lat, lng,
			urgent, confidential, status, instance_id, lead_department_id, assist_department_ids, merged_into, source_ref,
			direct_closed, reply_text, visit_satisfaction, visit_note, reopen_count, transfer_outcome, created_at, updated_at, not_public)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', NULL, ?, FALSE, '', '', '', 0, '', ?, ?, ?)
			RETURNING id`,
			number, in.Channel, in.Type, in.CategoryCode, in.Title, in.Content, in.CallerName,
			sealed, index, in.CallerUserID, takenBy, in.USCC,
			in.RegionCode, in.Address, lat, lng, in.Urgent, in.Confidential, StatusNew, in.SourceRef, now, now, in.NotPublic).Scan(&id)
		if err != nil {
			return fmt.Errorf("hotline: intake: %w", err)
		}
		// The workflow's start is the audit entry of the intake (flow.start,
		// subject hotline_order and the order's id, by the operator). Its
		// title shows in every member of staff's work lists: masked.
		inst, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: TierDefinitionKey(in.Type, m.set.Tier(in.Urgent, in.CategoryCode)),
			SubjectType: Kind, SubjectID: id, Reference: number, Title: pii.MaskText(in.Title), RegionCode: in.RegionCode,
			OwnerUserID: in.CallerUserID, Actor: a})
		if err != nil {
			return fmt.Errorf("hotline: intake %s: %w", number, err)
		}
		if _, err := store.Exec(ctx, tx, "UPDATE hotline_orders SET instance_id = ? WHERE id = ?", inst.ID, id); err != nil {
			return fmt.Errorf("hotline: intake %s: %w", number, err)
		}
		if in.DirectAnswer == "" && in.MergeInto == 0 {
			// The order as stored, without reading it back.
			o = &Order{ID: id, Number: number, Channel: in.Channel, Type: in.Type, CategoryCode: in.CategoryCode,
				Title: in.Title, Content: in.Content, CallerName: in.CallerName, CallerUserID: in.CallerUserID,
				TakenBy: takenBy, USCC: in.USCC, RegionCode: in.RegionCode, Address: in.Address, Lat: in.Lat, Lng: in.Lng,
				Urgent: in.Urgent, Confidential: in.Confidential, NotPublic: in.NotPublic, Status: StatusNew, InstanceID: inst.ID,
				SourceRef: in.SourceRef, CreatedAt: now, UpdatedAt: now, phoneSealed: sealed, phoneIndex: index}
		}
		switch {
		case in.DirectAnswer != "":
			if _, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: inst.ID, Action: "direct_close",
				Actor: a, Comment: in.DirectAnswer}); err != nil {
				return flowError(err)
			}
			_, err = tx.ExecContext(ctx, `UPDATE hotline_orders SET status = ?, direct_closed = TRUE, reply_text = ?,
				replied_at = ?, closed_at = ?, updated_at = ? WHERE id = ?`, StatusClosed, in.DirectAnswer, now, now, now, id)
			if err != nil {
				return fmt.Errorf("hotline: direct close %s: %w", number, err)
			}
		case in.MergeInto != 0:
			o, err := m.load(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := m.merge(ctx, tx, a, o, in.MergeInto, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if o == nil {
		if o, err = m.load(ctx, m.d.DB, id); err != nil {
			return nil, err
		}
	}
	res.Order = m.present(a, o)
	if res.Duplicates == nil {
		res.Duplicates = []Duplicate{}
	}
	if res.Suggestions == nil {
		res.Suggestions = []Suggestion{}
	}
	return res, nil
}
