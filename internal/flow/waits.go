package flow

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
)

// The scopes an open instance waits in are rows of flow_instance_waits, one
// per (kind, role, ref), each carrying the instance's nearest deadline. An
// inbox is then a few index range reads in deadline order, one per scope
// the actor holds, instead of a pattern match over comma lists of every open
// instance and a sort of all of them. The engine rewrites an instance's rows
// in the transaction of every change that moves its state, its deadlines or
// its departments, so the rows never disagree with the instance.

// The kinds of wait rows.
const (
	waitDept   = "dept"   // ref: a department id
	waitRegion = "region" // ref: a region prefix the instance lies within
	waitOwner  = "owner"  // ref: the owner's user id
	waitAll    = "all"    // ref: ""
	// waitWatch rows (role "") list the running instances with a deadline
	// by region prefix, for supervisors (督办), whatever state they are in.
	waitWatch = "watch"
)

// noDue orders instances without a deadline after all others; it is the
// due_at of their wait rows.
var noDue = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// wait is one row of flow_instance_waits.
type wait struct {
	kind, role, ref string
}

// regionPrefixes returns the prefixes under which an instance of region
// code is found: those regionPrefix gives for the province, the city and
// the county it lies in (a province's own case has one, a city's two).
func regionPrefixes(code string) []string {
	if ids.ValidateRegionCode(code) != nil {
		return nil
	}
	out := []string{code[:2]}
	if lvl := ids.RegionLevel(code); lvl >= 2 {
		out = append(out, code[:4])
		if lvl == 3 {
			out = append(out, code)
		}
	}
	return out
}

// waitsOf returns the rows in instance in waits under, and its sort key.
// The migration that created the table backfills the same rows in SQL.
func waitsOf(in *Instance) ([]wait, time.Time) {
	if in.Status == StatusDone {
		return nil, time.Time{}
	}
	due := in.nearestDue()
	if due.IsZero() {
		due = noDue
	}
	regions := regionPrefixes(in.RegionCode)
	var out []wait
	for _, r := range strings.Split(strings.Trim(in.actorRoles, ","), ",") {
		if r == "" {
			continue
		}
		switch scopeOf(auth.Role(r)) {
		case scopeAll:
			out = append(out, wait{waitAll, r, ""})
		case scopeDepartment:
			for _, d := range in.DepartmentIDs {
				out = append(out, wait{waitDept, r, strconv.FormatInt(d, 10)})
			}
		case scopeRegion:
			for _, p := range regions {
				out = append(out, wait{waitRegion, r, p})
			}
		case scopeOwner:
			if in.OwnerUserID != 0 {
				out = append(out, wait{waitOwner, r, strconv.FormatInt(in.OwnerUserID, 10)})
			}
		}
	}
	if in.Status == StatusRunning && due != noDue {
		for _, p := range regions {
			out = append(out, wait{waitWatch, "", p})
		}
	}
	return dedupWaits(out), store.Time(due)
}

// dedupWaits drops repeated rows (a department listed twice).
func dedupWaits(ws []wait) []wait {
	seen := make(map[wait]bool, len(ws))
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// syncWaits replaces the wait rows of in with those of its present state,
// in tx. fresh says the instance was just created and has none yet.
func syncWaits(ctx context.Context, tx store.IDB, in *Instance, fresh bool) error {
	if !fresh {
		if _, err := store.Exec(ctx, tx, "DELETE FROM flow_instance_waits WHERE instance_id = ?", in.ID); err != nil {
			return err
		}
	}
	ws, due := waitsOf(in)
	if len(ws) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO flow_instance_waits (kind, role, ref, due_at, instance_id, subject_type, paused) VALUES ")
	args := make([]any, 0, 7*len(ws))
	paused := in.Status == StatusPaused
	for i, w := range ws {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, w.kind, w.role, w.ref, due, in.ID, in.SubjectType, paused)
	}
	_, err := store.Exec(ctx, tx, b.String(), args...)
	return err
}

// WaitRow is one row of flow_instance_waits, for bulk loaders.
type WaitRow struct{ Kind, Role, Ref string }

// ActorRoles returns the ",role1,role2," list stored with an instance in
// state (the roles of the actions leaving it). Bulk loaders that write
// instances without the engine (yingshang bench seed) store it.
func (d *Definition) ActorRoles(state string) string { return d.roleColumn[state] }

// Waits returns the flow_instance_waits rows of in, in state in.State of
// d, and the due_at they carry: what the engine writes for it. Bulk
// loaders that write instances without the engine store them.
func (d *Definition) Waits(in *Instance) ([]WaitRow, time.Time) {
	c := *in
	c.actorRoles = d.roleColumn[in.State]
	ws, due := waitsOf(&c)
	out := make([]WaitRow, len(ws))
	for i, w := range ws {
		out[i] = WaitRow{w.kind, w.role, w.ref}
	}
	return out, due
}
