package hotline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
)

// demoExtraDepartments are city departments the hotline needs that the
// core demo does not create.
var demoExtraDepartments = []org.NewDepartment{
	{Code: "YL-RSJ", Name: "云澜市人力资源和社会保障局", NameEN: "Yunlan Human Resources and Social Security Bureau", RegionCode: "990100"},
	{Code: "YL-JTJ", Name: "云澜市交通运输局", NameEN: "Yunlan Transport Bureau", RegionCode: "990100"},
}

var demoDistricts = []string{"990102", "990103", "990104"}

// districtDept returns the code of a district's department of kind ("CGJ",
// "SCJG", "ZWZX"), falling back to the city's when the district has none.
func districtDept(region, kind string) string {
	prefix := map[string]string{"990102": "LJ-", "990103": "QS-", "990104": "XG-"}[region]
	if kind == "CGJ" && region == "990104" {
		return "YL-ZJ" // 新港区 has no urban management bureau in the demo
	}
	return prefix + kind
}

// demoRule says which department really handles a leaf category in a
// district (truth), what the dispatch directory says (dir, "" = as truth)
// and, for a share of orders, another department that ends up with them.
type demoRule struct {
	cat       string
	truth     func(region string) string
	dir       func(region string) string
	alt       string
	altShare  float64
	templates []string
}

func city(code string) func(string) string { return func(string) string { return code } }
func district(kind string) func(string) string {
	return func(r string) string { return districtDept(r, kind) }
}

var demoRules = []demoRule{
	{"010101", district("CGJ"), nil, "SCJG", 0.15, []string{"{p}附近有流动摊贩占道经营，堵塞人行道，晚上尤其严重", "{p}路口早餐摊占用机动车道，早高峰车辆无法通行", "{p}夜市摊点占道摆卖，垃圾满地"}},
	{"010102", district("CGJ"), nil, "", 0, []string{"{p}垃圾桶满了三天没人清运，气味很大", "{p}小区生活垃圾长期堆放无人清理，招来蚊蝇"}},
	{"010103", district("CGJ"), nil, "", 0, []string{"{p}{s}门头广告牌破损松动，大风天有掉落危险", "{p}楼顶违规设置大型广告牌"}},
	{"010201", district("CGJ"), nil, "", 0, []string{"{p}一楼住户私自扩建院墙，侵占公共绿地", "{p}楼顶有人违规搭建彩钢板房"}},
	{"010301", city("YL-ZJ"), nil, "", 0, []string{"{p}物业公司不作为，小区绿化和保洁长期无人管理", "{p}物业擅自提高停车费，业主意见很大"}},
	{"010302", district("SCJG"), city("YL-ZJ"), "YL-ZJ", 0.2, []string{"{p}3号楼电梯经常停运困人，维保不到位", "{p}电梯运行时异响抖动，担心安全，请特种设备部门检查"}},
	{"010401", city("YL-ZJ"), nil, "", 0, []string{"{p}路面塌陷出现大坑，电动车经过很危险", "{p}人行道地砖大面积破损松动"}},
	{"010402", city("YL-ZJ"), nil, "", 0, []string{"{p}一排路灯不亮已经一周，晚上出行不安全", "{p}小区外道路路灯损坏，请尽快维修"}},
	{"010403", city("YL-ZJ"), nil, "", 0, []string{"{p}突然停水没有任何通知，什么时候恢复供水", "{p}自来水发黄有异味，请检查水质"}},
	{"020101", district("SCJG"), nil, "", 0, []string{"{p}{s}后厨卫生脏乱，员工不戴口罩，怀疑食品不安全", "在{p}{s}吃饭后腹泻，要求查处"}},
	{"020102", district("SCJG"), nil, "", 0, []string{"{p}{s}超市销售过期牛奶和面包", "在{p}{s}买到过期食品，商家拒绝退换"}},
	{"020201", district("SCJG"), nil, "", 0, []string{"{p}{s}健身房突然关门，预付卡余额无法退费", "{p}{s}美容店办了预付卡后跑路，要求退费"}},
	{"020202", district("SCJG"), nil, "", 0, []string{"{p}{s}商品标价与结算价不一致，存在价格欺诈", "{p}{s}先涨价后打折，虚假促销"}},
	{"030101", city("YL-RSJ"), nil, "", 0, []string{"在{p}工地干活三个月，包工头拖欠农民工工资不发", "{p}建筑工地拖欠二十多名工人工资，要求帮助讨薪"}},
	{"030201", city("YL-RSJ"), nil, "", 0, []string{"公司一直没有给员工缴纳社保，{p}", "单位少缴社保基数，咨询如何维权，{p}"}},
	{"040101", city("YL-JTJ"), nil, "", 0, []string{"在{p}打车，出租车司机拒载还态度恶劣", "出租车从{p}出发故意绕路多收费"}},
	{"040201", city("YL-JTJ"), nil, "", 0, []string{"{p}公交站等车时间太长，建议增加班次", "建议在{p}增设公交线路方便居民出行"}},
	{"050101", city("YL-SHJ"), nil, "CGJ", 0.25, []string{"{p}工地夜间施工噪声扰民，凌晨还在打桩", "{p}建筑工地深夜施工，影响居民休息"}},
	{"050102", district("CGJ"), nil, "", 0, []string{"{p}广场舞音响声音太大，晚上十点后还在跳", "{p}{s}酒吧音乐声音过大，深夜扰民"}},
	{"050201", district("CGJ"), nil, "YL-SHJ", 0.25, []string{"{p}{s}餐馆油烟直排，熏到楼上住户", "{p}烧烤店油烟扰民，没有安装净化设备"}},
	{"060101", city("YL-WJW"), nil, "", 0, []string{"在{p}医院就诊时医生态度恶劣，对诊疗结果有异议", "{p}诊所乱收费，要求卫生部门调查"}},
	{"070101", city("YL-ZWFW"), nil, "", 0, []string{"我公司为{p}政府项目供货，货款拖欠一年多未支付", "{p}街道办拖欠我企业工程款，要求协调支付"}},
	{"070201", city("YL-ZWFW"), nil, "", 0, []string{"招商时承诺的厂房租金优惠至今未兑现，{p}", "{p}园区承诺的配套设施迟迟不落实"}},
	{"070301", city("YL-ZWFW"), nil, "", 0, []string{"符合条件的稳岗补贴迟迟没有发放，{p}", "{p}申报的惠企奖励资金审核通过后一直未拨付"}},
	{"070401", district("ZWZX"), nil, "", 0, []string{"在{p}政务服务中心办理营业执照排队太久，窗口人员推诿", "{p}大厅办事要求重复提交材料"}},
}

