package hotline

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
)

// baseDefinition is the hotline workflow: 待派单 → 待签收 → 办理中 → 已答复 →
// 已办结 → 已回访, with 退单, 退回重办, 重办, 直接办结, 合并 and 转110, the
// 三单一函 ladder on the state limits, and extensions asked by the handling
// department and granted by the dispatcher.
//
//go:embed hotline.json
var baseDefinition []byte

// Why one definition per limit profile: a definition's state limits are
// fixed, while the hotline's limits depend on the request type (and the
// sign-for limit on urgency) and are configuration an administrator edits.
// So the module derives, from the embedded base and the hotline_limits
// table, one definition per type and urgency ("hotline.complaint",
// "hotline.complaint.urgent" …) and loads it into the engine. The engine
// then does everything it is good at — deadlines on the working-day
// calendar, the escalation ladder, extensions — with no hotline-specific
// arithmetic; an edited limit is loaded as a new version that new orders
// start on, while running orders keep the limits they were taken in under.

// DefinitionKey returns the workflow definition an order of type t runs on.
func DefinitionKey(t Type, urgent bool) string {
	if urgent {
		return "hotline." + string(t) + ".urgent"
	}
	return "hotline." + string(t)
}

// Limits are the time limits of one request type.
type Limits struct {
	Type Type `json:"type"`
	// SignFor is the time the department has to sign for (签收) the order;
	// UrgentSignFor replaces it for urgent orders (minutes on the wall clock).
	SignFor       flow.Limit `json:"sign_for"`
	UrgentSignFor flow.Limit `json:"urgent_sign_for"`
	// Handle is the time from sign-for to the reply (办理时限).
	Handle    flow.Limit `json:"handle"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// DefaultLimits returns the limits a new installation starts with, after
// the reference rules: sign for within 1 working day (15 minutes when life
// or property is in danger); consultations and help within 3 working days;
// complaints, reports and suggestions within 13; enterprise appeals within 5.
func DefaultLimits() []Limits {
	wd := func(n int) flow.Limit { return flow.Limit{N: n, Unit: flow.WorkDays} }
	urgent := flow.Limit{N: 15, Unit: flow.Minutes}
	handle := map[Type]int{TypeConsult: 3, TypeHelp: 3, TypeComplaint: 13, TypeReport: 13, TypeSuggestion: 13,
		TypePraise: 5, TypeAppealDishonesty: 5, TypeAppealArrears: 5, TypeAppealPolicy: 5}
	out := make([]Limits, 0, len(Types))
	for _, t := range Types {
		out = append(out, Limits{Type: t, SignFor: wd(1), UrgentSignFor: urgent, Handle: wd(handle[t])})
	}
	return out
}

func validLimit(l flow.Limit) bool {
	switch l.Unit {
	case flow.WorkDays, flow.Hours, flow.Minutes:
	default:
		return false
	}
	return l.N > 0 && l.N <= 1000
}

// limitRule is what a sensible value of one limit looks like.
type limitRule struct {
	units []flow.Unit       // the units allowed, in the order the form offers them
	max   map[flow.Unit]int // the largest number of each
	msg   string            // names the allowed units and ranges
}

// limitRules keep each limit to units that make sense for it: an urgent
// order must be signed for on the wall clock (minutes or hours), a normal
// one within working days or hours, and handling is counted in working
// days as the reference rules count it, so a slip of the unit (13 minutes
// for 13 working days) is caught wherever limits are set.
var limitRules = map[string]limitRule{
	"sign_for": {[]flow.Unit{flow.WorkDays, flow.Hours}, map[flow.Unit]int{flow.WorkDays: 10, flow.Hours: 72},
		"签收时限须为1至10个工作日或1至72小时 (1–10 working days or 1–72 hours)"},
	"urgent_sign_for": {[]flow.Unit{flow.Minutes, flow.Hours}, map[flow.Unit]int{flow.Minutes: 1440, flow.Hours: 24},
		"紧急签收时限须为1至1440分钟或1至24小时 (1–1440 minutes or 1–24 hours)"},
	"handle": {[]flow.Unit{flow.WorkDays}, map[flow.Unit]int{flow.WorkDays: 60},
		"办理时限须为1至60个工作日 (1–60 working days)"},
}

// checkLimits adds to p what is wrong with l's values under limitRules.
func checkLimits(l Limits, p *problems) {
	before := len(*p)
	for i, lim := range []flow.Limit{l.SignFor, l.UrgentSignFor, l.Handle} {
		rule := limitRules[limitFields[i]]
		if max, ok := rule.max[lim.Unit]; !ok || lim.N < 1 || lim.N > max {
			p.add(limitFields[i], rule.msg)
		}
	}
	if len(*p) == before && l.SignFor.Unit == flow.Hours && wall(l.UrgentSignFor) > wall(l.SignFor) {
		p.add("urgent_sign_for", "紧急签收时限不能长于普通签收时限 (the urgent limit cannot be longer than the normal one)")
	}
}

// wall is the wall-clock length of an hour or minute limit.
func wall(l flow.Limit) time.Duration {
	if l.Unit == flow.Minutes {
		return time.Duration(l.N) * time.Minute
	}
	return time.Duration(l.N) * time.Hour
}

// definition derives the definition of the limits' type and sign-for tier
// from the base, with the tier's limits under set (Settings.tierLimits).
func definition(l Limits, tier SignTier, set Settings) ([]byte, error) {
	raw, _, err := splitDefinition(baseDefinition)
	if err != nil {
		return nil, err
	}
	d, err := flow.Parse(raw)
	if err != nil {
		return nil, err
	}
	d.Key = TierDefinitionKey(l.Type, tier)
	d.Name = "12345工单·" + l.Type.Name()
	d.NameEn = "12345 work order · " + string(l.Type)
	sign, handle := set.tierLimits(l, tier)
	switch tier {
	case TierDanger:
		d.Name += "（紧急）"
		d.NameEn += " (urgent)"
	case TierUtility:
		d.Name += "（水电气暖）"
		d.NameEn += " (utility outage)"
	}
	for i := range d.States {
		switch d.States[i].Key {
		case "dispatched":
			d.States[i].Limit = &sign
		case "handling":
			d.States[i].Limit = &handle
		}
	}
	return json.Marshal(d)
}

// seedLimits writes the default limits of the types that have none.
func (m *Module) seedLimits(ctx context.Context) error {
	now := store.Time(m.d.Now())
	for _, l := range DefaultLimits() {
		_, err := m.d.DB.ExecContext(ctx, `INSERT INTO hotline_limits (order_type, sign_n, sign_unit, urgent_sign_n,
			urgent_sign_unit, handle_n, handle_unit, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)
			ON CONFLICT (order_type) DO NOTHING`, l.Type, l.SignFor.N, l.SignFor.Unit, l.UrgentSignFor.N,
			l.UrgentSignFor.Unit, l.Handle.N, l.Handle.Unit, now)
		if err != nil {
			return fmt.Errorf("hotline: seed limits: %w", err)
		}
	}
	return nil
}

// AllLimits returns the limits of every type, in Types order.
func (m *Module) AllLimits(ctx context.Context) ([]Limits, error) {
	rows, err := m.d.DB.QueryContext(ctx, `SELECT order_type, sign_n, sign_unit, urgent_sign_n, urgent_sign_unit,
		handle_n, handle_unit, updated_at FROM hotline_limits`)
	if err != nil {
		return nil, fmt.Errorf("hotline: limits: %w", err)
	}
	defer rows.Close()
	byType := map[Type]Limits{}
	for rows.Next() {
		var l Limits
		if err := rows.Scan(&l.Type, &l.SignFor.N, &l.SignFor.Unit, &l.UrgentSignFor.N, &l.UrgentSignFor.Unit,
			&l.Handle.N, &l.Handle.Unit, &l.UpdatedAt); err != nil {
			return nil, fmt.Errorf("hotline: limits: %w", err)
		}
		l.UpdatedAt = l.UpdatedAt.UTC()
		byType[l.Type] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hotline: limits: %w", err)
	}
	out := make([]Limits, 0, len(Types))
	for _, t := range Types {
		if l, ok := byType[t]; ok {
			out = append(out, l)
		}
	}
	return out, nil
}

// LoadDefinitions derives and loads the workflow definitions of every type
// (see DefinitionKey) from the stored limits. Each load runs in its own
// transaction: call it at start-up or after an edit, never inside another
// transaction. A definition whose content did not change keeps its version.
func (m *Module) LoadDefinitions(ctx context.Context) error {
	ls, err := m.AllLimits(ctx)
	if err != nil {
		return err
	}
	for _, l := range ls {
		for _, tier := range SignTiers {
			raw, err := definition(l, tier, m.set)
			if err != nil {
				return fmt.Errorf("hotline: definition %s: %w", l.Type, err)
			}
			if _, _, err := m.d.Flow.LoadDefinition(ctx, raw, auth.System()); err != nil {
				return fmt.Errorf("hotline: load definition %s: %w", l.Type, err)
			}
		}
	}
	return nil
}

// SetLimits changes the limits of one type (administrators) and loads the
// derived definitions as new versions: orders taken from now on run on the
// new limits, running ones keep theirs.
//
// The limits before and after are kept as revisions.
func (m *Module) SetLimits(ctx context.Context, a *auth.Actor, l Limits) error {
	return m.setLimits(ctx, a, l, "", revision.ReasonSave, 0)
}

// setLimits is SetLimits refusing with revision.ErrStale when base is set
// and is not the hash of the stored limits.
func (m *Module) setLimits(ctx context.Context, a *auth.Actor, l Limits, base, reason string, from int64) error {
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, auth.Object{Kind: Kind, RegionCode: m.region(a)}); err != nil {
		return err
	}
	var p problems
	if !l.Type.Valid() {
		p.add("type", "诉求类型无效 (unknown request type)")
	}
	checkLimits(l, &p)
	if err := p.err(); err != nil {
		return err
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		next := Limits{Type: l.Type, SignFor: l.SignFor, UrgentSignFor: l.UrgentSignFor, Handle: l.Handle}
		rev, err := m.revs.Replace(ctx, tx, revision.Replacement{Kind: RevisionLimits, Key: string(l.Type), Base: base,
			ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) { return readLimits(ctx, tx, l.Type) }, Next: next, Size: 3, Actor: a, Reason: reason, RestoredFrom: from,
			Apply: func(ctx context.Context, tx store.IDB) error {
				res, err := store.Exec(ctx, tx, `UPDATE hotline_limits SET sign_n = ?, sign_unit = ?, urgent_sign_n = ?,
					urgent_sign_unit = ?, handle_n = ?, handle_unit = ?, updated_at = ?, updated_by = ? WHERE order_type = ?`,
					l.SignFor.N, l.SignFor.Unit, l.UrgentSignFor.N, l.UrgentSignFor.Unit, l.Handle.N, l.Handle.Unit,
					store.Time(m.d.Now()), a.UserID, l.Type)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return sql.ErrNoRows
				}
				return nil
			}})
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.set_limits",
			ObjectType: "hotline_limits", ObjectID: string(l.Type),
			Detail: map[string]any{"limits": next, "revision": rev.Seq, "reason": rev.Reason, "restored_from": from}})
		return err
	})
	if err != nil {
		return fmt.Errorf("hotline: set limits %s: %w", l.Type, err)
	}
	return m.LoadDefinitions(ctx)
}

// region returns the actor's region, or the widest one for the system.
func (m *Module) region(a *auth.Actor) string {
	if a != nil && a.RegionCode != "" {
		return a.RegionCode
	}
	return "990000"
}
