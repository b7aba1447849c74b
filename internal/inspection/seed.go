package inspection

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
)

// DemoSecrets are the demo draw's secrets. A real draw's participants
// choose theirs (e.g. 32 random bytes in hex) and keep them until the draw.
var DemoSecrets = [2]string{"lj-scjg-2026-3f9a1c07d2e8", "supervisor-2026-b41e77a09c35"}

// SeedDemo gives the demo city inspection items of the 临江区市场监管局
// and 城管局, their inspectors, and one published joint draw whose
// participants are the 市场监管局 and the supervisor. It does nothing when
// a draw exists.
func SeedDemo(ctx context.Context, m *Module, depts, users map[string]int64, now time.Time) error {
	var n int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM inspection_draws").Scan(&n); err != nil {
		return fmt.Errorf("inspection: demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	scj, cgj := depts["LJ-SCJG"], depts["LJ-CGJ"]
	handler := &auth.Actor{UserID: users["handler_scj"], Name: "承办 孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{scj}}
	handlerCGJ := &auth.Actor{UserID: users["handler_cgj"], Name: "承办 周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{cgj}}
	approver := &auth.Actor{UserID: users["approver_scj"], Name: "审批 郑华", Roles: []auth.Role{auth.RoleApprover}, RegionCode: "990102", DepartmentIDs: []int64{scj}}
	approverCGJ := &auth.Actor{UserID: 0, Name: "系统", Roles: []auth.Role{auth.RoleSystem}}
	supervisor := &auth.Actor{UserID: users["supervisor"], Name: "督办 钱峰", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"}
	items := []struct {
		a  *auth.Actor
		in ItemInput
	}{
		{handler, ItemInput{DepartmentID: scj, Code: "LJ-SCJG-001", Name: "食品经营者落实食品安全主体责任情况的检查", Key: false,
			LegalBasis: "《中华人民共和国食品安全法》第一百一十条；《食品生产经营监督检查管理办法》第十一条", SubjectScope: "辖区内取得食品经营许可的经营者",
			Method: "现场检查", Checklist: []string{"食品经营许可证是否在有效期内并公示", "从业人员健康证明", "进货查验和记录", "食品贮存条件与温度", "餐饮具清洗消毒"}}},
		{handler, ItemInput{DepartmentID: scj, Code: "LJ-SCJG-002", Name: "企业公示信息情况的检查", Key: false,
			LegalBasis: "《企业信息公示暂行条例》第十四条", SubjectScope: "辖区内登记的企业和个体工商户",
			Method: "书面检查、现场检查", Checklist: []string{"年度报告公示信息是否真实", "即时公示信息是否及时", "住所或经营场所能否联系"}}},
		{handlerCGJ, ItemInput{DepartmentID: cgj, Code: "LJ-CGJ-001", Name: "门前三包及户外招牌设置的检查", Key: false,
			LegalBasis: "《城市市容和环境卫生管理条例》第十一条、第三十六条", SubjectScope: "临街经营的商户",
			Method: "现场检查", Checklist: []string{"门前三包责任落实", "户外招牌设置是否规范", "是否占道经营"}}},
	}
	var ids []int64
	for _, x := range items {
		it, err := m.CreateItem(ctx, x.a, x.in)
		if err != nil {
			return fmt.Errorf("inspection: demo item %s: %w", x.in.Code, err)
		}
		if _, err := m.PublishItem(ctx, x.a, it.ID); err != nil {
			return fmt.Errorf("inspection: demo item %s: %w", x.in.Code, err)
		}
		ids = append(ids, it.ID)
	}
	year := now.In(calendar.CST).Year()
	valid := fmt.Sprintf("%d-12-31", year+2)
	for _, in := range []struct {
		a  *auth.Actor
		in InspectorInput
	}{
		{approver, InspectorInput{UserID: users["inspector_scj"], DepartmentID: scj, Code: "LJSC0001", Name: "马骏", ValidUntil: valid,
			Specialities: []string{"食品安全", "企业信息公示"}, Available: true}},
		{approver, InspectorInput{UserID: users["inspector_scj2"], DepartmentID: scj, Code: "LJSC0002", Name: "林涛", ValidUntil: valid,
			Specialities: []string{"食品安全"}, Available: true,
			Conflicts: []DeclaredConflict{{Kind: ConflictFormerEmployer, USCC: "", Note: "原工作单位"}}}},
		{approverCGJ, InspectorInput{UserID: users["inspector_cgj"], DepartmentID: cgj, Code: "LJCG0001", Name: "何平", ValidUntil: valid,
			Specialities: []string{"市容环境"}, Available: true}},
	} {
		if len(in.in.Conflicts) > 0 {
			in.in.Conflicts[0].USCC = m.demoConflict(ctx)
			if in.in.Conflicts[0].USCC == "" {
				in.in.Conflicts = nil
			}
		}
		if _, err := m.PutInspector(ctx, in.a, in.in); err != nil {
			return fmt.Errorf("inspection: demo inspector %s: %w", in.in.Code, err)
		}
	}
	day := calendar.DateOf(now)
	t, err := m.CreateTask(ctx, handler, TaskInput{DepartmentID: scj, Name: fmt.Sprintf("%d年临江区食品经营与市容联合抽查", year), Year: year,
		ItemIDs: ids, JointRef: fmt.Sprintf("LJ-JOINT-%d-01", year), Scope: Scope{Region: "990102"},
		WindowFrom: day.AddDays(1).String(), WindowTo: day.AddDays(60).String()})
	if err != nil {
		return fmt.Errorf("inspection: demo task: %w", err)
	}
	if _, err := m.Commit(ctx, handler, t.ID, CommitInput{Commitment: Commitment(DemoSecrets[0])}); err != nil {
		return fmt.Errorf("inspection: demo commitment: %w", err)
	}
	if _, err := m.Commit(ctx, supervisor, t.ID, CommitInput{Commitment: Commitment(DemoSecrets[1])}); err != nil {
		return fmt.Errorf("inspection: demo commitment: %w", err)
	}
	if _, err := m.Freeze(ctx, handler, t.ID); err != nil {
		return fmt.Errorf("inspection: demo freeze: %w", err)
	}
	if _, err := m.Reveal(ctx, handler, t.ID, RevealInput{Seq: 1, Secret: DemoSecrets[0]}); err != nil {
		return fmt.Errorf("inspection: demo reveal: %w", err)
	}
	if _, err := m.Reveal(ctx, supervisor, t.ID, RevealInput{Seq: 2, Secret: DemoSecrets[1]}); err != nil {
		return fmt.Errorf("inspection: demo reveal: %w", err)
	}
	if _, err := m.RunDraw(ctx, handler, t.ID); err != nil {
		return fmt.Errorf("inspection: demo draw: %w", err)
	}
	return nil
}

// demoConflict is a business of the demo register for a declared conflict.
func (m *Module) demoConflict(ctx context.Context) string {
	var u string
	_ = m.d.DB.QueryRowContext(ctx, "SELECT uscc FROM entities WHERE region_code = '990102' ORDER BY uscc LIMIT 1").Scan(&u)
	return u
}
