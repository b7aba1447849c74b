package warning

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// Change is one business's new risk class, as the risk module reports the
// changes of a chunk of its run.
type Change struct {
	USCC, Region string
	// Previous is the class before, "" for a business classified the
	// first time (which counts as a drop, see classRule); Current the new.
	Previous, Current string
}

// batchRows bounds the rows of one multi-row INSERT and the codes of one
// IN list: at 11 values a row (warnings), 500 rows stay well below SQLite's
// 32,766 bound parameters and PostgreSQL's 65,535.
const batchRows = 500

// ClassesChanged is ClassChanged for each of changes in turn, in tx: it
// raises the same warnings (ids ascending in the order of changes), starts
// the same inbox cases and writes the same audit entries and outbox events,
// but with a few statements for the whole batch — one query for the
// departments, one for the open warnings, multi-row INSERTs for the
// warnings, their cases and events — where ClassChanged makes about ten
// round trips a warning. Only the order of entries and events of different
// kinds differs: the batch's warning entries come before its cases' (and
// its cases' events before its warnings'), where one by one they
// alternate. It returns, for each change, the new warning's id or 0.
//
// The risk module calls it once for each chunk of a full classification,
// in the transaction that stores the chunk's classes.
func (m *Module) ClassesChanged(ctx context.Context, tx store.IDB, changes []Change) ([]int64, error) {
	out := make([]int64, len(changes))
	type cand struct {
		i int
		r *Rule
		h hit
	}
	var cands []cand
	var latest []string // businesses whose department is that of their latest record
	for i, c := range changes {
		r := m.classRule(c.Previous, c.Current)
		if r == nil {
			continue
		}
		cands = append(cands, cand{i: i, r: r, h: hit{uscc: c.USCC, region: c.Region, detail: classDetail(c.Previous, c.Current)}})
		if r.Department == "" {
			latest = append(latest, c.USCC)
		}
	}
	if len(cands) == 0 {
		return out, nil
	}
	depts, err := latestDepartments(ctx, tx, latest)
	if err != nil {
		return nil, fmt.Errorf("warning: class: department: %w", err)
	}
	byCode := map[string]int64{}
	open := map[*Rule]map[string]bool{}
	for k := range cands {
		c := &cands[k]
		if c.r.Department == "" {
			c.h.dept = depts[c.h.uscc]
		} else {
			id, ok := byCode[c.r.Department]
			if !ok {
				if err := tx.QueryRowContext(ctx, `SELECT id FROM departments WHERE code = ?`, c.r.Department).Scan(&id); err != nil {
					return nil, fmt.Errorf("warning: rule %s: department %s: %w", c.r.ID, c.r.Department, err)
				}
				byCode[c.r.Department] = id
			}
			c.h.dept = id
		}
		if c.h.dept != 0 && open[c.r] == nil {
			open[c.r] = map[string]bool{}
		}
	}
	for r, set := range open {
		var us []string
		for _, c := range cands {
			if c.r == r && c.h.dept != 0 {
				us = append(us, c.h.uscc)
			}
		}
		if err := openWarnings(ctx, tx, r.ID, us, set); err != nil {
			return nil, fmt.Errorf("warning: open: %w", err)
		}
	}
	// What remains is raised: routed, none open, the first of the batch for
	// its rule and business (one by one, a second would find the first open).
	today := m.today()
	dues := map[*Rule]string{}
	var raised []cand
	for _, c := range cands {
		if c.h.dept == 0 || open[c.r][c.h.uscc] {
			continue
		}
		open[c.r][c.h.uscc] = true
		if _, ok := dues[c.r]; !ok {
			due, err := calendar.DueDate(m.d.Calendar(), today.String(), c.r.LimitWorkingDays)
			if err != nil {
				return nil, fmt.Errorf("warning: rule %s: limit: %w", c.r.ID, err)
			}
			dues[c.r] = due
		}
		raised = append(raised, c)
	}
	if len(raised) == 0 {
		return out, nil
	}
	type key struct{ rule, uscc string }
	index := make(map[key]int, len(raised))
	for k, c := range raised {
		index[key{c.r.ID, c.h.uscc}] = k
	}
	ids := make([]int64, len(raised))
	created := store.Time(m.d.Now())
	for lo := 0; lo < len(raised); lo += batchRows {
		part := raised[lo:min(lo+batchRows, len(raised))]
		var q strings.Builder
		q.WriteString(`INSERT INTO warnings (rule_id, kind, uscc, department_id, region_code, prompt, detail,
		raised_on, due_on, status, created_at) VALUES `)
		args := make([]any, 0, 11*len(part))
		for j, c := range part {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, c.r.ID, c.r.Kind, c.h.uscc, c.h.dept, c.h.region, c.r.Prompt, c.h.detail, today.String(),
				dues[c.r], StatusOpen, created)
		}
		q.WriteString(" RETURNING id, rule_id, uscc")
		// Through bun, not store.Query: texts of every length would crowd
		// the statements the hot paths keep prepared.
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("warning: raise %d class warnings: %w", len(part), err)
		}
		n := 0
		for rows.Next() {
			var id int64
			var k key
			if err := rows.Scan(&id, &k.rule, &k.uscc); err != nil {
				rows.Close()
				return nil, fmt.Errorf("warning: raise: %w", err)
			}
			ids[index[k]] = id
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("warning: raise: %w", err)
		}
		if n != len(part) {
			return nil, fmt.Errorf("warning: raise: %d of %d warnings stored", n, len(part))
		}
	}
	for k, c := range raised {
		out[c.i] = ids[k]
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{Action: "warning.raise", ObjectType: "warning",
			ObjectID: fmt.Sprint(ids[k]), RegionCode: c.h.region,
			Detail: map[string]any{"rule": c.r.ID, "uscc": c.h.uscc, "department": c.h.dept}}); err != nil {
			return nil, err
		}
	}
	// The cases and events, as open writes them for one warning.
	raisedOn := today.String()
	if m.d.Flow != nil {
		us := make([]string, len(raised))
		for k, c := range raised {
			us[k] = c.h.uscc
		}
		names, err := entityNames(ctx, tx, us)
		if err != nil {
			return nil, fmt.Errorf("warning: inbox: names: %w", err)
		}
		sis := make([]flow.StartInput, len(raised))
		for k, c := range raised {
			title := c.r.Name + "：" + c.h.uscc
			if name := names[c.h.uscc]; name != "" {
				title = c.r.Name + "：" + name
			}
			if utf8.RuneCountInString(title) > 200 {
				title = string([]rune(title)[:200])
			}
			sis[k] = flow.StartInput{DefinitionKey: FlowKey(c.r.ID), SubjectType: SubjectType, SubjectID: ids[k],
				Reference: reference(raisedOn, ids[k]), Title: title, RegionCode: c.h.region,
				DepartmentIDs: []int64{c.h.dept}, Actor: auth.System()}
		}
		if _, err := m.d.Flow.StartMany(ctx, tx, sis); err != nil {
			return nil, fmt.Errorf("warning: %d warnings: inbox: %w", len(sis), err)
		}
	}
	msgs := make([]outbox.Message, len(raised))
	for k, c := range raised {
		msgs[k] = outbox.Message{Topic: TopicRaised, Payload: Raised{ID: ids[k], RuleID: c.r.ID, RuleName: c.r.Name,
			RuleNameEn: c.r.NameEn, USCC: c.h.uscc, DepartmentID: c.h.dept, Prompt: c.r.Prompt, Detail: c.h.detail,
			DueOn: dues[c.r]}}
	}
	if err := outbox.AddAll(ctx, tx, m.d.Now(), msgs); err != nil {
		return nil, fmt.Errorf("warning: events: %w", err)
	}
	return out, nil
}

