// Package benchdata fills a database with a year of a city's data, so that
// the staff views can be measured at the size a city reaches
// (yingshang bench seed, docs/PERFORMANCE.md).
//
// The demo city is seeded first through the services (organisation,
// accounts, workflow definitions, catalogue, one of each case); the bulk is
// then written directly in large transactions of multi-row inserts:
// hotline orders spread over twelve months with their workflow instances,
// histories, timers, wait rows and assisting departments, and applications
// (cloned from the demo's, times shifted) with their instances and the
// certificates of the approved ones. Direct writes are what make a million
// orders take minutes instead of hours; they write the rows the engine
// would (the wait rows come from flow.Definition.Waits) but no audit
// entries or outbox events, which no staff list reads.
package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
)

// Options size the data.
type Options struct {
	Orders       int       // hotline orders over the twelve months before Now
	Applications int       // applications over the same months
	Now          time.Time // the end of the year of data
	Seed         uint64    // the random source's seed, for repeatable data
}

// Deps is what the seeder reads: the database, the workflow engine (for
// the definitions) and its calendar.
type Deps struct {
	DB       *store.DB
	Flow     *flow.Engine
	Calendar flow.Calendar
}

// Seed writes the data and reports progress on w, one line rewritten in
// place.
func Seed(ctx context.Context, d Deps, o Options, w io.Writer) error {
	s := &seeder{d: d, o: o, rnd: rand.New(rand.NewPCG(o.Seed, 12345)), w: w, start: time.Now()}
	if err := s.load(ctx); err != nil {
		return err
	}
	out, err := newWriter(ctx, d.DB)
	if err != nil {
		return err
	}
	defer out.close()
	s.out = out
	if err := out.deferChecks(ctx, w); err != nil {
		return err
	}
	if err := s.orders(ctx); err != nil {
		return err
	}
	if err := s.applications(ctx); err != nil {
		return err
	}
	return s.finish(ctx)
}

type seeder struct {
	d     Deps
	o     Options
	rnd   *rand.Rand
	w     io.Writer
	start time.Time

	depts   []int64
	regions []string // county codes with departments
	defs    map[string]*flow.Definition
	orderT  *template // demo orders
	appT    *template // demo applications
	instT   *template // their instances, by id
	certT   *template // demo certificates
	nextID  map[string]int64
	out     *writer
}

// load reads what the bulk rows refer to: departments, regions, the
// latest workflow definitions and the demo's rows to clone.
func (s *seeder) load(ctx context.Context) error {
	db := s.d.DB
	rows, err := db.QueryContext(ctx, "SELECT id, region_code FROM departments ORDER BY id")
	if err != nil {
		return fmt.Errorf("seed: departments: %w", err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		var id int64
		var region string
		if err := rows.Scan(&id, &region); err != nil {
			rows.Close()
			return err
		}
		s.depts = append(s.depts, id)
		if !strings.HasSuffix(region, "00") && !seen[region] {
			seen[region] = true
			s.regions = append(s.regions, region)
		}
	}
	rows.Close()
	if len(s.depts) == 0 || len(s.regions) == 0 {
		return fmt.Errorf("seed: no departments in county regions: seed the demo first")
	}
	s.defs = map[string]*flow.Definition{}
	rows, err = db.QueryContext(ctx, "SELECT def_key, MAX(version) FROM flow_definitions GROUP BY def_key")
	if err != nil {
		return fmt.Errorf("seed: definitions: %w", err)
	}
	type kv struct {
		k string
		v int
	}
	var keys []kv
	for rows.Next() {
		var k kv
		if err := rows.Scan(&k.k, &k.v); err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, k)
	}
	rows.Close()
	for _, k := range keys {
		def, err := s.d.Flow.Definition(ctx, k.k, k.v)
		if err != nil {
			return fmt.Errorf("seed: definition %s: %w", k.k, err)
		}
		s.defs[k.k] = def
	}
	if s.orderT, err = loadTemplate(ctx, db, "hotline_orders", "merged_into IS NULL"); err != nil {
		return err
	}
	if s.appT, err = loadTemplate(ctx, db, "casework_applications", "instance_id <> 0"); err != nil {
		return err
	}
	if s.instT, err = loadTemplate(ctx, db, "flow_instances", "subject_type = 'application'"); err != nil {
		return err
	}
	if s.certT, err = loadTemplate(ctx, db, "certificates", "1 = 1"); err != nil {
		return err
	}
	if len(s.orderT.rows) == 0 || len(s.appT.rows) == 0 || len(s.instT.rows) == 0 {
		return fmt.Errorf("seed: the demo's orders and applications are missing: seed the demo first")
	}
	// The versions the cloned instances run, read now: the writer then
	// holds its own connection, and SQLite's pool may have no other.
	for _, r := range s.instT.rows {
		key, ver := s.instT.str(r, "def_key"), int(s.instT.int(r, "def_version"))
		if _, ok := s.defs[versionKey(key, ver)]; ok {
			continue
		}
		def, err := s.d.Flow.Definition(ctx, key, ver)
		if err != nil {
			return fmt.Errorf("seed: definition %s: %w", key, err)
		}
		s.defs[versionKey(key, ver)] = def
	}
	s.nextID = map[string]int64{}
	for _, t := range []string{"hotline_orders", "flow_instances", "flow_history", "flow_timers", "casework_applications", "certificates"} {
		var n sql.NullInt64
		if err := db.QueryRowContext(ctx, "SELECT MAX(id) FROM "+t).Scan(&n); err != nil {
			return fmt.Errorf("seed: %s: %w", t, err)
		}
		s.nextID[t] = n.Int64 + 1
	}
	return nil
}

