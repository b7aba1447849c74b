package warning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// SubjectType is the flow subject type of warnings: each warning is a
// case in its department's inbox (/work), owned by this module.
const SubjectType = "warning"

// TopicRaised is written when a warning is raised, for notifications to
// the department and, where the rule says so, to the business.
const TopicRaised = "warning.raised"

// FlowKey returns the key of the workflow definition of rule id. Each rule
// has its own, because each rule has its own limit: the limit is the
// definition's overall limit, in working days, over 待核实 and 核实中.
func FlowKey(ruleID string) string { return "warning." + ruleID }

// Definitions returns one workflow definition per rule in force:
// 待核实 → (核实) 核实中 → (确认 | 排除, with a note) 已确认 | 已排除, for the
// department's handlers and approvers, within the rule's limit, with the
// reminder at 80% and supervision at the limit that other cases have.
func (m *Module) Definitions() ([][]byte, error) {
	roles := []auth.Role{auth.RoleHandler, auth.RoleApprover}
	var out [][]byte
	for _, r := range m.d.Rules.List {
		d := flow.Definition{Key: FlowKey(r.ID), Name: "预警核实：" + r.Name, NameEn: "Warning check: " + r.NameEn,
			Limit: &flow.Limit{N: r.LimitWorkingDays, Unit: flow.WorkDays},
			States: []flow.State{
				{Key: StatusOpen, Name: "待核实", NameEn: "To verify", Kind: flow.StartState},
				{Key: StatusVerifying, Name: "核实中", NameEn: "Verifying"},
				{Key: StatusConfirmed, Name: "已确认", NameEn: "Confirmed", Kind: flow.EndState},
				{Key: StatusExcluded, Name: "已排除", NameEn: "Excluded", Kind: flow.EndState},
			},
			Actions: []flow.Action{
				{Key: "verify", Name: "核实", NameEn: "Verify", From: []string{StatusOpen}, To: StatusVerifying, Roles: roles},
				{Key: "confirm", Name: "确认", NameEn: "Confirm", From: []string{StatusVerifying}, To: StatusConfirmed, Roles: roles, CommentRequired: true},
				{Key: "exclude", Name: "排除", NameEn: "Exclude", From: []string{StatusVerifying}, To: StatusExcluded, Roles: roles, CommentRequired: true},
			},
			Escalation: []flow.Rule{{Level: flow.LevelRemind, Share: 0.8, On: flow.OnOverall}, {Level: flow.LevelSupervise, Share: 1, On: flow.OnOverall}},
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("warning: definition %s: %w", r.ID, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// LoadDefinitions stores the definitions (a new version only when a rule's
// name or limit changed). Without a workflow engine warnings stay on the
// module's own lists only.
func (m *Module) LoadDefinitions(ctx context.Context) error {
	if m.d.Flow == nil {
		return nil
	}
	defs, err := m.Definitions()
	if err != nil {
		return err
	}
	for _, b := range defs {
		if _, _, err := m.d.Flow.LoadDefinition(ctx, b, auth.System()); err != nil {
			return fmt.Errorf("warning: %w", err)
		}
	}
	return nil
}

// SubjectTypes lists the flow subject types whose cases the module owns:
// the inbox authorises them as warnings and links to the warning's page.
func (m *Module) SubjectTypes() []string { return []string{SubjectType} }

// AuthorizeSubject decides whether a may see warning id as the module's
// own pages decide; verifying and deciding happen on those pages, which
// check the department themselves.
func (m *Module) AuthorizeSubject(ctx context.Context, a *auth.Actor, act auth.Action, subjectType string, id int64) error {
	w, err := m.Get(ctx, a, id)
	if err != nil {
		return err
	}
	if act == auth.ActAct {
		return m.d.Policy.Authorize(a, auth.ActAct, w.object())
	}
	return nil
}

// SubjectPage returns the warning's page.
func (m *Module) SubjectPage(subjectType string, id int64) string {
	return "/warnings/" + strconv.FormatInt(id, 10)
}

// reference is the number a warning is quoted by in inboxes.
func reference(raisedOn string, id int64) string {
	return fmt.Sprintf("预警〔%s〕%d号", raisedOn[:4], id)
}

// open starts the warning's case in its department's inbox and writes the
// event notifications are made from, in the transaction that raised it.
func (m *Module) open(ctx context.Context, tx store.IDB, r *Rule, id int64, h hit, raisedOn, dueOn string) error {
	if m.d.Flow != nil {
		// The inbox shows the business by name (its code where the register lacks it).
		title := r.Name + "：" + h.uscc
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM entities WHERE uscc = ?`, h.uscc).Scan(&name); err == nil && name != "" {
			title = r.Name + "：" + name
		}
		if utf8.RuneCountInString(title) > 200 {
			title = string([]rune(title)[:200])
		}
		if _, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: FlowKey(r.ID), SubjectType: SubjectType,
			SubjectID: id, Reference: reference(raisedOn, id), Title: title, RegionCode: h.region,
			DepartmentIDs: []int64{h.dept}, Actor: auth.System()}); err != nil {
			return fmt.Errorf("warning: %d: inbox: %w", id, err)
		}
	}
	return outbox.Add(ctx, tx, m.d.Now(), TopicRaised, Raised{ID: id, RuleID: r.ID, RuleName: r.Name, RuleNameEn: r.NameEn,
		USCC: h.uscc, DepartmentID: h.dept, Prompt: r.Prompt, Detail: h.detail, DueOn: dueOn})
}

// Raised is the payload of TopicRaised.
type Raised struct {
	ID           int64  `json:"id"`
	RuleID       string `json:"rule_id"`
	RuleName     string `json:"rule_name"`
	RuleNameEn   string `json:"rule_name_en"`
	USCC         string `json:"uscc"`
	DepartmentID int64  `json:"department_id"`
	Prompt       bool   `json:"prompt"`
	Detail       string `json:"detail"`
	DueOn        string `json:"due_on"`
}

// advance moves the warning's inbox case by action; a warning raised
// before warnings had cases (or without an engine) has none, and is
// handled on its own list alone.
func (m *Module) advance(ctx context.Context, tx store.IDB, a *auth.Actor, id int64, action, note string) error {
	if m.d.Flow == nil {
		return nil
	}
	in, err := m.d.Flow.InstanceFor(ctx, tx, SubjectType, id)
	if errors.Is(err, flow.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("warning: %d: %w", id, err)
	}
	if in.Status == flow.StatusDone {
		return nil
	}
	if _, err := m.d.Flow.Do(ctx, tx, in.ID, action, a, nil, note); err != nil {
		if errors.Is(err, flow.ErrForbidden) {
			return auth.ErrForbidden
		}
		return fmt.Errorf("warning: %d: %s: %w", id, action, err)
	}
	return nil
}
