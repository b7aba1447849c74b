package inspection

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/visit"
)

// Task statuses: commitments are taken while open, secrets once frozen.
const (
	TaskOpen   = "open"
	TaskFrozen = "frozen"
	TaskDrawn  = "drawn"
)

// Participant kinds.
const (
	KindOrganiser  = "organiser"  // the organising department
	KindSupervisor = "supervisor" // a supervisor's account
	KindWitness    = "witness"    // an outside witness (公证员, 人大代表 …) entered by the organiser
)

// Scope is the part of the register a task draws from (检查对象名录库).
type Scope struct {
	Region   string   `json:"region,omitempty" maxLength:"12" doc:"GB/T 2260 code or prefix; empty: the department's region"`
	Industry string   `json:"industry,omitempty" maxLength:"5" doc:"GB/T 4754 code prefix (C, C13, C139 …)"`
	Licence  string   `json:"licence,omitempty" maxLength:"40" doc:"Certificate type a business must hold valid"`
	Classes  []string `json:"classes,omitempty" doc:"Risk classes drawn from; empty: all"`
}

// TaskInput is a new task of an annual plan.
type TaskInput struct {
	DepartmentID int64              `json:"department_id" doc:"0: the caller's first department (the organiser)"`
	Name         string             `json:"name" maxLength:"200"`
	Year         int                `json:"year" minimum:"2000" maximum:"2100" doc:"Year of the annual plan"`
	ItemIDs      []int64            `json:"item_ids" minItems:"1" maxItems:"50"`
	JointRef     string             `json:"joint_ref,omitempty" maxLength:"40" doc:"跨部门联合抽查 reference; required when items are of several departments"`
	Scope        Scope              `json:"scope"`
	WindowFrom   string             `json:"window_from" doc:"YYYY-MM-DD"`
	WindowTo     string             `json:"window_to" doc:"YYYY-MM-DD"`
	Ratios       map[string]float64 `json:"ratios,omitempty" doc:"Per class; empty: the configured ratios. Above them only for tasks with 重点 items"`
}

// ParticipantView is a participant as shown: the secret only once revealed.
type ParticipantView struct {
	Seq        int        `json:"seq"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind" enum:"organiser,supervisor,witness"`
	Commitment string     `json:"commitment"`
	Secret     string     `json:"secret,omitempty"`
	Committed  time.Time  `json:"committed_at"`
	Revealed   *time.Time `json:"revealed_at,omitempty"`
	userID     int64
}

// Task is a draw task.
type Task struct {
	ID           int64              `json:"id"`
	Ref          string             `json:"ref" doc:"The task_id of the draw"`
	DepartmentID int64              `json:"department_id"`
	RegionCode   string             `json:"region_code"`
	Name         string             `json:"name"`
	Year         int                `json:"year"`
	ItemIDs      []int64            `json:"item_ids"`
	JointRef     string             `json:"joint_ref"`
	Scope        Scope              `json:"scope"`
	WindowFrom   string             `json:"window_from"`
	WindowTo     string             `json:"window_to"`
	Ratios       map[string]float64 `json:"ratios"`
	Status       string             `json:"status" enum:"open,frozen,drawn"`
	Participants []ParticipantView  `json:"participants"`
	PoolSize     int                `json:"pool_size"`
	PoolHash     string             `json:"pool_hash,omitempty"`
	DrawID       int64              `json:"draw_id,omitempty"`
	CreatedAt    time.Time          `json:"created_at"`
	frozen       string
	items        []*Item
}

var refPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$`)

// regionPrefix is the code prefix of a GB/T 2260 region: 990100 → 9901.
func regionPrefix(code string) string {
	for len(code) >= 2 && strings.HasSuffix(code, "00") {
		code = code[:len(code)-2]
	}
	return code
}

func (m *Module) checkTask(ctx context.Context, in *TaskInput, dept int64, region string) ([]*Item, error) {
	var p valid.Problems
	text(&p, "name", in.Name, true, 200)
	if in.JointRef != "" && !refPattern.MatchString(in.JointRef) {
		p.Add("joint_ref", "联合抽查编号格式不正确 (letters, digits, '.', '-', '_')")
	}
	from, err1 := calendar.ParseDate(in.WindowFrom)
	to, err2 := calendar.ParseDate(in.WindowTo)
	switch {
	case err1 != nil:
		p.Add("window_from", "日期格式须为YYYY-MM-DD (a date YYYY-MM-DD)")
	case err2 != nil:
		p.Add("window_to", "日期格式须为YYYY-MM-DD (a date YYYY-MM-DD)")
	case to.String() < from.String():
		p.Add("window_to", "结束日期不得早于开始日期 (the window ends before it starts)")
	}
	if in.Scope.Region == "" {
		in.Scope.Region = regionPrefix(region)
	}
	if !regexp.MustCompile(`^[0-9]{2,12}$`).MatchString(in.Scope.Region) || !strings.HasPrefix(in.Scope.Region, regionPrefix(region)) {
		p.Add("scope.region", "须为本部门辖区内的区划代码 (a region code within the department's region)")
	}
	if in.Scope.Industry != "" && !regexp.MustCompile(`^[A-T][0-9]{0,4}$`).MatchString(in.Scope.Industry) {
		p.Add("scope.industry", "须为GB/T 4754行业代码前缀，如C13 (a GB/T 4754 code prefix such as C13)")
	}
	if in.Scope.Licence != "" {
		text(&p, "scope.licence", in.Scope.Licence, true, 40)
		if m.d.Licences == nil {
			p.Add("scope.licence", "本部署不支持按许可筛选 (no licence source configured)")
		}
	}
	for i, c := range in.Scope.Classes {
		if !slices.Contains(Classes, c) {
			p.Add(fmt.Sprintf("scope.classes[%d]", i), "风险等级须为A–D (a class A–D)")
		}
	}
	var items []*Item
	key := false
	for i, id := range in.ItemIDs {
		it, err := m.item(ctx, m.d.DB, id)
		switch {
		case errors.Is(err, ErrNotFound) || (err == nil && it.Status != ItemPublished):
			p.Add(fmt.Sprintf("item_ids[%d]", i), "须为已公布的抽查事项 (not a published inspection item)")
			continue
		case err != nil:
			return nil, err
		case it.DepartmentID != dept && in.JointRef == "":
			p.Add(fmt.Sprintf("item_ids[%d]", i), "其他部门的事项须在联合抽查任务中 (another department's item needs a joint task ref)")
		}
		key = key || it.Key
		items = append(items, it)
	}
	if len(in.ItemIDs) == 0 {
		p.Add("item_ids", "至少一个抽查事项 (at least one item)")
	}
	if len(in.Ratios) == 0 {
		in.Ratios = m.Ratios()
	} else if err := checkRatios("ratios", in.Ratios); err != nil {
		for _, f := range valid.Fields(err) {
			p = append(p, f)
		}
	} else if !key {
		for _, c := range Classes {
			if in.Ratios[c] > m.ratios[c]+1e-12 {
				p.Add("ratios."+c, "一般事项的抽查比例不得超过%.0f%% (for general items at most the configured %v)", m.ratios[c]*100, m.ratios[c])
			}
		}
	}
	return items, p.Err()
}

// CreateTask stores a new open task of a department the actor works for.
func (m *Module) CreateTask(ctx context.Context, a *auth.Actor, in TaskInput) (*Task, error) {
	dept, err := m.department(ctx, a, in.DepartmentID)
	if err != nil {
		return nil, err
	}
	dp, err := m.d.Org.Department(ctx, dept)
	if err != nil || dp == nil {
		return nil, ErrNotFound
	}
	if _, err := m.checkTask(ctx, &in, dept, dp.RegionCode); err != nil {
		return nil, err
	}
	items, _ := json.Marshal(in.ItemIDs)
	scope, _ := json.Marshal(in.Scope)
	ratios, _ := json.Marshal(in.Ratios)
	now := m.d.Now().UTC()
	var id int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		tmp := fmt.Sprintf("tmp-%d-%d", a.UserID, now.UnixNano())
		if err := tx.QueryRowContext(ctx, `INSERT INTO inspection_tasks (ref, department_id, region_code, name, plan_year, item_ids,
			joint_ref, scope, window_from, window_to, ratios, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, tmp, dept, dp.RegionCode, in.Name, in.Year, string(items),
			in.JointRef, string(scope), in.WindowFrom, in.WindowTo, string(ratios), TaskOpen, a.UserID, now).Scan(&id); err != nil {
			return err
		}
		ref := fmt.Sprintf("%s-%d-%04d", dp.Code, in.Year, id)
		if _, err := tx.ExecContext(ctx, "UPDATE inspection_tasks SET ref = ? WHERE id = ?", ref, id); err != nil {
			return err
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.task.create",
			ObjectType: "inspection_task", ObjectID: fmt.Sprint(id), RegionCode: dp.RegionCode, Detail: map[string]any{"ref": ref}})
		return err
	})
	if err != nil {
		return nil, wrap("create task", err)
	}
	return m.task(ctx, m.d.DB, id)
}

