package credit

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
)

// DemoBusinesses are the demo's businesses with credit information: the
// demo enterprise (its account is yunlan_food), a convenience store on the
// abnormal list and a trading company on the serious list. The app writes
// their register entries.
var DemoBusinesses = struct{ Store, Trading string }{Store: demoUSCC("92990102MA01YL8C0"), Trading: demoUSCC("91990103MA01YL8D0")}

func demoUSCC(body17 string) string { return body17 + string(ids.USCCCheck(body17)) }

// SeedDemoRecords writes the demo's credit information as of now, through
// the services so it obeys the rules: for the demo enterprise a penalty
// that may be repaired today, one under an application the market
// regulator has to decide, a food-safety penalty repairable only after a
// year, a light penalty no longer shown, a licence, a late-published
// inspection result and a complaint that is never public; listings of the
// two other businesses; departments' checks; and one signed report.
// users maps demo usernames to ids, depts department codes to ids.
func SeedDemoRecords(ctx context.Context, m *Module, depts, users map[string]int64, enterprise string, now time.Time) error {
	actor := func(name string) (*auth.Actor, error) {
		u, err := m.d.Org.GetUser(ctx, users[name])
		if err != nil {
			return nil, fmt.Errorf("credit: demo user %s: %w", name, err)
		}
		return &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode,
			DepartmentIDs: u.DepartmentIDs, USCC: u.USCC}, nil
	}
	scj, err := actor("handler_scj")
	if err != nil {
		return err
	}
	cgj, err := actor("handler_cgj")
	if err != nil {
		return err
	}
	cgj.DepartmentIDs = []int64{depts["LJ-CGJ"]} // writes for the urban-management bureau
	biz, err := actor("yunlan_food")
	if err != nil {
		return err
	}
	clerk, err := actor("clerk_lj")
	if err != nil {
		return err
	}
	today := calendar.DateOf(now)
	ago := func(months, days int) string {
		return calendar.DateOf(today.Start().AddDate(0, -months, -days)).String()
	}
	pen := func(sector string, fine int64, kinds ...string) *Penalty {
		return &Penalty{Procedure: "ordinary", Subject: "organisation", Sector: sector, Kinds: kinds, FineYuan: fine}
	}
	type rec struct {
		by *auth.Actor
		in RecordInput
	}
	recs := []rec{
		{scj, RecordInput{USCC: enterprise, Kind: KindLicense, DecisionNo: "JY23501020000123", DecisionDate: ago(24, 0),
			PublishedOn: ago(24, -2), LegalBasis: "《中华人民共和国食品安全法》第三十五条", Content: "食品经营许可（热食类食品制售）"}},
		{scj, RecordInput{USCC: enterprise, Kind: KindPenalty, DecisionNo: "临市监处罚〔2026〕0031号", DecisionDate: ago(8, 3),
			PublishedOn: ago(8, 0), LegalBasis: "《中华人民共和国价格法》第四十二条", Content: "未按规定明码标价，罚款15万元。",
			Penalty: pen("other", 150000, "罚款")}},
		{scj, RecordInput{USCC: enterprise, Kind: KindPenalty, DecisionNo: "临市监处罚〔2026〕0012号", DecisionDate: ago(10, 3),
			PublishedOn: ago(10, 0), LegalBasis: "《中华人民共和国广告法》第五十五条", Content: "发布虚假广告，罚款20万元。",
			Penalty: pen("other", 200000, "罚款")}},
		{scj, RecordInput{USCC: enterprise, Kind: KindPenalty, DecisionNo: "临市监处罚〔2026〕0088号", DecisionDate: ago(4, 3),
			PublishedOn: ago(4, 0), LegalBasis: "《中华人民共和国食品安全法》第一百二十四条", Content: "经营超过保质期的食品，罚款12万元，没收违法所得。",
			Penalty: pen("food", 120000, "罚款", "没收违法所得")}},
		{cgj, RecordInput{USCC: enterprise, Kind: KindPenalty, DecisionNo: "临城管罚〔2026〕0102号", DecisionDate: ago(5, 3),
			PublishedOn: ago(5, 0), LegalBasis: "《城市市容和环境卫生管理条例》第三十六条", Content: "店外占道经营，罚款2000元。",
			Penalty: pen("other", 2000, "罚款")}},
		{scj, RecordInput{USCC: enterprise, Kind: KindInspection, DecisionNo: "临市监抽〔2026〕07号", DecisionDate: ago(2, 10),
			PublishedOn: ago(0, 20), Content: "双随机抽查：未发现问题。"}},
		{scj, RecordInput{USCC: DemoBusinesses.Store, Kind: KindPenalty, DecisionNo: "临市监处罚〔2025〕0207号", DecisionDate: ago(14, 0),
			PublishedOn: ago(14, -3), LegalBasis: "《中华人民共和国产品质量法》第五十条", Content: "销售不合格产品，罚款11万元。当事人经营者身份证号 990102198005123426。",
			Penalty: pen("other", 110000, "罚款")}},
	}
	recIDs := map[string]int64{}
	for _, r := range recs {
		got, err := m.AddRecord(ctx, r.by, r.in)
		if err != nil {
			return fmt.Errorf("credit: demo record %s: %w", r.in.DecisionNo, err)
		}
		recIDs[r.in.DecisionNo] = got.ID
	}
	if _, err := m.AddRecord(ctx, auth.System(), RecordInput{USCC: enterprise, Kind: KindComplaint, DecisionDate: ago(1, 0),
		Content: "群众反映后厨卫生问题（12345工单），已核查处理。"}); err != nil {
		return fmt.Errorf("credit: demo complaint: %w", err)
	}
	if _, err := m.ListAsAbnormal(ctx, scj, AbnormalInput{USCC: DemoBusinesses.Store, Reason: "annual_report",
		ListedOn: ago(5, 0), DecisionNo: "临市监异〔2026〕015号"}); err != nil {
		return fmt.Errorf("credit: demo abnormal: %w", err)
	}
	if _, err := m.ListAsAbnormal(ctx, scj, AbnormalInput{USCC: DemoBusinesses.Trading, Reason: "unreachable",
		ListedOn: ago(40, 0), DecisionNo: "临市监异〔2023〕102号"}); err != nil {
		return fmt.Errorf("credit: demo abnormal: %w", err)
	}
	proof := []RepairFile{{Name: "整改报告.pdf", Data: []byte("%PDF-1.4\n% demo proof of correction\n%%EOF\n")}}
	if _, err := m.ApplyRepair(ctx, biz, RepairInput{RecordID: recIDs["临市监处罚〔2026〕0012号"],
		Correction: "已删除虚假广告，缴清罚款，并建立广告发布审核制度。", Commitment: "本企业承诺已纠正失信行为，今后依法诚信经营。",
		Files: proof}); err != nil {
		return fmt.Errorf("credit: demo repair: %w", err)
	}
	for _, c := range []struct {
		a       *auth.Actor
		purpose string
	}{{scj, "licensing"}, {clerk, "commitment"}, {biz, "self"}} {
		if _, err := m.Check(ctx, c.a, enterprise, c.purpose); err != nil {
			return fmt.Errorf("credit: demo check: %w", err)
		}
	}
	if m.d.Signer != nil {
		if _, err := m.IssueReport(ctx, biz, ReportInput{USCC: enterprise}); err != nil {
			return fmt.Errorf("credit: demo report: %w", err)
		}
	}
	return nil
}
