package casework

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/ids"
)

// The demo bundle 开办餐饮店 and its items.
const (
	DemoBundle         = "YJS-KBCYD"
	demoItemRegister   = "990102-XK-001" // 个体工商户设立登记, 临江区市场监管局, 秒批 rule
	demoItemFood       = "990102-XK-002" // 食品经营许可, 临江区市场监管局, 容缺 material
	demoItemPublicSite = "990100-XK-101" // 公共场所卫生许可, 云澜市卫生健康委
)

// demoPublicSiteRule is the instant-approval rule the demo gives 公共场所卫生许可
// (small venues of applicants not of high credit risk: class D, internal/risk,
// is refused), so that in the demo city the
// bundle has two items a rule decides and one a department decides after
// 容缺 — the city health commission has no staff accounts in the demo.
const demoPublicSiteRule = `form.area <= 500.0 && credit.class != "D"`

// eventBundles are the national 高效办成一件事 key matters the demo city
// offers beyond 开办餐饮店, over catalog.SeedEventItems.
var eventBundles = []BundleSpec{
	{Code: "YJS-QYXXBG", Name: "企业信息变更",
		Description: "企业名称、住所、法定代表人等登记信息变更后，一次申请同步变更税务、社会保险和住房公积金登记信息，营业执照只需提供一次。",
		Items:       []string{catalog.ItemEnterpriseChange, catalog.ItemTaxChange, catalog.ItemSocialChange, catalog.ItemFundChange}},
	{Code: "YJS-KBYSQY", Name: "开办运输企业",
		Description: "开办道路货物运输企业：企业设立登记、道路货物运输经营许可、印章刻制、发票领用、社会保险和住房公积金缴存登记，一表申请、并联办理。",
		Items: []string{catalog.ItemEnterpriseSetup, catalog.ItemRoadFreightLicence, catalog.ItemSeal, catalog.ItemInvoice,
			catalog.ItemSocialRegister, catalog.ItemFundRegister}},
	{Code: "YJS-XSECS", Name: "新生儿出生",
		Description: "新生儿出生医学证明、预防接种证、户口登记、医保参保和社会保障卡申领，监护人一次提交，出生医学证明在各部门间共享。",
		Items: []string{catalog.ItemBirthCertificate, catalog.ItemVaccination, catalog.ItemHousehold, catalog.ItemMedicalNewborn,
			catalog.ItemSocialCardNewborn}},
	{Code: "YJS-TX", Name: "退休",
		Description: "职工退休时一次申请养老保险待遇、职工医保退休人员待遇核定和住房公积金退休提取。",
		Items:       []string{catalog.ItemPension, catalog.ItemMedicalRetire, catalog.ItemFundRetire}},
	{Code: "YJS-JYZTZX", Name: "经营主体注销登记",
		Description: "企业注销时一次申请清税证明、社会保险注销和企业注销登记，营业执照只需提供一次。",
		Items:       []string{catalog.ItemTaxClearance, catalog.ItemSocialDereg, catalog.ItemEnterpriseDereg}},
}