// versionKey names a definition's version in seeder.defs, beside the
// latest versions named by their key alone.
func versionKey(key string, version int) string { return fmt.Sprintf("%s@%d", key, version) }

func (s *seeder) id(table string) int64 {
	n := s.nextID[table]
	s.nextID[table] = n + 1
	return n
}

// when returns a creation time in the year before Now, more of them
// recent (a city's volume grows), at hours people call.
func (s *seeder) when() time.Time {
	days := 365 * (1 - s.rnd.Float64()*s.rnd.Float64()) // denser towards now
	t := s.o.Now.Add(-time.Duration(days * float64(24*time.Hour)))
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	hour := 0 + s.rnd.IntN(14) // 08:00–22:00 China time is 00:00–14:00 UTC
	return store.Time(day.Add(time.Duration(hour)*time.Hour + time.Duration(s.rnd.IntN(3600))*time.Second))
}

// orderPlan is the life of one seeded order up to now.
var orderStates = []struct {
	state string
	share float64 // of the open orders
}{{"new", 0.10}, {"dispatched", 0.15}, {"handling", 0.50}, {"replied", 0.15}, {"closed", 0.10}}

// orders writes the hotline orders, ordered by creation time so that ids
// grow with it, as intake would.
func (s *seeder) orders(ctx context.Context) error {
	n := s.o.Orders
	times := make([]time.Time, n)
	for i := range times {
		times[i] = s.when()
	}
	sortTimes(times)
	seq := map[string]int{}
	cols := s.orderT.cols
	for i, created := range times {
		age := s.o.Now.Sub(created)
		// Open: most of the last month's orders, some older ones (long
		// cases, the overdue the supervisors chase).
		open := s.rnd.Float64() < 0.12 || (age < 30*24*time.Hour && s.rnd.Float64() < 0.6)
		state := "visited"
		if open {
			r, acc := s.rnd.Float64(), 0.0
			for _, st := range orderStates {
				if acc += st.share; r < acc {
					state = st.state
					break
				}
			}
			if state == "visited" {
				state = "handling"
			}
		}
		row := s.orderT.clone(s.rnd.IntN(len(s.orderT.rows)))
		id, inst := s.id("hotline_orders"), s.id("flow_instances")
		day := created.In(cst).Format("20060102")
		seq[day]++
		number := fmt.Sprintf("12345%s%06d", day, 500000+seq[day])
		urgent := s.rnd.IntN(50) == 0
		typ := hotline.Type(s.orderT.str(row, "order_type"))
		defKey := hotline.DefinitionKey(typ, urgent)
		def := s.defs[defKey]
		if def == nil {
			return fmt.Errorf("seed: no definition %s", defKey)
		}
		region := s.regions[s.rnd.IntN(len(s.regions))]
		var lead int64
		var assist []int64
		steps := []string{"start"}
		if state != "new" {
			lead = s.depts[s.rnd.IntN(len(s.depts))]
			if s.rnd.IntN(10) == 0 {
				if a := s.depts[s.rnd.IntN(len(s.depts))]; a != lead {
					assist = []int64{a}
				}
			}
		}
		at := func(h int) time.Time { return created.Add(time.Duration(h) * time.Hour) }
		var dispatched, signed, replied, closed, visited any
		enter := created
		switch state {
		case "visited":
			visited, steps = at(120), append(steps, "dispatch", "sign", "reply", "close", "visit")
			closed, replied, signed, dispatched, enter = at(96), at(72), at(3), at(1), at(120)
		case "closed":
			closed, replied, signed, dispatched, enter = at(96), at(72), at(3), at(1), at(96)
			steps = append(steps, "dispatch", "sign", "reply", "close")
		case "replied":
			replied, signed, dispatched, enter = at(72), at(3), at(1), at(72)
			steps = append(steps, "dispatch", "sign", "reply")
		case "handling":
			signed, dispatched, enter = at(3), at(1), at(3)
			steps = append(steps, "dispatch", "sign")
		case "dispatched":
			dispatched, enter = at(1), at(1)
			steps = append(steps, "dispatch")
		}
		if t, ok := visited.(time.Time); ok && t.After(s.o.Now) {
			visited = s.o.Now
		}
		s.orderT.set(row, map[string]any{"id": id, "number": number, "created_at": created, "updated_at": enter,
			"region_code": region, "urgent": urgent, "status": state, "instance_id": inst, "lead_department_id": lead,
			"assist_department_ids": store.FormatIDs(assist), "merged_into": nil, "dispatched_at": dispatched,
			"signed_at": signed, "replied_at": replied, "closed_at": closed, "visited_at": visited, "reopen_count": 0,
			"caller_user_id": 0, "sign_due_at": addHours(dispatched, 24), "reply_due_at": addHours(signed, 10*24), "visit_solved": boolOrNil(state == "visited", true)})
		if err := s.add(ctx, "hotline_orders", cols, row); err != nil {
			return err
		}
		for _, a := range assist {
			if err := s.add(ctx, "hotline_order_assists", []string{"department_id", "order_id"}, []any{a, id}); err != nil {
				return err
			}
		}
		in := &flow.Instance{ID: inst, DefinitionKey: def.Key, DefinitionVersion: def.Version, SubjectType: hotline.Kind,
			SubjectID: id, Reference: number, Title: s.orderT.str(row, "title"), RegionCode: region, State: state,
			Status: flow.StatusRunning, StartedAt: created, StateEnteredAt: enter}
		if lead != 0 {
			in.DepartmentIDs = append([]int64{lead}, assist...)
		}
		if err := s.instance(ctx, def, in, steps); err != nil {
			return err
		}
		s.progress("orders", i+1, n)
	}
	return nil
}

