package enforcement

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Article45 is the rule a revision after the party's statement and defence
// keeps to: 行政处罚法（2021年修订）第四十五条 — the party has the right to
// state and defend its case; the department must hear it fully, review the
// facts, reasons and evidence put forward and adopt those that hold;
// "行政机关不得因当事人陈述、申辩而给予更重的处罚" (第二款). The shared
// reference (credit-and-inspection.md) does not quote the article; the
// text is the law's.
const Article45 = "行政处罚法第四十五条第二款：行政机关不得因当事人陈述、申辩而给予更重的处罚"

// Statement is the party's statement and defence (陈述、申辩) as the
// department recorded it: in writing, or spoken and taken down (笔录).
type Statement struct {
	On     string    `json:"on" doc:"YYYY-MM-DD"`
	Way    string    `json:"way" enum:"written,oral" doc:"written: 书面陈述申辩; oral: 口头陈述申辩，制作笔录"`
	Text   string    `json:"text"`
	ByID   int64     `json:"by_id"`
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
}

// Revision is a change to the intended penalty after the party's
// statement and defence was reviewed (复核).
type Revision struct {
	From   Penalty   `json:"from"`
	To     Penalty   `json:"to"`
	Reason string    `json:"reason" doc:"复核意见: which of the party's facts, reasons and evidence were adopted"`
	ByID   int64     `json:"by_id"`
	ByName string    `json:"by_name"`
	At     time.Time `json:"at"`
}

