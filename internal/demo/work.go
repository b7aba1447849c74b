package demo

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
)

// GeneralDefinition is the demo's general approval workflow: intake at the
// window, review by the department (with a correction pause), decision by
// an approver, on working-day limits with the 三单一函 ladder.
//
//go:embed general.json
var GeneralDefinition []byte

// step is one action in a demo case's past, taken at a working-day offset
// from the case's start.
type step struct {
	action string
	actor  string // demo username
	after  int    // working days after the start (0 = same day)
	hours  int    // plus hours
	inputs map[string]string
	note   string
}

// demoCase is a case in progress: who applied, which department handles it,
// how many working days ago it started and what happened since.
type demoCase struct {
	title    string
	owner    string // demo username of the applicant
	dept     string // department code
	region   string
	ageDays  int // working days before now
	ageHours int
	steps    []step
}

var demoCases = []demoCase{
	{"个体工商户设立登记 · 张三小吃店", "zhangsan", "LJ-SCJG", "990102", 8, 2, []step{
		{action: "accept", actor: "clerk_lj", hours: 1},
	}},
	{"食品经营许可 · 云澜味道餐饮有限公司", "yunlan_food", "LJ-SCJG", "990102", 4, 3, []step{
		{action: "accept", actor: "clerk_lj", hours: 1},
	}},
	{"食品经营许可变更 · 云澜味道（江滨店）", "yunlan_food", "LJ-SCJG", "990102", 2, 0, []step{
		{action: "accept", actor: "clerk_lj", hours: 2},
	}},
	{"公共场所卫生许可 · 张三理发店", "zhangsan", "LJ-SCJG", "990102", 0, 3, nil},
	{"户外广告设置 · 云澜味道门头招牌", "yunlan_food", "LJ-CGJ", "990102", 3, 0, []step{
		{action: "accept", actor: "clerk_lj", hours: 1},
	}},
	{"个体工商户变更登记 · 张三小吃店", "zhangsan", "LJ-SCJG", "990102", 5, 0, []step{
		{action: "accept", actor: "clerk_lj", hours: 1},
		{action: "ask_correction", actor: "handler_scj", after: 1, inputs: map[string]string{"materials": "经营场所证明（租赁合同）复印件不清晰"}},
	}},
	{"食品经营许可 · 云澜味道（青山店）", "yunlan_food", "QS-SCJG", "990103", 3, 0, []step{
		{action: "accept", actor: "clerk_qs", hours: 1},
	}},
	{"小餐饮登记 · 张三早餐铺", "zhangsan", "LJ-SCJG", "990102", 4, 0, []step{
		{action: "accept", actor: "clerk_lj", hours: 1},
		{action: "pass", actor: "handler_scj", after: 2, inputs: map[string]string{"opinion": "符合条件"}},
	}},
	{"食品经营许可延续 · 云澜味道（总店）", "yunlan_food", "LJ-SCJG", "990102", 9, 0, []step{
		{action: "accept", actor: "clerk_lj", hours: 1},
		{action: "pass", actor: "handler_scj", after: 3, inputs: map[string]string{"opinion": "符合条件"}},
		{action: "approve", actor: "approver_scj", after: 4},
	}},
}

// SeedWork loads the general workflow and starts the demo cases with
// histories reaching into the past working days, so inboxes show every
// urgency colour and the timer worker has escalations to fire.
func SeedWork(ctx context.Context, d Deps, cal *calendar.Calendar, s *Seeded, now time.Time) error {
	clock := now
	eng := flow.New(d.DB, func() flow.Calendar { return cal }, d.Audit, func() time.Time { return clock })
	if _, _, err := eng.LoadDefinition(ctx, GeneralDefinition, auth.System()); err != nil {
		return fmt.Errorf("demo: load workflow: %w", err)
	}
	actors, err := demoActors(ctx, d, s)
	if err != nil {
		return err
	}
	for i, c := range demoCases {
		start := backWorkingDays(cal, now, c.ageDays).Add(-time.Duration(c.ageHours) * time.Hour)
		clock = start
		owner := actors[c.owner]
		ref := fmt.Sprintf("YL%s%04d", start.In(calendar.CST).Format("20060102"), i+1)
		var id int64
		err := d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			in, err := eng.Start(ctx, tx, flow.StartInput{DefinitionKey: "demo.general", SubjectType: "demo",
				SubjectID: int64(i + 1), Reference: ref, Title: c.title, RegionCode: c.region,
				DepartmentIDs: []int64{s.Departments[c.dept]}, OwnerUserID: owner.UserID, Actor: owner})
			if err != nil {
				return err
			}
			id = in.ID
			return nil
		})
		if err != nil {
			return fmt.Errorf("demo: case %d: %w", i+1, err)
		}
		for _, st := range c.steps {
			clock = cal.AddWorkingDays(start, st.after).Add(-15*time.Hour - 59*time.Minute) // morning of that day
			if st.after == 0 {
				clock = start
			}
			clock = clock.Add(time.Duration(st.hours) * time.Hour)
			err := d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := eng.Do(ctx, tx, id, st.action, actors[st.actor], st.inputs, st.note)
				return err
			})
			if err != nil {
				return fmt.Errorf("demo: case %d %s: %w", i+1, st.action, err)
			}
		}
	}
	return nil
}

// backWorkingDays returns the time n working days before now, at the same
// time of day (n = 0: now).
func backWorkingDays(cal *calendar.Calendar, now time.Time, n int) time.Time {
	t := now
	for n > 0 {
		t = t.AddDate(0, 0, -1)
		if cal.IsWorkday(t) {
			n--
		}
	}
	return t
}

// demoActors builds the actor of every demo user, as sign-in would.
func demoActors(ctx context.Context, d Deps, s *Seeded) (map[string]*auth.Actor, error) {
	out := map[string]*auth.Actor{}
	for name, id := range s.Users {
		u, err := d.Org.GetUser(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("demo: user %s: %w", name, err)
		}
		out[name] = &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles,
			RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs, USCC: u.USCC}
	}
	return out, nil
}
