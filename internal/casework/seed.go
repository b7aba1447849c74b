package casework

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
)

// demoPDF is the content of every demo upload: a minimal PDF.
var demoPDF = []byte("%PDF-1.4\n% yingshang demo material\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// SeedDemo fills the demo city's applications through the service, so they
// obey the same rules and leave the same audit trail as real ones:
//
//   - 云澜味道餐饮有限公司 (yunlan_food) applies for 店招标牌设置 (990102-XK-303)
//     and the rule approves it at once (秒批);
//   - it applies for 食品经营许可 (990102-XK-002) with the management rules
//     promised later (容缺), taken in by the 临江 window with that shortfall;
//   - it applies again for 食品经营许可 with everything, which is taken in,
//     reviewed and approved by people, issuing a food business licence;
//   - it applies for 户外广告设施设置审批 (990102-XK-301), awaiting intake;
//   - 张三 (zhangsan) applies for 城市道路占用、挖掘审批 (990102-XK-302),
//     taken in and sent back for correction (the clock paused);
//   - the window clerk applies for 张三 (帮办代办) for 店招标牌设置 with a
//     lighted sign, which the rule leaves to a person.
//
// Call it after catalog.SeedDemo and certificate.SeedDemo (the shared
// business licence and identity card, and the consent to use them, come
// from there) and after LoadDefinitions. depts maps demo department codes
// to ids (demo.Seeded.Departments: LJ-ZWZX, LJ-SCJG, LJ-CGJ are used),
// users usernames to ids (demo.Seeded.Users: yunlan_food, zhangsan,
// clerk_lj, handler_scj, handler_cgj, approver_scj); uscc is the demo
// enterprise's code and citizenID the demo citizen's identity number.
func SeedDemo(ctx context.Context, m *Module, depts map[string]int64, users map[string]int64, uscc, citizenID string) error {
	actor := func(name string) (*auth.Actor, error) {
		id, ok := users[name]
		if !ok {
			return nil, fmt.Errorf("casework: demo user %s missing", name)
		}
		u, err := m.d.Org.GetUser(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("casework: demo user %s: %w", name, err)
		}
		return &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode,
			DepartmentIDs: u.DepartmentIDs, USCC: u.USCC}, nil
	}
	as := map[string]*auth.Actor{}
	for _, n := range []string{"yunlan_food", "zhangsan", "clerk_lj", "handler_scj", "handler_cgj", "approver_scj"} {
		a, err := actor(n)
		if err != nil {
			return err
		}
		as[n] = a
	}
	for _, code := range []string{"LJ-SCJG", "LJ-CGJ"} {
		if depts[code] == 0 {
			return fmt.Errorf("casework: demo department %s missing", code)
		}
	}
	const company = "云澜味道餐饮有限公司"
	submit := func(a *auth.Actor, code string, form map[string]string, how func(i int, mt catalog.Material) MaterialInput,
		edit func(in *SubmitInput)) (*Application, error) {
		it, err := m.d.Catalog.Published(ctx, code)
		if err != nil {
			return nil, fmt.Errorf("casework: demo item %s: %w", code, err)
		}
		in := SubmitInput{ItemCode: code, Form: demoForm(it, form, uscc, citizenID)}
		if a.Has(auth.RoleEnterprise) {
			in.EnterpriseName = company
		}
		for i, mt := range it.Materials {
			mi := MaterialInput{Name: mt.Name}
			switch mt.Class {
			case catalog.ClassShared:
				mi.Consent = true
			case catalog.ClassRequired, catalog.ClassShortfall:
				mi.File = &Upload{Name: mt.Name + ".pdf", Data: demoPDF}
			}
			if how != nil {
				mi = how(i, mt)
			}
			in.Materials = append(in.Materials, mi)
		}
		if edit != nil {
			edit(&in)
		}
		app, err := m.Submit(ctx, a, in)
		if err != nil {
			return nil, fmt.Errorf("casework: demo %s: %w", code, err)
		}
		return app, nil
	}
	step := func(err error) error {
		if err != nil {
			return fmt.Errorf("casework: demo: %w", err)
		}
		return nil
	}
	ent, cit, clerk := as["yunlan_food"], as["zhangsan"], as["clerk_lj"]

	// 秒批: a small sign without lights.
	if _, err := submit(ent, "990102-XK-303", map[string]string{"location": "云澜市临江区滨江路88号", "area": "6", "lighted": "false"}, nil, nil); err != nil {
		return err
	}
	// 容缺: the management rules promised for later.
	promise := func(i int, mt catalog.Material) MaterialInput {
		mi := MaterialInput{Name: mt.Name}
		switch mt.Class {
		case catalog.ClassShared:
			mi.Consent = true
		case catalog.ClassShortfall:
			mi.Shortfall = true
		case catalog.ClassRequired:
			mi.File = &Upload{Name: mt.Name + ".pdf", Data: demoPDF}
		}
		return mi
	}
	food := map[string]string{"area": "180", "staff_count": "12"}
	app, err := submit(ent, "990102-XK-002", food, promise, func(in *SubmitInput) { in.ShortfallDue = m.DefaultShortfallDue() })
	if err != nil {
		return err
	}
	if _, err := m.AcceptWithShortfall(ctx, clerk, app.ID, "", "主要材料齐全，食品安全管理制度文本容缺后补"); step(err) != nil {
		return step(err)
	}
	// The ordinary path, decided by people.
	if app, err = submit(ent, "990102-XK-002", food, nil, func(in *SubmitInput) { in.Delivery = DeliverWindow }); err != nil {
		return err
	}
	if _, err := m.Accept(ctx, clerk, app.ID, "材料齐全，予以受理"); err != nil {
		return step(err)
	}
	if _, err := m.Pass(ctx, as["handler_scj"], app.ID, "经审查，申请材料齐全，符合法定形式，经营场所符合要求"); err != nil {
		return step(err)
	}
	if _, err := m.Decide(ctx, as["approver_scj"], app.ID, Decision{Approve: true,
		Reason: "符合《中华人民共和国食品安全法》第三十五条规定的条件，准予许可"}); err != nil {
		return step(err)
	}
	// Awaiting intake.
	if _, err := submit(ent, "990102-XK-301", map[string]string{"location": "云澜市临江区滨江路88号楼顶", "area": "24",
		"duration_months": "36", "lighted": "true"}, nil, func(in *SubmitInput) {
		in.Delivery, in.DeliveryAddress = DeliverPost, "云澜市临江区滨江路88号 云澜味道餐饮有限公司"
	}); err != nil {
		return err
	}
	// A citizen's application sent back for correction.
	if app, err = submit(cit, "990102-XK-302", map[string]string{}, nil, nil); err != nil {
		return err
	}
	if _, err := m.Accept(ctx, clerk, app.ID, ""); err != nil {
		return step(err)
	}
	if _, err := m.RequestCorrection(ctx, as["handler_cgj"], app.ID, "施工方案未加盖施工单位公章，请补正后重新提交", ""); err != nil {
		return step(err)
	}
	// 帮办代办: the window applies for 张三; the rule leaves a lighted sign
	// to a person.
	if _, err := submit(clerk, "990102-XK-303", map[string]string{"location": "云澜市临江区江滨街道幸福里12号", "area": "8", "lighted": "true"},
		func(i int, mt catalog.Material) MaterialInput {
			// 张三 holds no business licence: the department checks it.
			return MaterialInput{Name: mt.Name, File: &Upload{Name: mt.Name + ".pdf", Data: demoPDF}}
		}, func(in *SubmitInput) {
			in.Applicant = &ApplicantInput{Kind: Person, Name: "张三", IDNumber: citizenID}
		}); err != nil {
		return err
	}
	return nil
}

// demoForm fills an item's form: the given values, then a plausible value
// for every other required field by its type.
func demoForm(it *catalog.Item, given map[string]string, uscc, citizenID string) map[string]string {
	out := map[string]string{}
	for _, f := range it.Fields {
		if v, ok := given[f.Key]; ok {
			out[f.Key] = v
			continue
		}
		if !f.Required {
			continue
		}
		switch f.Type {
		case catalog.FieldNumber:
			out[f.Key] = "50"
		case catalog.FieldChoice, catalog.FieldChoices:
			out[f.Key] = f.Options[0]
		case catalog.FieldBool:
			out[f.Key] = "false"
		case catalog.FieldDate:
			out[f.Key] = "2026-12-01"
		case catalog.FieldUSCC:
			out[f.Key] = uscc
		case catalog.FieldIDNumber:
			out[f.Key] = citizenID
		case catalog.FieldPhone:
			out[f.Key] = "13800000002"
		case catalog.FieldAddress:
			out[f.Key] = "云澜市临江区滨江路88号"
		default:
			out[f.Key] = "李娜"
		}
	}
	return out
}