var demoPlaces = []string{"江滨路", "春江花园", "青山大道", "新港码头", "云澜广场", "临江中学旁", "青山湖小区", "滨海新村",
	"人民路", "解放街", "望江苑", "港城大道", "翠湖名邸", "工业园区", "火车站附近", "老城区北门"}
var demoShops = []string{"好味道", "鑫鑫", "阳光", "福满楼", "佳佳", "鸿运", "百家乐", "惠民", "悦享", "金港"}

// demoOrder is one generated order of the demo history.
type demoOrder struct {
	cat, region, dept string // department code
	title, content    string
	address           string
	typ               Type
	phone             string
}

// demoHistory generates n realistic orders from the templates: each in a
// random district and category, handled by the department the rules say,
// with a share going to a plausible other department, as happens.
func demoHistory(n int, seed uint64) []demoOrder {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]demoOrder, 0, n)
	for i := range n {
		rule := demoRules[r.IntN(len(demoRules))]
		region := demoDistricts[r.IntN(len(demoDistricts))]
		dept := rule.truth(region)
		if rule.alt != "" && r.Float64() < rule.altShare {
			dept = rule.alt
			if !strings.Contains(dept, "-") {
				dept = districtDept(region, dept)
			}
		}
		tpl := rule.templates[r.IntN(len(rule.templates))]
		place := demoPlaces[r.IntN(len(demoPlaces))]
		text := strings.NewReplacer("{p}", place, "{s}", demoShops[r.IntN(len(demoShops))]).Replace(tpl)
		typ := []Type{TypeComplaint, TypeComplaint, TypeHelp, TypeReport, TypeSuggestion, TypeConsult}[r.IntN(6)]
		switch rule.cat[:4] {
		case "0701":
			typ = TypeAppealArrears
		case "0702":
			typ = TypeAppealDishonesty
		case "0703":
			typ = TypeAppealPolicy
		}
		out = append(out, demoOrder{cat: rule.cat, region: region, dept: dept, title: summary(text, 20),
			content: text + "，请相关部门尽快处理。", address: place + fmt.Sprint(r.IntN(200)+1) + "号", typ: typ, phone: fmt.Sprintf("139%08d", 10000000+i*7919%90000000)})
	}
	return out
}