// instance writes in (its due times computed from def) with its history,
// timers and wait rows. steps are the actions taken so far.
func (s *seeder) instance(ctx context.Context, def *flow.Definition, in *flow.Instance, steps []string) error {
	st := def.State(in.State)
	if st == nil {
		return fmt.Errorf("seed: %s has no state %s", def.Key, in.State)
	}
	if st.Kind == flow.EndState {
		in.Status, in.FinishedAt = flow.StatusDone, in.StateEnteredAt
	} else {
		if def.Limit != nil && st.Clock != flow.ClockStop {
			in.DueAt = store.Time(s.d.Calendar.Deadline(in.StartedAt, def.Limit.Calendar()))
		}
		if st.Limit != nil && (st.Clock == flow.ClockRun || st.Clock == "") {
			in.StateDueAt = store.Time(s.d.Calendar.Deadline(in.StateEnteredAt, st.Limit.Calendar()))
		}
		if st.Clock == flow.ClockPause {
			in.Status, in.PausedAt = flow.StatusPaused, in.StateEnteredAt
		}
	}
	level := 0
	due := in.StateDueAt
	if due.IsZero() {
		due = in.DueAt
	}
	if in.Status == flow.StatusRunning && !due.IsZero() && due.Before(s.o.Now) {
		level = 2 // 督办单 sent
	}
	if err := s.add(ctx, "flow_instances", instCols, []any{in.ID, in.DefinitionKey, in.DefinitionVersion, in.SubjectType,
		in.SubjectID, in.Reference, in.Title, in.RegionCode, store.FormatIDs(in.DepartmentIDs), in.OwnerUserID, in.State,
		string(in.Status), def.ActorRoles(in.State), in.StartedAt, in.StateEnteredAt, store.Nullable(in.StateDueAt),
		store.Nullable(in.DueAt), store.Nullable(in.PausedAt), "", store.Nullable(in.FinishedAt), level, 0, int64(len(steps))}); err != nil {
		return err
	}
	from, t := "", in.StartedAt
	step := in.StateEnteredAt.Sub(in.StartedAt) / time.Duration(max(len(steps)-1, 1))
	for i, a := range steps {
		to := in.State
		if act := def.Action(a); act != nil {
			to = act.To
		} else if a == "start" {
			to = def.Start().Key
		}
		if err := s.add(ctx, "flow_history", histCols, []any{s.id("flow_history"), in.ID, a, from, to, int64(0), "系统",
			"{}", "", t}); err != nil {
			return err
		}
		from, t = to, in.StartedAt.Add(time.Duration(i+1)*step)
	}
	if in.Status == flow.StatusRunning && !due.IsZero() {
		var fired any
		if due.Before(s.o.Now) {
			fired = due
		}
		if err := s.add(ctx, "flow_timers", timerCols, []any{s.id("flow_timers"), in.ID, "state", in.State, 2, due, fired, false}); err != nil {
			return err
		}
	}
	ws, wdue := def.Waits(in)
	for _, w := range ws {
		if err := s.add(ctx, "flow_instance_waits", waitCols, []any{w.Kind, w.Role, w.Ref, wdue, in.ID, in.SubjectType,
			in.Status == flow.StatusPaused}); err != nil {
			return err
		}
	}
	return nil
}