// inList returns "?, ?, …" for n values and the values as arguments.
func inList(us []string) (string, []any) {
	args := make([]any, len(us))
	for i, u := range us {
		args[i] = u
	}
	return "?" + strings.Repeat(", ?", len(us)-1), args
}

// latestDepartments returns, for each of usccs that has one, the
// department of its latest credit record naming a department (by decision
// date, then id): what ClassChanged looks up for one business.
func latestDepartments(ctx context.Context, tx store.IDB, usccs []string) (map[string]int64, error) {
	out := make(map[string]int64, len(usccs))
	for lo := 0; lo < len(usccs); lo += batchRows {
		list, args := inList(usccs[lo:min(lo+batchRows, len(usccs))])
		rows, err := tx.QueryContext(ctx, `SELECT uscc, department_id FROM (SELECT uscc, department_id,
			ROW_NUMBER() OVER (PARTITION BY uscc ORDER BY decision_date DESC, id DESC) AS n
			FROM credit_records WHERE department_id <> 0 AND uscc IN (`+list+`)) t WHERE n = 1`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var u string
			var d int64
			if err := rows.Scan(&u, &d); err != nil {
				rows.Close()
				return nil, err
			}
			out[u] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// openWarnings adds to set those of usccs with an open warning of rule.
func openWarnings(ctx context.Context, tx store.IDB, rule string, usccs []string, set map[string]bool) error {
	for lo := 0; lo < len(usccs); lo += batchRows {
		list, args := inList(usccs[lo:min(lo+batchRows, len(usccs))])
		rows, err := tx.QueryContext(ctx, `SELECT uscc FROM warnings WHERE rule_id = ? AND closed_on IS NULL AND uscc IN (`+list+`)`,
			append([]any{rule}, args...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return err
			}
			set[u] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// entityNames returns the names the register gives usccs.
func entityNames(ctx context.Context, tx store.IDB, usccs []string) (map[string]string, error) {
	out := make(map[string]string, len(usccs))
	for lo := 0; lo < len(usccs); lo += batchRows {
		list, args := inList(usccs[lo:min(lo+batchRows, len(usccs))])
		rows, err := tx.QueryContext(ctx, `SELECT uscc, name FROM entities WHERE uscc IN (`+list+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var u, name string
			if err := rows.Scan(&u, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[u] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
