package inspection_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/inspection"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/visit"
)

// register is a register of n businesses of 990102 and two of 990103.
type register struct{ list []entity.Basic }

func (r *register) ScanBasics(_ context.Context, after string, limit int, fn func(b *entity.Basic) error) (int, error) {
	n := 0
	for i := range r.list {
		if r.list[i].USCC <= after || n == limit {
			continue
		}
		n++
		if err := fn(&r.list[i]); err != nil {
			return n, err
		}
	}
	return n, nil
}

type classes map[string]string

func (c classes) ClassOf(_ context.Context, u string) (string, error) { return c[u], nil }

func uscc(i int) string {
	b := fmt.Sprintf("91990102MA%07dX", i)[:17]
	return b + string(ids.USCCCheck(b))
}

type world struct {
	m                     *inspection.Module
	handler, sup, otherQS *auth.Actor
	cgj                   *auth.Actor
	depts                 map[string]int64
	users                 map[string]int64
	assigned              []visit.Assignment
}

func setup(t *testing.T, db *store.DB) *world {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	orgs.Password = auth.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}
	w := &world{depts: map[string]int64{}, users: map[string]int64{}}
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"},
			{Code: "990103", Name: "青山区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for _, d := range []struct{ code, name, region string }{{"LJ-SCJG", "临江区市场监督管理局", "990102"},
			{"LJ-CGJ", "临江区城市管理局", "990102"}, {"QS-SCJG", "青山区市场监督管理局", "990103"}} {
			dep, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: d.code, Name: d.name, RegionCode: d.region})
			if err != nil {
				return err
			}
			w.depts[d.code] = dep.ID
		}
		for i, u := range []string{"ins1", "ins2", "ins3", "ins4", "ins5", "inscg"} {
			dept := w.depts["LJ-SCJG"]
			if u == "inscg" {
				dept = w.depts["LJ-CGJ"]
			}
			nu, err := orgs.CreateUser(ctx, tx, org.NewUser{Username: u, DisplayName: fmt.Sprint("执法", i), Password: "Yunlan@2026x",
				Roles: []auth.Role{auth.RoleInspector}, RegionCode: "990102", DepartmentIDs: []int64{dept}})
			if err != nil {
				return err
			}
			w.users[u] = nu.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := &register{}
	cls := classes{}
	for i := range 40 {
		u := uscc(i)
		region := "990102"
		if i >= 38 {
			region = "990103"
		}
		reg.list = append(reg.list, entity.Basic{USCC: u, RegionCode: region, Industry: "H6210", Status: "存续"})
		cls[u] = inspection.Classes[i%4]
	}
	w.m, err = inspection.New(inspection.Deps{DB: db, Policy: auth.NewPolicy(), Audit: audit.New(clock), Org: orgs, Register: reg, Classes: cls,
		Now: clock, Assign: func(_ context.Context, _ store.IDB, as []visit.Assignment) error {
			w.assigned = append(w.assigned, as...)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	w.handler = &auth.Actor{UserID: 901, Name: "孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-SCJG"]}}
	w.cgj = &auth.Actor{UserID: 902, Name: "周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-CGJ"]}}
	w.otherQS = &auth.Actor{UserID: 903, Name: "吴刚", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990103", DepartmentIDs: []int64{w.depts["QS-SCJG"]}}
	w.sup = &auth.Actor{UserID: 904, Name: "督办 钱峰", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"}
	return w
}

func field(err error) string {
	if fs := valid.Fields(err); len(fs) > 0 {
		return fs[0].Path
	}
	return ""
}

func item(code string, key bool) inspection.ItemInput {
	return inspection.ItemInput{Code: code, Name: "食品经营检查", Key: key, LegalBasis: "《食品安全法》第一百一十条",
		SubjectScope: "食品经营者", Method: "现场检查", Checklist: []string{"许可证", "健康证明"}}
}

func TestDrawOnStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		m := w.m

		bad := item("LJ-SCJG-001", false)
		bad.Name = "食品\x07检查"
		if _, err := m.CreateItem(ctx, w.handler, bad); field(err) != "name" {
			t.Fatalf("control character: %v", err)
		}
		it, err := m.CreateItem(ctx, w.handler, item("LJ-SCJG-001", false))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.CreateItem(ctx, w.otherQS, inspection.ItemInput{DepartmentID: w.depts["LJ-SCJG"]}); !errors.Is(err, inspection.ErrNotFound) {
			t.Fatalf("another district's department wrote an item: %v", err)
		}
		if _, err := m.GetItem(ctx, w.otherQS, it.ID); !errors.Is(err, inspection.ErrNotFound) {
			t.Fatalf("another district read a draft: %v", err)
		}
		if _, err := m.PublishItem(ctx, w.handler, it.ID); err != nil {
			t.Fatal(err)
		}
		cg, _ := m.CreateItem(ctx, w.cgj, item("LJ-CGJ-001", false))
		m.PublishItem(ctx, w.cgj, cg.ID)

		sys := auth.System()
		for _, x := range []inspection.InspectorInput{
			{UserID: w.users["ins1"], DepartmentID: w.depts["LJ-SCJG"], Code: "C1", Name: "甲", ValidUntil: "2027-12-31", Available: true},
			{UserID: w.users["ins2"], DepartmentID: w.depts["LJ-SCJG"], Code: "C2", Name: "乙", ValidUntil: "2027-12-31", Available: true,
				Conflicts: []inspection.DeclaredConflict{{Kind: inspection.ConflictRelative, USCC: uscc(0)}}},
			{UserID: w.users["ins3"], DepartmentID: w.depts["LJ-SCJG"], Code: "C3", Name: "丙", ValidUntil: "2027-12-31", Available: true},
			{UserID: w.users["ins4"], DepartmentID: w.depts["LJ-SCJG"], Code: "C4", Name: "丁", ValidUntil: "2026-12-31", Available: true}, // expires in the window
			{UserID: w.users["ins5"], DepartmentID: w.depts["LJ-SCJG"], Code: "C5", Name: "戊", ValidUntil: "2027-12-31", Available: false},
			{UserID: w.users["inscg"], DepartmentID: w.depts["LJ-CGJ"], Code: "G1", Name: "己", ValidUntil: "2027-12-31", Available: true},
		} {
			if _, err := m.PutInspector(ctx, sys, x); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.PutInspector(ctx, sys, inspection.InspectorInput{UserID: w.users["ins1"], DepartmentID: w.depts["LJ-CGJ"],
			Code: "C1", Name: "甲", ValidUntil: "2027-12-31"}); field(err) != "user_id" {
			t.Fatalf("an inspector of another department: %v", err)
		}

		in := inspection.TaskInput{Name: "2027年第一季度食品经营抽查", Year: 2027, ItemIDs: []int64{it.ID, cg.ID},
			WindowFrom: "2027-01-04", WindowTo: "2027-03-31"}
		if _, err := m.CreateTask(ctx, w.handler, in); field(err) != "item_ids[1]" {
			t.Fatalf("another department's item without a joint task: %v", err)
		}
		in.JointRef = "LJ-JOINT-2027-01"
		in.Ratios = map[string]float64{"A": 0.5, "B": 0.2, "C": 0.6, "D": 1}
		if _, err := m.CreateTask(ctx, w.handler, in); field(err) != "ratios.A" {
			t.Fatalf("a general task above the configured ratio: %v", err)
		}
		in.Ratios = nil
		task, err := m.CreateTask(ctx, w.handler, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.GetTask(ctx, w.otherQS, task.ID); !errors.Is(err, inspection.ErrNotFound) {
			t.Fatalf("another district's department read the task: %v", err)
		}
		if _, err := m.Commit(ctx, w.handler, task.ID, inspection.CommitInput{Commitment: inspection.Commitment("org-secret")}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Freeze(ctx, w.handler, task.ID); field(err) != "participants" {
			t.Fatalf("frozen with one participant: %v", err)
		}
		if _, err := m.Commit(ctx, w.sup, task.ID, inspection.CommitInput{Commitment: inspection.Commitment("sup-secret")}); err != nil {
			t.Fatal(err)
		}
		task, err = m.Freeze(ctx, w.handler, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if task.PoolSize != 38 {
			t.Fatalf("pool %d, want the 38 businesses of 990102", task.PoolSize)
		}
		if _, err := m.Commit(ctx, w.sup, task.ID, inspection.CommitInput{Commitment: inspection.Commitment("late")}); !errors.Is(err, inspection.ErrState) {
			t.Fatalf("a commitment after the freeze: %v", err)
		}
		if _, err := m.Reveal(ctx, w.sup, task.ID, inspection.RevealInput{Seq: 2, Secret: "other"}); field(err) != "secret" {
			t.Fatalf("a secret not matching its commitment: %v", err)
		}
		if _, err := m.RunDraw(ctx, w.handler, task.ID); field(err) != "participants" {
			t.Fatalf("drawn before the secrets: %v", err)
		}
		m.Reveal(ctx, w.handler, task.ID, inspection.RevealInput{Seq: 1, Secret: "org-secret"})
		if _, err := m.Reveal(ctx, w.sup, task.ID, inspection.RevealInput{Seq: 2, Secret: "sup-secret"}); err != nil {
			t.Fatal(err)
		}
		id, err := m.RunDraw(ctx, w.handler, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.GetDraw(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := inspection.Recompute(d); err != nil {
			t.Fatalf("the published draw does not recompute: %v", err)
		}
		codes := []string{}
		for _, p := range d.InspectorPool {
			codes = append(codes, p.Code)
		}
		if !slices.Equal(codes, []string{"C1", "C2", "C3", "G1"}) {
			t.Fatalf("inspector pool %v: want C1 C2 C3 G1 (C4's 执法证 expires in the window, C5 unavailable)", codes)
		}
		if len(d.Conflicts) != 1 || d.Conflicts[0].Inspector != "C2" {
			t.Fatalf("conflicts %v", d.Conflicts)
		}
		// 38 businesses, classes cycling A–D: A 10, B 10, C 9, D 9 → 1+2+6+9.
		if len(d.Selected) != 18 {
			t.Fatalf("selected %d, want 18", len(d.Selected))
		}
		if len(w.assigned) != 2*18 || w.assigned[0].Source != visit.SourceDraw || w.assigned[0].TaskRef != d.TaskID ||
			len(w.assigned[0].InspectorUserIDs) != 2 || w.assigned[0].JointTaskRef != "LJ-JOINT-2027-01" {
			t.Fatalf("assignments %d: %+v", len(w.assigned), w.assigned[0])
		}
		list, _, err := m.Draws(ctx, 0, 10)
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Fatalf("draws %v %v", list, err)
		}

		// The next draw does not draw the same inspectors for a business.
		in.Name = "第二季度"
		t2, err := m.CreateTask(ctx, w.handler, in)
		if err != nil {
			t.Fatal(err)
		}
		m.Commit(ctx, w.handler, t2.ID, inspection.CommitInput{Commitment: inspection.Commitment("a2")})
		m.Commit(ctx, w.sup, t2.ID, inspection.CommitInput{Commitment: inspection.Commitment("b2")})
		m.Freeze(ctx, w.handler, t2.ID)
		m.Reveal(ctx, w.handler, t2.ID, inspection.RevealInput{Seq: 1, Secret: "a2"})
		m.Reveal(ctx, w.sup, t2.ID, inspection.RevealInput{Seq: 2, Secret: "b2"})
		id2, err := m.RunDraw(ctx, w.handler, t2.ID)
		if err != nil {
			t.Fatal(err)
		}
		d2, _ := m.GetDraw(ctx, id2)
		if len(d2.Previous) != len(d.Selected) {
			t.Fatalf("previous inspections %d, want %d", len(d2.Previous), len(d.Selected))
		}
		before := map[string][]string{}
		for _, s := range d.Selected {
			before[s.Code] = s.Inspectors
		}
		for _, s := range d2.Selected {
			for _, c := range s.Inspectors {
				if slices.Contains(before[s.Code], c) {
					t.Fatalf("%s: %s inspected it last time", s.Code, c)
				}
			}
		}
	})
}