const taskCols = `t.id, t.ref, t.department_id, t.region_code, t.name, t.plan_year, t.item_ids, t.joint_ref, t.scope, t.window_from,
	t.window_to, t.ratios, t.status, COALESCE(t.pool, ''), t.created_at, COALESCE(d.id, 0)`

func (m *Module) task(ctx context.Context, db store.IDB, id int64) (*Task, error) {
	var t Task
	var items, scope, ratios string
	err := db.QueryRowContext(ctx, "SELECT "+taskCols+" FROM inspection_tasks t LEFT JOIN inspection_draws d ON d.task_id = t.id WHERE t.id = ?", id).Scan(
		&t.ID, &t.Ref, &t.DepartmentID, &t.RegionCode, &t.Name, &t.Year, &items, &t.JointRef, &scope, &t.WindowFrom, &t.WindowTo,
		&ratios, &t.Status, &t.frozen, &t.CreatedAt, &t.DrawID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("inspection: task %d: %w", id, err)
	}
	_ = json.Unmarshal([]byte(items), &t.ItemIDs)
	_ = json.Unmarshal([]byte(scope), &t.Scope)
	_ = json.Unmarshal([]byte(ratios), &t.Ratios)
	if t.frozen != "" {
		var d Draw
		if err := json.Unmarshal([]byte(t.frozen), &d); err == nil {
			t.PoolSize, t.PoolHash = len(d.Pool), d.PoolHash
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, name, kind, user_id, commitment, COALESCE(secret, ''), committed_at, revealed_at
		FROM inspection_participants WHERE task_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("inspection: participants: %w", err)
	}
	defer rows.Close()
	t.Participants = []ParticipantView{}
	for rows.Next() {
		var p ParticipantView
		var rev sql.NullTime
		if err := rows.Scan(&p.Seq, &p.Name, &p.Kind, &p.userID, &p.Commitment, &p.Secret, &p.Committed, &rev); err != nil {
			return nil, fmt.Errorf("inspection: participants: %w", err)
		}
		if rev.Valid {
			r := rev.Time
			p.Revealed = &r
		}
		t.Participants = append(t.Participants, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, iid := range t.ItemIDs {
		it, err := m.item(ctx, db, iid)
		if err != nil {
			return nil, err
		}
		t.items = append(t.items, it)
	}
	return &t, nil
}

// departments are the departments of the task: the organiser first, then
// those of its items.
func (t *Task) departments() []int64 {
	out := []int64{t.DepartmentID}
	for _, it := range t.items {
		if !slices.Contains(out, it.DepartmentID) {
			out = append(out, it.DepartmentID)
		}
	}
	return out
}

// GetTask returns a task to the staff of its departments and the
// supervisors of its region; to anyone else it does not exist. Secrets
// are shown only once the draw is published.
func (m *Module) GetTask(ctx context.Context, a *auth.Actor, id int64) (*Task, error) {
	t, err := m.task(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, auth.ActRead, t.departments()...) {
		return nil, ErrNotFound
	}
	if t.Status != TaskDrawn {
		for i := range t.Participants {
			t.Participants[i].Secret = ""
		}
	}
	return t, nil
}

// Tasks lists the tasks a may read, newest first, by id before cursor.
func (m *Module) Tasks(ctx context.Context, a *auth.Actor, before int64, limit int) ([]Task, int64, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT id FROM inspection_tasks WHERE id < ? ORDER BY id DESC", before)
	if err != nil {
		return nil, 0, fmt.Errorf("inspection: tasks: %w", err)
	}
	var idList []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		idList = append(idList, id)
	}
	rows.Close()
	var out []Task
	var next int64
	for _, id := range idList {
		t, err := m.GetTask(ctx, a, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		if len(out) == limit {
			next = out[len(out)-1].ID
			break
		}
		out = append(out, *t)
	}
	return out, next, nil
}

// CommitInput is a participant's commitment.
type CommitInput struct {
	Commitment string `json:"commitment" pattern:"^[0-9a-f]{64}$" doc:"Lowercase hex SHA-256 of the secret"`
	// Witness, for the organiser's staff, enters an outside witness's
	// commitment under Name.
	Witness bool   `json:"witness,omitempty"`
	Name    string `json:"name,omitempty" maxLength:"100" doc:"The witness's name (witness only)"`
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Commit records a participant's commitment on an open task: the
// organising department's (its handlers and approvers), a supervisor's of
// the region, or an outside witness's entered by the organiser.
func (m *Module) Commit(ctx context.Context, a *auth.Actor, id int64, in CommitInput) (*Task, error) {
	t, err := m.task(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, auth.ActRead, t.departments()...) {
		return nil, ErrNotFound
	}
	organiser := m.allowed(ctx, a, auth.ActCreate, t.DepartmentID)
	kind, name := "", ""
	switch {
	case in.Witness && organiser:
		kind, name = KindWitness, strings.TrimSpace(in.Name)
	case organiser:
		kind, name = KindOrganiser, m.deptName(ctx, t.DepartmentID)
	case m.allowed(ctx, a, auth.ActAct, t.DepartmentID):
		kind, name = KindSupervisor, a.Name
	default:
		return nil, auth.ErrForbidden
	}
	var p valid.Problems
	if !hex64.MatchString(in.Commitment) {
		p.Add("commitment", "须为64位小写十六进制SHA-256值 (64 lowercase hex digits)")
	}
	if kind == KindWitness {
		text(&p, "name", name, true, 100)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if t.Status != TaskOpen {
		return nil, ErrState
	}
	for _, q := range t.Participants {
		if q.Commitment == in.Commitment {
			return nil, &valid.FieldError{Path: "commitment", Message: "承诺值已被使用 (this commitment is already given)"}
		}
		if kind != KindWitness && q.Kind == kind && (kind == KindOrganiser || q.userID == a.UserID) {
			return nil, ErrState // one commitment each
		}
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inspection_participants (task_id, seq, name, kind, user_id, commitment, committed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, len(t.Participants)+1, name, kind, a.UserID, in.Commitment, m.d.Now().UTC()); err != nil {
			return err
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.task.commit",
			ObjectType: "inspection_task", ObjectID: fmt.Sprint(id), RegionCode: t.RegionCode,
			Detail: map[string]any{"kind": kind, "commitment": in.Commitment}})
		return err
	})
	if err != nil {
		return nil, wrap("commit", err)
	}
	return m.GetTask(ctx, a, id)
}

func (m *Module) deptName(ctx context.Context, id int64) string {
	dp, err := m.d.Org.Department(ctx, id)
	if err != nil || dp == nil {
		return fmt.Sprint(id)
	}
	return dp.Name
}

func (m *Module) deptCode(ctx context.Context, id int64) string {
	dp, err := m.d.Org.Department(ctx, id)
	if err != nil || dp == nil {
		return fmt.Sprint(id)
	}
	return dp.Code
}

// Freeze freezes the pool of businesses and of inspectors of an open
// task with at least two commitments, one of the organiser and one of a
// supervisor or witness: from then on its pool hash is published and no
// commitment is taken.
func (m *Module) Freeze(ctx context.Context, a *auth.Actor, id int64) (*Task, error) {
	t, err := m.task(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, auth.ActCreate, t.DepartmentID) {
		if m.allowed(ctx, a, auth.ActRead, t.departments()...) {
			return nil, auth.ErrForbidden
		}
		return nil, ErrNotFound
	}
	if t.Status != TaskOpen {
		return nil, ErrState
	}
	var org, other bool
	for _, p := range t.Participants {
		org = org || p.Kind == KindOrganiser
		other = other || p.Kind == KindSupervisor || p.Kind == KindWitness
	}
	if !org || !other {
		return nil, &valid.FieldError{Path: "participants", Message: "须有组织部门和至少一名监督员或见证人的承诺值 (commitments of the organiser and of a supervisor or witness are needed)"}
	}
	d, err := m.freeze(ctx, t)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE inspection_tasks SET status = ?, pool = ?, frozen_at = ? WHERE id = ? AND status = ?",
			TaskFrozen, string(body), m.d.Now().UTC(), id, TaskOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.task.freeze",
			ObjectType: "inspection_task", ObjectID: fmt.Sprint(id), RegionCode: t.RegionCode,
			Detail: map[string]any{"pool_hash": d.PoolHash, "pool_size": len(d.Pool), "inspectors": len(d.InspectorPool)}})
		return err
	})
	if err != nil {
		return nil, wrap("freeze", err)
	}
	return m.GetTask(ctx, a, id)
}