var (
	instCols = []string{"id", "def_key", "def_version", "subject_type", "subject_id", "reference", "title", "region_code",
		"department_ids", "owner_user_id", "state", "status", "actor_roles", "started_at", "state_entered_at", "state_due_at",
		"due_at", "paused_at", "paused_from", "finished_at", "escalation_level", "extended_days", "row_version"}
	histCols  = []string{"id", "instance_id", "action", "from_state", "to_state", "actor_id", "actor_name", "inputs", "comment", "created_at"}
	timerCols = []string{"id", "instance_id", "kind", "state", "level", "fire_at", "fired_at", "held"}
	waitCols  = []string{"kind", "role", "ref", "due_at", "instance_id", "subject_type", "paused"}
)

// applications writes applications cloned from the demo's, each with a
// clone of its instance moved to the new time, and a certificate for the
// approved ones. Open ones are recent: a case is decided within weeks.
func (s *seeder) applications(ctx context.Context) error {
	n := s.o.Applications
	times := make([]time.Time, n)
	for i := range times {
		times[i] = s.when()
	}
	sortTimes(times)
	instByID := map[int64][]any{}
	for i := range s.instT.rows {
		r := s.instT.clone(i)
		instByID[s.instT.int(r, "id")] = r
	}
	var openT, doneT []int
	for i := range s.appT.rows {
		r := s.appT.rows[i]
		in := instByID[s.appT.int(r, "instance_id")]
		if in == nil {
			continue
		}
		if s.instT.str(in, "status") == string(flow.StatusDone) {
			doneT = append(doneT, i)
		} else {
			openT = append(openT, i)
		}
	}
	if len(doneT) == 0 {
		doneT = openT
	}
	for i, at := range times {
		pool := doneT
		if len(openT) > 0 && s.o.Now.Sub(at) < 40*24*time.Hour && s.rnd.IntN(2) == 0 {
			pool = openT
		}
		ti := pool[s.rnd.IntN(len(pool))]
		row := s.appT.clone(ti)
		shift := at.Sub(s.appT.time(row, "submitted_at"))
		shiftTimes(row, shift)
		id, instID := s.id("casework_applications"), s.id("flow_instances")
		number := fmt.Sprintf("BJ%s%07d", at.In(cst).Format("20060102"), id)
		in := slices.Clone(instByID[s.appT.int(row, "instance_id")])
		shiftTimes(in, shift)
		dept := s.depts[s.rnd.IntN(len(s.depts))]
		region := s.regions[s.rnd.IntN(len(s.regions))]
		var certID int64
		if s.appT.str(row, "status") == "approved" && len(s.certT.rows) > 0 {
			certID = s.id("certificates")
			c := s.certT.clone(s.rnd.IntN(len(s.certT.rows)))
			shiftTimes(c, at.Sub(s.certT.time(c, "issued_at")))
			s.certT.set(c, map[string]any{"id": certID, "number": fmt.Sprintf("B%s%08d", at.In(cst).Format("2006"), certID),
				"application_ref": number, "issuer_department_id": dept, "region_code": region})
			if err := s.add(ctx, "certificates", s.certT.cols, c); err != nil {
				return err
			}
		}
		s.appT.set(row, map[string]any{"id": id, "number": number, "instance_id": instID, "verification_instance_id": 0,
			"department_id": dept, "intake_region": region, "region_code": region, "certificate_id": certID, "credit_record_id": 0})
		if err := s.add(ctx, "casework_applications", s.appT.cols, row); err != nil {
			return err
		}
		key, ver := s.instT.str(in, "def_key"), int(s.instT.int(in, "def_version"))
		def := s.defs[versionKey(key, ver)]
		s.instT.set(in, map[string]any{"id": instID, "subject_id": id, "reference": number, "region_code": region,
			"department_ids": store.FormatIDs([]int64{dept}), "row_version": 2})
		if err := s.add(ctx, "flow_instances", s.instT.cols, in); err != nil {
			return err
		}
		if err := s.add(ctx, "flow_history", histCols, []any{s.id("flow_history"), instID, "start", "", def.Start().Key,
			int64(0), "系统", "{}", "", at}); err != nil {
			return err
		}
		fi := &flow.Instance{ID: instID, SubjectType: s.instT.str(in, "subject_type"), RegionCode: region,
			DepartmentIDs: []int64{dept}, OwnerUserID: s.instT.int(in, "owner_user_id"), State: s.instT.str(in, "state"),
			Status: flow.Status(s.instT.str(in, "status")), StateDueAt: s.instT.time(in, "state_due_at"), DueAt: s.instT.time(in, "due_at")}
		ws, wdue := def.Waits(fi)
		for _, w := range ws {
			if err := s.add(ctx, "flow_instance_waits", waitCols, []any{w.Kind, w.Role, w.Ref, wdue, instID, fi.SubjectType,
				fi.Status == flow.StatusPaused}); err != nil {
				return err
			}
		}
		s.progress("applications", i+1, n)
	}
	return nil
}

var cst = time.FixedZone("CST", 8*3600)

// addHours returns t (a time or nil) h hours later, nil for nil.
func addHours(t any, h int) any {
	if tt, ok := t.(time.Time); ok {
		return tt.Add(time.Duration(h) * time.Hour)
	}
	return nil
}

func boolOrNil(ok bool, v bool) any {
	if !ok {
		return nil
	}
	return v
}

// sortTimes puts creation times in order, so that ids grow with them.
func sortTimes(ts []time.Time) {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
}

func (s *seeder) progress(what string, i, n int) {
	if i%5000 != 0 && i != n {
		return
	}
	el := time.Since(s.start).Seconds()
	fmt.Fprintf(s.w, "\r%s %d/%d (%.0f%%), %.0fs elapsed", what, i, n, 100*float64(i)/float64(max(n, 1)), el)
	if i == n {
		fmt.Fprintln(s.w)
	}
}