// demoDirectory returns the directory lines the rules imply: a line per
// leaf category and district.
func demoDirectory() []struct{ cat, region, dept string } {
	var out []struct{ cat, region, dept string }
	for _, rule := range demoRules {
		for _, region := range demoDistricts {
			d := rule.truth(region)
			if rule.dir != nil {
				d = rule.dir(region)
			}
			out = append(out, struct{ cat, region, dept string }{rule.cat, region, d})
		}
	}
	return out
}

// demoUSCC is a valid code for the demo appeals.
const demoUSCC = "91990102MA01YL8A1"

// SeedDemo fills the hotline of the demo city 云澜市: the category tree and
// limits (Start must have run), two extra city departments (人社局, 交通运输局),
// the dispatch directory, and history orders spread over the ~120 days
// before now, closed and visited (about 12% ending with a department other
// than the directory's), plus open orders in every state. depts maps demo
// department codes to ids (demo.Seeded.Departments; missing hotline
// departments are created and added to it) and users maps demo usernames
// to ids; it needs "operator" and "dispatcher". history is the number of
// past orders (0: 600).
func SeedDemo(ctx context.Context, m *Module, depts map[string]int64, users map[string]int64, now time.Time, history int) error {
	if history <= 0 {
		history = 600
	}
	sys := auth.System()
	for _, nd := range demoExtraDepartments {
		if _, ok := depts[nd.Code]; ok {
			continue
		}
		err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			d, err := m.d.Org.CreateDepartment(ctx, tx, nd)
			if err == nil {
				depts[nd.Code] = d.ID
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("hotline: demo department %s: %w", nd.Code, err)
		}
	}
	for _, e := range demoDirectory() {
		if err := m.SaveDirectoryEntry(ctx, sys, DirectoryEntry{CategoryCode: e.cat, RegionCode: e.region,
			DepartmentID: depts[e.dept], Note: "演示"}); err != nil {
			return fmt.Errorf("hotline: demo directory %s@%s: %w", e.cat, e.region, err)
		}
	}
	actor := func(name string) (*auth.Actor, error) {
		u, err := m.d.Org.GetUser(ctx, users[name])
		if err != nil {
			return nil, fmt.Errorf("hotline: demo user %s: %w", name, err)
		}
		return &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode,
			DepartmentIDs: u.DepartmentIDs}, nil
	}
	op, err := actor("operator")
	if err != nil {
		return err
	}
	disp, err := actor("dispatcher")
	if err != nil {
		return err
	}
	// A module on a clock the seed moves, so the history has its own dates.
	var clock time.Time
	d := m.d
	d.Now = func() time.Time { return clock }
	d.Flow = flow.New(d.DB, d.Calendar, d.Audit, d.Now)
	sm, err := New(d)
	if err != nil {
		return err
	}
	if err := sm.loadCategories(ctx); err != nil {
		return err
	}
	handler := func(dept int64) *auth.Actor {
		return &auth.Actor{Name: "承办人（演示）", Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{dept}}
	}
	orders := demoHistory(history+40, 20260930)
	r := rand.New(rand.NewPCG(7, 11))
	for i, o := range orders {
		open := i >= history // the last 40 stay open, in every state
		age := time.Duration(r.IntN(120*24)+24) * time.Hour
		if open {
			age = time.Duration(r.IntN(6*24)+1) * time.Hour
		}
		clock = now.Add(-age)
		in := NewOrder{Channel: Channels[r.IntN(len(Channels)-1)], Type: o.typ, CategoryCode: o.cat, Title: o.title,
			Content: o.content, CallerName: []string{"张", "王", "李", "赵", "陈", "刘"}[i%6] + "先生", CallerPhone: o.phone,
			RegionCode: o.region, Address: o.address, Urgent: i%97 == 0}
		if in.Channel == ChannelOpen311 {
			in.SourceRef = fmt.Sprintf("o311-%d", i)
		}
		if o.typ.Appeal() {
			in.USCC = demoUSCC + string(ids.USCCCheck(demoUSCC))
		}
		res, err := sm.Intake(ctx, op, in)
		if err != nil {
			return fmt.Errorf("hotline: demo order %d: %w", i, err)
		}
		id, dept := res.Order.ID, depts[o.dept]
		stage := 6
		if open {
			stage = i % 5 // new, dispatched, handling, replied, closed
		}
		steps := []func() error{
			func() error { _, err := sm.Dispatch(ctx, disp, id, DispatchInput{Lead: dept}); return err },
			func() error { _, err := sm.SignFor(ctx, handler(dept), id); return err },
			func() error {
				_, err := sm.Reply(ctx, handler(dept), id, "经核查，反映情况属实，已责成相关单位整改并跟踪落实。")
				return err
			},
			func() error { _, err := sm.Close(ctx, disp, id, ""); return err },
			func() error {
				sat := []Satisfaction{Satisfied, Satisfied, Satisfied, Satisfied, BasicSatisfied, Dissatisfied}[r.IntN(6)]
				_, err := sm.Visit(ctx, op, id, VisitInput{Solved: sat != Dissatisfied, Satisfaction: sat})
				return err
			},
		}
		for k, step := range steps {
			if k >= stage {
				break
			}
			clock = clock.Add(time.Duration(r.IntN(20)+1) * time.Hour)
			if clock.After(now) {
				clock = now
			}
			if err := step(); err != nil {
				return fmt.Errorf("hotline: demo order %d step %d: %w", i, k, err)
			}
		}
	}
	if err := m.seedSubmissions(ctx, users); err != nil {
		return err
	}
	// The staff's day (issue 13): an order co-handled by 临江区市场监管局
	// with its part and a photo, a pending extension request for the
	// dispatcher to decide, and an order sent back with a standard reason
	// and a suggested department.
	staff := func(k int, cat, title, text string) (int64, error) {
		clock = now.Add(-time.Duration(5-k) * time.Hour)
		res, err := sm.Intake(ctx, op, NewOrder{Channel: ChannelPhone, Type: TypeComplaint, CategoryCode: cat,
			Title: title, Content: text, CallerName: "演示来电人", CallerPhone: fmt.Sprintf("1390000%04d", 9000+k), RegionCode: "990102",
			Address: "临江区江滨路" + fmt.Sprint(100+k) + "号"})
		if err != nil {
			return 0, fmt.Errorf("hotline: demo staff order %d: %w", k, err)
		}
		return res.Order.ID, nil
	}
	cgj, scj := depts["LJ-CGJ"], depts["LJ-SCJG"]
	if cgj != 0 && scj != 0 {
		co, err := staff(0, "010101", "夜市占道经营（协办演示）", "江滨路夜市占道经营，摊位证照不全，晚上油烟噪声扰民（演示：协办）")
		if err != nil {
			return err
		}
		if _, err := sm.Dispatch(ctx, disp, co, DispatchInput{Lead: cgj, Assist: []int64{scj}, Comment: "请城管牵头，市场监管协查证照"}); err != nil {
			return fmt.Errorf("hotline: demo co-handling: %w", err)
		}
		if _, err := sm.SignFor(ctx, handler(cgj), co); err != nil {
			return fmt.Errorf("hotline: demo co-handling: %w", err)
		}
		clock = clock.Add(30 * time.Minute)
		if _, err := sm.Contribute(ctx, handler(scj), co, ContributionInput{Opinion: "经核查，12个摊位中有3个未办理食品经营备案，已责令限期办理。",
			ReplyPart: "市场监管部门已核查摊位证照，对3个未备案摊位责令限期办理。",
			Files:     []FileInput{{Name: "现场检查照片.png", Data: demoPNG}}}); err != nil {
			return fmt.Errorf("hotline: demo contribution: %w", err)
		}
		ext, err := staff(1, "010102", "垃圾清运不及时（延期演示）", "春江花园生活垃圾堆放三天无人清运，气味很大（演示：延期）")
		if err != nil {
			return err
		}
		if _, err := sm.Dispatch(ctx, disp, ext, DispatchInput{Lead: cgj}); err != nil {
			return fmt.Errorf("hotline: demo extension: %w", err)
		}
		if _, err := sm.SignFor(ctx, handler(cgj), ext); err != nil {
			return fmt.Errorf("hotline: demo extension: %w", err)
		}
		clock = clock.Add(time.Hour)
		if _, err := sm.RequestExtension(ctx, handler(cgj), ext, 5, "需协调环卫公司调整清运线路，并与物业联合整治"); err != nil {
			return fmt.Errorf("hotline: demo extension: %w", err)
		}
		back, err := staff(2, "020102", "超市销售过期食品（退单演示）", "好味道超市销售过期牛奶和面包（演示：退单）")
		if err != nil {
			return err
		}
		if _, err := sm.Dispatch(ctx, disp, back, DispatchInput{Lead: cgj}); err != nil {
			return fmt.Errorf("hotline: demo send-back: %w", err)
		}
		clock = clock.Add(20 * time.Minute)
		if _, err := sm.SendBackWith(ctx, handler(cgj), back, SendBackInput{Code: "not_our_duty",
			Reason: "过期食品属市场监管部门职责", Suggest: scj}); err != nil {
			return fmt.Errorf("hotline: demo send-back: %w", err)
		}
		// The centre's day (issue 12): a jurisdiction dispute to decide
		// (refused by both departments), a water cut on the 30-minute
		// sign-for tier, and a closed order whose return visit has had two
		// failed calls (the third ends it as 无法联系).
		dis, err := staff(3, "010101", "小区门口流动摊贩（管辖争议演示）", "锦绣小区门口流动摊贩售卖散装熟食，占道又无证照（演示：管辖争议）")
		if err != nil {
			return err
		}
		for _, dept := range []int64{scj, cgj} {
			if _, err := sm.Dispatch(ctx, disp, dis, DispatchInput{Lead: dept}); err != nil {
				return fmt.Errorf("hotline: demo dispute: %w", err)
			}
			clock = clock.Add(10 * time.Minute)
			if _, err := sm.SendBackWith(ctx, handler(dept), dis, SendBackInput{Code: "not_our_duty", Reason: "占道经营与无证经营职责交叉"}); err != nil {
				return fmt.Errorf("hotline: demo dispute: %w", err)
			}
		}
		water, err := staff(4, "010403", "整栋楼停水（签收档次演示）", "滨江花园5栋从早上起停水，没有通知（演示：水电气暖停供30分钟签收）")
		if err != nil {
			return err
		}
		if _, err := sm.Dispatch(ctx, disp, water, DispatchInput{Lead: cgj}); err != nil {
			return fmt.Errorf("hotline: demo utility tier: %w", err)
		}
		vis, err := staff(5, "010102", "楼道垃圾堆积（回访演示）", "幸福里3号楼楼道垃圾堆积一周（演示：回访无法联系）")
		if err != nil {
			return err
		}
		if _, err := sm.Dispatch(ctx, disp, vis, DispatchInput{Lead: cgj}); err != nil {
			return fmt.Errorf("hotline: demo visit: %w", err)
		}
		if _, err := sm.SignFor(ctx, handler(cgj), vis); err != nil {
			return fmt.Errorf("hotline: demo visit: %w", err)
		}
		if _, err := sm.Reply(ctx, handler(cgj), vis, "已组织物业清理楼道垃圾。"); err != nil {
			return fmt.Errorf("hotline: demo visit: %w", err)
		}
		if _, err := sm.Close(ctx, disp, vis, ""); err != nil {
			return fmt.Errorf("hotline: demo visit: %w", err)
		}
		for range 2 {
			if _, _, err := sm.VisitAttempt(ctx, op, vis, "无人接听"); err != nil {
				return fmt.Errorf("hotline: demo visit: %w", err)
			}
		}
	}
	m.RefreshIndex()
	return nil
}

// demoPNG is a 1×1 PNG, the demo's attachment.
var demoPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