// PartyNotice is a notice to the party recorded on the case: the prior
// notice (行政处罚告知书) of the intended penalty, and the notice of a
// revision after review (复核结果告知).
type PartyNotice struct {
	Kind string    `json:"kind" enum:"prior,revised"`
	On   string    `json:"on" doc:"YYYY-MM-DD"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// StatementInput is the party's statement and defence to record.
type StatementInput struct {
	Way  string `json:"way" enum:"written,oral"`
	Text string `json:"text" maxLength:"4000" doc:"What the party stated: facts, reasons, evidence"`
}

// RevisionInput is the intended penalty as revised after review.
type RevisionInput struct {
	Level     discretion.Level `json:"level" enum:"none,reduced,lighter,normal,heavier"`
	Kinds     []string         `json:"kinds,omitempty" maxItems:"10"`
	FineYuan  int64            `json:"fine_yuan,omitempty" minimum:"0"`
	Reason    string           `json:"reason" maxLength:"2000" doc:"复核意见: which of the party's facts, reasons and evidence were adopted"`
	Education string           `json:"education,omitempty" maxLength:"2000" doc:"Required for level none"`
}

// levelRank orders the levels from the mildest.
func levelRank(l discretion.Level) int { return slices.Index(levels, l) }

// describe writes a penalty as the notices say it.
func describe(p *Penalty) string {
	if p == nil || p.Level == discretion.LevelNone {
		return "不予行政处罚"
	}
	var parts []string
	for _, k := range p.Kinds {
		if k == "罚款" {
			parts = append(parts, "罚款"+strconv.FormatInt(p.FineYuan(), 10)+"元")
		} else {
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, "、")
}

// noticeState checks that case c waits on the party after prior notice:
// statements are recorded and the intended penalty revised only then.
func (m *Module) noticeState(ctx context.Context, c *Case) error {
	if c.Status != StatusOpen || c.Intended == nil || c.CaseInstance == 0 {
		return ErrState
	}
	in, err := m.d.Flow.Instance(ctx, c.CaseInstance)
	if err != nil {
		return flowErr(err)
	}
	if in.State != "notified" {
		return ErrState
	}
	return nil
}

// RecordStatement records the party's statement and defence on case id,
// while the case waits on the party after prior notice.
func (m *Module) RecordStatement(ctx context.Context, a *auth.Actor, id int64, in StatementInput) (*Case, error) {
	var p valid.Problems
	if in.Way != "written" && in.Way != "oral" {
		p.Add("way", "须为书面或口头 (written or oral)")
	}
	text(&p, "text", in.Text, true, 4000)
	if len(p) > 0 {
		return nil, p.Err()
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.HasAny(auth.RoleInspector, auth.RoleHandler) {
			return auth.ErrForbidden
		}
		if err := m.noticeState(ctx, c); err != nil {
			return err
		}
		c.Statements = append(c.Statements, Statement{On: m.today().String(), Way: in.Way, Text: strings.TrimSpace(in.Text),
			ByID: a.UserID, ByName: a.Name, At: m.now()})
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement.statement", c, map[string]any{"way": in.Way})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id, "zh-CN")
}

// Revise changes the intended penalty of case id after the party's
// statement and defence has been recorded and reviewed, and records the
// notice of the result to the party. The revision may keep or lighten the
// penalty, never make it heavier (Article45): a higher level, a larger
// fine or a kind of penalty not in the notice is refused as bad input and
// nothing is stored. Facts that would call for a heavier penalty are a new
// investigation: legal review returns the case and a new prior notice
// follows.
func (m *Module) Revise(ctx context.Context, a *auth.Actor, id int64, in RevisionInput) (*Case, error) {
	var p valid.Problems
	if !slices.Contains(levels, in.Level) {
		p.Add("level", "裁量阶次无效 (unknown level)")
	}
	for _, k := range in.Kinds {
		if !slices.Contains(PenaltyKinds, k) {
			p.Add("kinds", "处罚种类无效 (unknown kind of penalty)")
		}
	}
	text(&p, "reason", in.Reason, true, 2000)
	text(&p, "education", in.Education, false, 2000)
	if in.FineYuan < 0 {
		p.Add("fine_yuan", "不得为负 (not negative)")
	}
	if in.Level == discretion.LevelNone {
		if len(in.Kinds) > 0 || in.FineYuan > 0 {
			p.Add("kinds", "不予处罚不得有处罚种类或罚款 (no penalty: no kinds or fine)")
		}
		if strings.TrimSpace(in.Education) == "" {
			p.Add("education", "不予处罚须记录教育情况 (record the education given)")
		}
	} else {
		if len(in.Kinds) == 0 {
			p.Add("kinds", "须选择处罚种类 (choose the kind of penalty)")
		}
		if in.FineYuan > 0 != slices.Contains(in.Kinds, "罚款") {
			p.Add("fine_yuan", "罚款金额与处罚种类不一致 (a fine needs the kind 罚款 and an amount)")
		}
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := m.change(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.HasAny(auth.RoleInspector, auth.RoleHandler) {
			return auth.ErrForbidden
		}
		if err := m.noticeState(ctx, c); err != nil {
			return err
		}
		if len(c.Statements) == 0 {
			return conflict{"enforcement: record the party's statement and defence before revising the intended penalty (须先记录当事人的陈述申辩)"}
		}
		old, fine := *c.Intended, in.FineYuan*100
		var q valid.Problems
		if levelRank(in.Level) > levelRank(old.Level) {
			q.Add("level", "%s（裁量阶次不得高于告知的阶次 the level may not rise above the notified one）", Article45)
		}
		if fine > old.FineFen {
			q.Add("fine_yuan", "%s（罚款不得高于告知的%d元 the fine may not exceed the notified %d yuan）", Article45, old.FineYuan(), old.FineYuan())
		}
		for _, k := range in.Kinds {
			if !slices.Contains(old.Kinds, k) {
				q.Add("kinds", "%s（不得增加告知中没有的处罚种类“%s” no kind of penalty beyond the notice）", Article45, k)
			}
		}
		if len(q) > 0 {
			return q.Err()
		}
		if in.Level == old.Level && fine == old.FineFen && slices.Equal(slices.Sorted(slices.Values(in.Kinds)), slices.Sorted(slices.Values(old.Kinds))) {
			return &valid.FieldError{Path: "level", Message: "与告知的拟处罚相同，无需变更 (the same as the notified penalty)"}
		}
		next := Penalty{Level: in.Level, Kinds: in.Kinds, FineFen: fine, Education: in.Education, Reason: old.Reason}
		if in.Level == discretion.LevelNone {
			next.Reason = in.Reason
		}
		if prop := c.Proposal; prop != nil {
			next.Departed = in.Level != prop.Level || (prop.FineMax > 0 && (fine < prop.FineMin || fine > prop.FineMax))
			if next.Departed {
				next.DepartureReason = "陈述申辩复核：" + in.Reason
			}
		}
		reason := strings.TrimSpace(in.Reason)
		now := m.now()
		c.Revisions = append(c.Revisions, Revision{From: old, To: next, Reason: reason, ByID: a.UserID, ByName: a.Name, At: now})
		c.Notices = append(c.Notices, PartyNotice{Kind: "revised", On: m.today().String(), At: now,
			Text: fmt.Sprintf("经对当事人陈述、申辩的复核，拟作出的行政处罚由“%s”变更为“%s”。复核意见：%s", describe(&old), describe(&next), reason)})
		c.Intended = &next
		if err := m.save(ctx, tx, c); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "enforcement.revise", c, map[string]any{"from_level": old.Level, "from_fine_fen": old.FineFen,
			"to_level": next.Level, "to_fine_fen": next.FineFen, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id, "zh-CN")
}