// activeStatuses are the register statuses of businesses drawn from.
var activeStatuses = []string{"存续", "在业"}

// Pool returns the businesses of the register in scope, sorted by code,
// with their risk classes (a business not yet classified counts as B,
// 一般).
func (m *Module) Pool(ctx context.Context, sc Scope, at time.Time) ([]PoolEntry, error) {
	var cands []string
	after := ""
	for {
		n, err := m.d.Register.ScanBasics(ctx, after, 5000, func(b *entity.Basic) error {
			after = b.USCC
			if slices.Contains(activeStatuses, b.Status) && strings.HasPrefix(b.RegionCode, sc.Region) && strings.HasPrefix(b.Industry, sc.Industry) {
				cands = append(cands, b.USCC)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("inspection: pool: %w", err)
		}
		if n < 5000 {
			break
		}
	}
	pool := make([]PoolEntry, 0, len(cands))
	for _, u := range cands {
		if sc.Licence != "" {
			ok, err := m.d.Licences.Holds(ctx, u, sc.Licence, at)
			if err != nil {
				return nil, fmt.Errorf("inspection: pool: licence of %s: %w", u, err)
			}
			if !ok {
				continue
			}
		}
		c, err := m.d.Classes.ClassOf(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("inspection: pool: %w", err)
		}
		if c == "" {
			c = "B"
		}
		if len(sc.Classes) > 0 && !slices.Contains(sc.Classes, c) {
			continue
		}
		pool = append(pool, PoolEntry{Code: u, Class: c})
	}
	slices.SortFunc(pool, func(a, b PoolEntry) int { return strings.Compare(a.Code, b.Code) })
	return pool, nil
}

// freeze builds the draw of t without its secrets: the pool, the
// inspector pool and the avoidance facts.
func (m *Module) freeze(ctx context.Context, t *Task) (*Draw, error) {
	now := m.d.Now()
	pool, err := m.Pool(ctx, t.Scope, now)
	if err != nil {
		return nil, err
	}
	d := &Draw{TaskID: t.Ref, Pool: pool, Ratios: t.Ratios, Department: m.deptCode(ctx, t.DepartmentID), JointRef: t.JointRef,
		InspectorsPerBusiness: 2, InspectorPool: []PoolInspector{}, Conflicts: []Conflict{}, Previous: []Previous{}}
	d.PoolHash = PoolHash(pool)
	inPool := func(u string) bool {
		_, ok := slices.BinarySearchFunc(pool, u, func(e PoolEntry, u string) int { return strings.Compare(e.Code, u) })
		return ok
	}
	depts := []int64{t.DepartmentID}
	if t.JointRef != "" {
		depts = t.departments()
	}
	today := calendar.DateOf(now).String()
	last := max(t.WindowTo, today)
	for _, dept := range depts {
		rows, err := m.d.DB.QueryContext(ctx, "SELECT "+inspectorCols+" FROM inspection_inspectors WHERE department_id = ? ORDER BY code", dept)
		if err != nil {
			return nil, fmt.Errorf("inspection: inspector pool: %w", err)
		}
		code := m.deptCode(ctx, dept)
		for rows.Next() {
			in, err := scanInspector(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("inspection: inspector pool: %w", err)
			}
			if !in.drawable(last) {
				continue
			}
			d.InspectorPool = append(d.InspectorPool, PoolInspector{Code: in.Code, Department: code})
			for _, c := range in.Conflicts {
				if inPool(c.USCC) {
					d.Conflicts = append(d.Conflicts, Conflict{Inspector: in.Code, Code: c.USCC})
				}
			}
		}
		rows.Close()
	}
	slices.SortFunc(d.InspectorPool, func(a, b PoolInspector) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(d.Conflicts, func(a, b Conflict) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Inspector, b.Inspector)
	})
	d.Conflicts = slices.Compact(d.Conflicts)
	rows, err := m.d.DB.QueryContext(ctx, "SELECT uscc, inspectors FROM inspection_selections ORDER BY uscc, draw_id DESC")
	if err != nil {
		return nil, fmt.Errorf("inspection: previous inspections: %w", err)
	}
	defer rows.Close()
	prev := ""
	for rows.Next() {
		var u, list string
		if err := rows.Scan(&u, &list); err != nil {
			return nil, fmt.Errorf("inspection: previous inspections: %w", err)
		}
		if u == prev || !inPool(u) {
			continue
		}
		prev = u
		var ins []string
		_ = json.Unmarshal([]byte(list), &ins)
		if len(ins) > 0 {
			d.Previous = append(d.Previous, Previous{Code: u, Inspectors: ins})
		}
	}
	return d, rows.Err()
}

// RevealInput is a participant's secret.
type RevealInput struct {
	Seq    int    `json:"seq" minimum:"1" doc:"The participant's place"`
	Secret string `json:"secret" maxLength:"200"`
}

// Reveal records a participant's secret on a frozen task, refusing one
// that does not match the commitment. A participant reveals his or her
// own; the organiser's staff reveal the organiser's and witnesses'.
func (m *Module) Reveal(ctx context.Context, a *auth.Actor, id int64, in RevealInput) (*Task, error) {
	t, err := m.task(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, auth.ActRead, t.departments()...) {
		return nil, ErrNotFound
	}
	if in.Seq < 1 || in.Seq > len(t.Participants) {
		return nil, &valid.FieldError{Path: "seq", Message: "无此参与方 (no such participant)"}
	}
	p := t.Participants[in.Seq-1]
	organiser := m.allowed(ctx, a, auth.ActCreate, t.DepartmentID)
	if !(p.userID == a.UserID || (organiser && (p.Kind == KindOrganiser || p.Kind == KindWitness))) {
		return nil, auth.ErrForbidden
	}
	if err := valid.Text("secret", in.Secret); err != nil {
		return nil, err
	}
	if t.Status != TaskFrozen || p.Revealed != nil {
		return nil, ErrState
	}
	if Commitment(in.Secret) != p.Commitment {
		return nil, &valid.FieldError{Path: "secret", Message: "密钥与承诺值不符，拒绝 (the secret does not match the commitment)"}
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE inspection_participants SET secret = ?, revealed_at = ? WHERE task_id = ? AND seq = ?",
			in.Secret, m.d.Now().UTC(), id, in.Seq); err != nil {
			return err
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.task.reveal",
			ObjectType: "inspection_task", ObjectID: fmt.Sprint(id), RegionCode: t.RegionCode, Detail: map[string]any{"seq": in.Seq}})
		return err
	})
	if err != nil {
		return nil, wrap("reveal", err)
	}
	return m.GetTask(ctx, a, id)
}

