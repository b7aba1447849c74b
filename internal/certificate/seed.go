package certificate

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// demoIssuers names, by demo department code, the department owning each
// default type in 云澜市. The demo city has no public security bureau, so
// the service administration stands in for the identity card.
var demoIssuers = map[string]string{
	"CT-YYZZ": "YL-SCJG",
	"CT-SPJY": "YL-SCJG",
	"CT-GGWS": "YL-WJW",
	"CT-SGXK": "YL-ZJ",
	"CT-HWGG": "LJ-CGJ",
	"CT-SFZ":  "YL-ZWFW",
	"CT-CSZM": "YL-WJW",
	"CT-YSZY": "YL-WJW",
	"CT-GSWS": "YL-WJW",
	"CT-YSXK": "YL-ZJ",
	"CT-JZZZ": "YL-ZJ",
	"CT-GHXK": "YL-ZJ",
	"CT-BDCQ": "YL-ZJ",
}

// SeedDemo fills the demo city's certificates through the service: the
// default types, the demo enterprise's business, food and outdoor
// advertising licences (the last revoked), the demo citizen's identity
// card, the enterprise's consent to share its business licence, one use
// of it and one open verification request.
//
// depts maps demo department codes (demo.Seeded.Departments) to ids, users
// demo usernames (demo.Seeded.Users) to ids; uscc is the demo enterprise's
// code (demo.EnterpriseUSCC) and citizenID the demo citizen's number
// (demo.CitizenID). Call LoadDefinitions first.
func SeedDemo(ctx context.Context, m *Module, depts map[string]int64, users map[string]int64, uscc, citizenID string) error {
	sys := auth.System()
	dept := func(code string) (int64, error) {
		id, ok := depts[code]
		if !ok {
			return 0, fmt.Errorf("certificate: demo department %s missing", code)
		}
		return id, nil
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, t := range DefaultTypes() {
			id, err := dept(demoIssuers[t.Code])
			if err != nil {
				return err
			}
			t.IssuerDepartmentID = id
			if err := m.DefineType(ctx, tx, t, sys); err != nil {
				return err
			}
		}
		ljSCJG, err := dept("LJ-SCJG")
		if err != nil {
			return err
		}
		ljCGJ, err := dept("LJ-CGJ")
		if err != nil {
			return err
		}
		zwfw, err := dept("YL-ZWFW")
		if err != nil {
			return err
		}
		wjw, err := dept("YL-WJW")
		if err != nil {
			return err
		}
		ent := Enterprise("云澜味道餐饮有限公司", uscc)
		ent.UserID = users["yunlan_food"]
		now := m.d.Now()
		licence, err := m.Issue(ctx, tx, IssueInput{TypeCode: "CT-YYZZ", Holder: ent, IssuerDepartmentID: ljSCJG,
			ValidFrom: now.AddDate(-2, 0, 0), Actor: sys, Fields: map[string]string{
				"entity_type": "有限责任公司（自然人投资或控股）", "legal_representative": "李娜", "registered_capital": "100",
				"established": now.AddDate(-2, 0, 0).In(cst).Format("2006-01-02"), "address": "云澜市临江区滨江路88号",
				"scope": "餐饮服务；食品销售"}})
		if err != nil {
			return err
		}
		// The food licence (five years) expires in two months: its page
		// offers the renewal (延续).
		if _, err := m.Issue(ctx, tx, IssueInput{TypeCode: "CT-SPJY", Holder: ent, IssuerDepartmentID: ljSCJG,
			ValidFrom: now.AddDate(-5, 2, 0), Actor: sys, Fields: map[string]string{
				"legal_representative": "李娜", "address": "云澜市临江区滨江路88号", "main_form": "餐饮服务经营者（中型餐馆）",
				"items": "热食类食品制售；冷食类食品制售"}}); err != nil {
			return err
		}
		ad, err := m.Issue(ctx, tx, IssueInput{TypeCode: "CT-HWGG", Holder: ent, IssuerDepartmentID: ljCGJ,
			ValidFrom: now.AddDate(-1, 0, 0), Actor: sys, Fields: map[string]string{
				"location": "滨江路88号临街外墙", "form": "店招（平行墙面）", "size": "6×1.2"}})
		if err != nil {
			return err
		}
		if _, err := m.Revoke(ctx, tx, ad.ID, "店招更换，原许可注销", sys); err != nil {
			return err
		}
		person := Person("张三", citizenID)
		person.UserID = users["zhangsan"]
		if _, err := m.Issue(ctx, tx, IssueInput{TypeCode: "CT-SFZ", Holder: person, IssuerDepartmentID: zwfw,
			ValidFrom: time.Date(2016, 3, 7, 0, 0, 0, 0, cst), Actor: sys, Fields: map[string]string{
				"sex": "男", "ethnicity": "汉", "birth_date": "1990-03-07", "address": "云澜市临江区江滨街道幸福里12号"}}); err != nil {
			return err
		}
		consent, err := m.GrantConsent(ctx, tx, ConsentInput{Holder: EnterpriseRef(uscc), TypeCode: "CT-YYZZ",
			Purpose: "办理许可事项时免交营业执照", Actor: sys})
		if err != nil {
			return err
		}
		clerk := &auth.Actor{UserID: users["handler_scj"], Name: "承办 孙丽", Roles: []auth.Role{auth.RoleHandler},
			RegionCode: "990102", DepartmentIDs: []int64{ljSCJG}}
		if _, err := m.Use(ctx, tx, UseInput{CertificateID: licence.ID, DepartmentID: ljSCJG, Actor: clerk,
			ApplicationRef: "YL2026-DEMO-0001", Purpose: "食品经营许可证申请（免交营业执照）", ConsentID: consent.ID}); err != nil {
			return err
		}
		_, err = m.RequestVerification(ctx, tx, VerificationRequest{FromDepartmentID: ljSCJG, OwnerDepartmentID: wjw,
			TypeCode: "CT-GGWS", Holder: ent, ApplicationRef: "YL2026-DEMO-0002", Actor: clerk,
			Question: "该企业原“云澜味道”门店是否曾取得公共场所卫生许可证（纸质证，尚未电子化）？"})
		return err
	})
	if err != nil {
		return fmt.Errorf("certificate: demo: %w", err)
	}
	return nil
}