// SeedBundleDemo fills the demo city's bundles and cross-region handling
// through the service, after SeedDemo (and catalog.SeedDemo,
// certificate.SeedDemo, LoadDefinitions):
//
//   - it gives 公共场所卫生许可 (990100-XK-101) an instant-approval rule
//     and publishes it, as the city health commission would;
//   - it defines and publishes the bundle 开办餐饮店 (YJS-KBCYD) =
//     个体工商户设立登记 + 食品经营许可 + 公共场所卫生许可. For the demo
//     enterprise applying with every file but the food-safety rules
//     promised (容缺), 个体工商户设立登记 and 公共场所卫生许可 are approved at
//     once by their rules and 食品经营许可 goes through 容缺 to 临江区市场监管局;
//   - the 青山区 window (clerk_qs) takes in 个体工商户设立登记, owned by
//     临江区, for 王五 (跨域通办, 帮办代办) and forwards it; 临江区市场监管局 reviews it;
//   - it publishes the other key matters of eventBundles (企业信息变更,
//     开办运输企业, 新生儿出生, 退休, 经营主体注销登记), whose items
//     catalog.SeedEventItems created.
//
// users maps demo usernames to ids (demo.Seeded.Users: clerk_qs is used).
func SeedBundleDemo(ctx context.Context, m *Module, users map[string]int64) error {
	sys := auth.System()
	w, err := m.d.Catalog.WorkingByCode(ctx, sys, demoItemPublicSite)
	if err != nil {
		return fmt.Errorf("casework: demo bundle: %w", err)
	}
	d := w.Draft
	d.Rule = &catalog.ApprovalRule{Expr: demoPublicSiteRule, Examples: []catalog.RuleExample{
		{Name: "小型场所、信用良好", Form: map[string]string{"area": "180", "staff_count": "12"}, CreditClass: "A",
			ApplicantKind: "enterprise", Want: true},
		{Name: "营业面积超过 500 平方米", Form: map[string]string{"area": "800", "staff_count": "30"}, CreditClass: "A",
			ApplicantKind: "enterprise", Want: false},
		{Name: "信用风险 C 类（较高）", Form: map[string]string{"area": "180", "staff_count": "12"}, CreditClass: "C",
			ApplicantKind: "enterprise", Want: true},
		{Name: "信用风险 D 类（高）", Form: map[string]string{"area": "180", "staff_count": "12"}, CreditClass: "D",
			ApplicantKind: "enterprise", Want: false},
	}}
	if w, err = m.d.Catalog.Update(ctx, sys, w.ID, d, w.RowVersion); err != nil {
		return fmt.Errorf("casework: demo bundle: rule: %w", err)
	}
	if _, err := m.d.Catalog.Publish(ctx, sys, w.ID, w.RowVersion); err != nil {
		return fmt.Errorf("casework: demo bundle: publish rule: %w", err)
	}
	if err := m.ensureDefinition(ctx, limitsOf(w)); err != nil {
		return err
	}
	if _, err := m.SaveBundle(ctx, sys, BundleSpec{Code: DemoBundle, Name: "开办餐饮店",
		Description: "开一家餐饮店所需的个体工商户设立登记、食品经营许可和公共场所卫生许可，一张表单、一套材料，三个部门并联办理。",
		Items:       []string{demoItemRegister, demoItemFood, demoItemPublicSite}}); err != nil {
		return fmt.Errorf("casework: demo bundle: %w", err)
	}
	if _, err := m.SetBundleStatus(ctx, sys, DemoBundle, BundlePublished); err != nil {
		return fmt.Errorf("casework: demo bundle: %w", err)
	}
	for _, spec := range eventBundles {
		if _, err := m.SaveBundle(ctx, sys, spec); err != nil {
			return fmt.Errorf("casework: demo bundle %s: %w", spec.Code, err)
		}
		if _, err := m.SetBundleStatus(ctx, sys, spec.Code, BundlePublished); err != nil {
			return fmt.Errorf("casework: demo bundle %s: %w", spec.Code, err)
		}
	}

	// 跨域通办: 青山区 takes in a 临江区 item.
	id, ok := users["clerk_qs"]
	if !ok {
		return fmt.Errorf("casework: demo user clerk_qs missing")
	}
	u, err := m.d.Org.GetUser(ctx, id)
	if err != nil {
		return fmt.Errorf("casework: demo user clerk_qs: %w", err)
	}
	clerk := &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode,
		DepartmentIDs: u.DepartmentIDs}
	it, err := m.d.Catalog.Published(ctx, demoItemRegister)
	if err != nil {
		return fmt.Errorf("casework: demo cross-region: %w", err)
	}
	base := "99010319880516271"
	wangwu := base + string(ids.CitizenIDCheck(base))
	in := SubmitInput{ItemCode: it.Code, Applicant: &ApplicantInput{Kind: Person, Name: "王五", IDNumber: wangwu},
		Form: demoForm(it, map[string]string{"trade_name": "王五小吃店", "operator_name": "王五", "operator_id": wangwu,
			"premises": "云澜市临江区江滨街道幸福里20号", "capital": "30000", "scope": "小吃服务"}, "", wangwu),
		Delivery: DeliverPost, DeliveryAddress: "云澜市青山区青山大道18号 王五"}
	for _, mt := range it.Materials {
		mi := MaterialInput{Name: mt.Name}
		if mt.Class == catalog.ClassRequired || mt.Class == catalog.ClassShortfall {
			mi.File = &Upload{Name: mt.Name + ".pdf", Data: demoPDF}
		}
		in.Materials = append(in.Materials, mi)
	}
	app, err := m.Submit(ctx, clerk, in)
	if err != nil {
		return fmt.Errorf("casework: demo cross-region: %w", err)
	}
	if _, err := m.Forward(ctx, clerk, app.ID, ForwardInput{FormChecked: true, IdentityChecked: true,
		Note: "申请人在青山区政务服务中心现场提交，已核对身份证原件"}); err != nil {
		return fmt.Errorf("casework: demo cross-region: forward: %w", err)
	}
	return nil
}