// RunDraw draws a frozen task whose secrets are all revealed, publishes
// the draw and hands the selection to the visit module, in one
// transaction. It returns the draw's id.
func (m *Module) RunDraw(ctx context.Context, a *auth.Actor, id int64) (int64, error) {
	t, err := m.task(ctx, m.d.DB, id)
	if err != nil {
		return 0, err
	}
	if !m.allowed(ctx, a, auth.ActCreate, t.DepartmentID) {
		if m.allowed(ctx, a, auth.ActRead, t.departments()...) {
			return 0, auth.ErrForbidden
		}
		return 0, ErrNotFound
	}
	if t.Status != TaskFrozen {
		return 0, ErrState
	}
	var d Draw
	if err := json.Unmarshal([]byte(t.frozen), &d); err != nil {
		return 0, fmt.Errorf("inspection: frozen pool of task %d: %w", id, err)
	}
	d.Participants = nil
	for _, p := range t.Participants {
		if p.Revealed == nil {
			return 0, &valid.FieldError{Path: "participants", Message: fmt.Sprintf("参与方%d（%s）尚未公开密钥 (participant %d has not revealed)", p.Seq, p.Name, p.Seq)}
		}
		d.Participants = append(d.Participants, Participant{Name: p.Name, Commitment: p.Commitment, Secret: p.Secret})
	}
	if err := Compute(&d); err != nil {
		return 0, &valid.FieldError{Path: "participants", Message: err.Error()}
	}
	body, err := json.Marshal(&d)
	if err != nil {
		return 0, err
	}
	userOf := map[string]int64{}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT code, user_id FROM inspection_inspectors")
	if err != nil {
		return 0, fmt.Errorf("inspection: inspectors: %w", err)
	}
	for rows.Next() {
		var c string
		var u int64
		if err := rows.Scan(&c, &u); err != nil {
			rows.Close()
			return 0, err
		}
		userOf[c] = u
	}
	rows.Close()
	var drawID int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		now := m.d.Now().UTC()
		res, err := tx.ExecContext(ctx, "UPDATE inspection_tasks SET status = ? WHERE id = ? AND status = ?", TaskDrawn, id, TaskFrozen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrState
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO inspection_draws (task_id, task_ref, region_code, pool_size, selected_count,
			pool_hash, seed, body, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, t.Ref, t.RegionCode, len(d.Pool),
			len(d.Selected), d.PoolHash, d.Seed, string(body), now).Scan(&drawID); err != nil {
			return err
		}
		for _, s := range d.Selected {
			ins, _ := json.Marshal(s.Inspectors)
			if _, err := tx.ExecContext(ctx, "INSERT INTO inspection_selections (draw_id, uscc, inspectors) VALUES (?, ?, ?)",
				drawID, s.Code, string(ins)); err != nil {
				return err
			}
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "inspection.draw.publish",
			ObjectType: "inspection_draw", ObjectID: fmt.Sprint(drawID), RegionCode: t.RegionCode,
			Detail: map[string]any{"task": t.Ref, "seed": d.Seed, "pool_hash": d.PoolHash, "selected": len(d.Selected)}}); err != nil {
			return err
		}
		if m.d.Assign == nil {
			return nil
		}
		return m.d.Assign(ctx, tx, m.assignments(t, &d, userOf))
	})
	if err != nil {
		return 0, wrap("draw", err)
	}
	return drawID, nil
}

// assignments are the visits a draw asks for: every item of the task at
// every business drawn, by the inspectors drawn for it.
func (m *Module) assignments(t *Task, d *Draw, userOf map[string]int64) []visit.Assignment {
	from, _ := time.ParseInLocation(calendar.DateLayout, t.WindowFrom, calendar.CST)
	to, _ := time.ParseInLocation(calendar.DateLayout, t.WindowTo, calendar.CST)
	to = to.Add(24*time.Hour - time.Second)
	var out []visit.Assignment
	for _, s := range d.Selected {
		var users []int64
		for _, c := range s.Inspectors {
			users = append(users, userOf[c])
		}
		for _, it := range t.items {
			out = append(out, visit.Assignment{Source: visit.SourceDraw, TaskRef: t.Ref, ItemCode: it.Code, ItemName: it.Name,
				Checklist: slices.Clone(it.Checklist), LegalBasis: it.LegalBasis, Key: it.Key, DepartmentID: it.DepartmentID,
				JointTaskRef: t.JointRef, USCC: s.Code, InspectorUserIDs: users, WindowFrom: from, WindowTo: to,
				Reason: "双随机抽查 " + t.Name})
		}
	}
	return out
}
