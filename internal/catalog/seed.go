package catalog

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
)

// Certificate type codes used by the demo items. The e-certificate module
// is expected to define the same codes for the certificates it issues.
const (
	CertBusinessLicence = "CT-YYZZ" // 营业执照（电子营业执照）
	CertIDCard          = "CT-SFZ"  // 居民身份证
	CertFoodBusiness    = "CT-SPJY" // 食品经营许可证
	CertPublicPlace     = "CT-GGWS" // 公共场所卫生许可证
	CertPhysician       = "CT-YSZY" // 医师执业证书
	CertBirth           = "CT-CSZM" // 出生医学证明
	CertWaterSupply     = "CT-GSWS" // 供水单位卫生许可证
	CertConstruction    = "CT-SGXK" // 建筑工程施工许可证
	CertPresale         = "CT-YSXK" // 商品房预售许可证
	CertQualification   = "CT-JZZZ" // 建筑业企业资质证书
	CertPlanning        = "CT-GHXK" // 建设工程规划许可证
	CertLandUse         = "CT-BDCQ" // 不动产权证书
	CertOutdoorAd       = "CT-HWGG" // 户外广告设置许可
	CertRoadDig         = "CT-DLWJ" // 城市道路占用挖掘许可
	CertWaste           = "CT-JZLJ" // 城市建筑垃圾处置核准
	CertPollutant       = "CT-PWXK" // 排污许可证
	CertHazardousWaste  = "CT-WFJY" // 危险废物经营许可证
	// CertCreditReport is not an e-certificate: a shared material naming
	// it (无违法违规记录证明) is satisfied by the applicant's signed
	// 专用信用报告 of the credit module (see casework.ReportRules).
	CertCreditReport = "CT-XYBG"
)

// Demo department codes (internal/demo/data.go) that own the demo items.
const (
	deptMarket  = "LJ-SCJG" // 临江区市场监督管理局
	deptHealth  = "YL-WJW"  // 云澜市卫生健康委员会
	deptHousing = "YL-ZJ"   // 云澜市住房和城乡建设局
	deptUrban   = "LJ-CGJ"  // 临江区城市管理局
	deptEco     = "YL-SHJ"  // 云澜市生态环境局
)

// SeedDepartments lists the demo department codes SeedDemo needs.
var SeedDepartments = []string{deptMarket, deptHealth, deptHousing, deptUrban, deptEco}

const (
	hours       = "工作日 上午 9:00—12:00，下午 13:30—17:00（法定节假日除外）"
	ljHall      = "临江区政务服务中心（临江区滨江大道 88 号）二楼"
	cityHall    = "云澜市民中心（云澜市人民路 1 号）三楼"
	applicForm  = "申请表"
	entrustNote = "委托他人办理的提交，须载明委托事项和权限"
)

func mat(name string, c MaterialClass, note string) Material {
	return Material{Name: name, Class: c, Note: note}
}

func shared(name, cert string) Material {
	return Material{Name: name, Class: ClassShared, CertificateType: cert, Note: "通过电子证照库共享获取"}
}

func field(key, label, en string, t FieldType, required bool, options ...string) FormField {
	return FormField{Key: key, Label: label, LabelEn: en, Type: t, Required: required, Options: options}
}

// demoItems returns the demo catalogue; dept maps department codes to ids.
func demoItems(dept map[string]int64) []Draft {
	mk := func(code, name, short, d string, t ItemType, basis, cond string, legal, promised int) Draft {
		w := Window{Address: cityHall + "综合受理窗口", Hours: hours, Phone: "0990-12345"}
		if d == deptMarket || d == deptUrban {
			w.Address = ljHall + "综合受理窗口"
		}
		return Draft{Code: code, Name: name, ShortName: short, DepartmentID: dept[d], Type: t, LegalBasis: basis,
			Conditions: cond, LegalLimitDays: legal, PromisedLimitDays: promised, Window: w, Online: true}
	}
	var items []Draft

	// 市场监管 (临江区)
	it := mk("990102-XK-001", "个体工商户设立登记", "个体户开业", deptMarket, TypeLicensing,
		"《促进个体工商户发展条例》第八条；《中华人民共和国市场主体登记管理条例》第三条、第十九条",
		"有经营能力的自然人，有固定的经营场所，经营范围不属于法律、行政法规禁止的项目。", 3, 0)
	it.ReviewStandard = "申请材料齐全、符合法定形式的，当场予以登记并发给营业执照。"
	it.CertificateType = CertBusinessLicence
	it.CrossRegion = true
	it.ScopeRegions = []string{"990102", "990103", "990104"}
	it.Materials = []Material{
		mat("个体工商户登记（备案）申请书", ClassRequired, "经营者签字"),
		shared("经营者身份证明", CertIDCard),
		{Name: "经营场所使用证明", Class: ClassShortfall, Note: "房屋产权证明或租赁协议；暂缺的可容缺受理，5 个工作日内补交", ShortfallDays: 5},
		mat("委托书", ClassOptional, entrustNote),
	}
	it.Fields = []FormField{
		field("trade_name", "个体工商户名称", "Trade name", FieldText, false),
		field("operator_name", "经营者姓名", "Operator", FieldText, true),
		field("operator_id", "经营者身份证号", "Operator ID number", FieldIDNumber, true),
		field("phone", "联系电话", "Phone", FieldPhone, true),
		field("premises", "经营场所", "Premises", FieldAddress, true),
		field("capital", "资金数额（元）", "Capital (yuan)", FieldNumber, true),
		field("form_of_business", "组成形式", "Form", FieldChoice, true, "个人经营", "家庭经营"),
		field("scope", "经营范围", "Business scope", FieldText, true),
	}
	it.Rule = &ApprovalRule{Expr: `form.capital <= 1000000 && credit.class != "D"`, Examples: []RuleExample{
		{Name: "小额资金、信用良好", Form: map[string]string{"capital": "50000"}, CreditClass: "A", ApplicantKind: "person", Want: true},
		{Name: "资金超过 100 万元", Form: map[string]string{"capital": "1500000"}, CreditClass: "A", ApplicantKind: "person", Want: false},
		{Name: "信用等级 D", Form: map[string]string{"capital": "50000"}, CreditClass: "D", ApplicantKind: "person", Want: false},
		{Name: "没有信用记录", Form: map[string]string{"capital": "50000"}, ApplicantKind: "person", Want: false},
	}}
	items = append(items, it)

	it = mk("990102-XK-002", "食品经营许可", "食品经营许可证核发", deptMarket, TypeLicensing,
		"《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》第十条",
		"已取得营业执照等合法主体资格；具有与经营的食品品种、数量相适应的经营场所和设施设备；有食品安全管理人员和管理制度；具有合理的设备布局和工艺流程。", 10, 3)
	it.ReviewStandard = "审查申请材料；需要现场核查的，按《食品经营许可审查通则》核查经营场所、设施设备和布局流程。"
	it.CertificateType = CertFoodBusiness
	it.Commitment = true
	it.Fee = Fee{}
	it.Materials = []Material{
		mat("食品经营许可申请书", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		shared("法定代表人（负责人）身份证明", CertIDCard),
		{Name: "经营场所平面图和设备布局、工艺流程图", Class: ClassRequired, Note: "标明功能区域和主要设备位置", CommitmentReplaceable: true},
		{Name: "食品安全管理制度文本", Class: ClassShortfall, Note: "可容缺受理，10 个工作日内补交", CommitmentReplaceable: true, ShortfallDays: 10},
		mat("食品安全管理人员任命文件", ClassRequired, ""),
		mat("委托书", ClassOptional, entrustNote),
	}
	it.Fields = []FormField{
		field("area", "经营场所面积（平方米）", "Premises area (m²)", FieldNumber, true),
		field("items", "经营项目（可多选）", "Business items (one or more)", FieldChoices, true, "预包装食品销售", "散装食品销售", "热食类食品制售", "冷食类食品制售", "自制饮品制售"),
		field("format", "主体业态", "Business format", FieldChoice, true, "食品销售经营者", "餐饮服务经营者", "单位食堂"),
		field("staff_count", "从业人员数", "Number of staff", FieldNumber, true),
		field("online_sales", "是否网络经营", "Sells online", FieldBool, false),
		field("uscc", "统一社会信用代码", "USCC", FieldUSCC, true),
	}
	items = append(items, it)

	it = mk("990102-XK-003", "食品经营许可变更", "", deptMarket, TypeLicensing,
		"《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》第二十九条",
		"已取得食品经营许可证，许可证载明的事项发生变化，且在变化后 10 个工作日内提出申请。", 10, 3)
	it.CertificateType = CertFoodBusiness
	it.Commitment = true
	it.Materials = []Material{
		mat("食品经营许可变更申请书", ClassRequired, ""),
		shared("食品经营许可证", CertFoodBusiness),
		{Name: "与变更事项有关的材料", Class: ClassRequired, Note: "如变更经营场所布局的，提交新的平面图", CommitmentReplaceable: true},
	}
	it.Fields = []FormField{
		field("change_type", "变更事项", "What changes", FieldChoice, true, "名称", "法定代表人", "经营项目", "经营场所布局"),
		field("change_detail", "变更内容", "Details", FieldText, true),
	}
	items = append(items, it)

	it = mk("990102-XK-004", "个体工商户注销登记", "个体户注销", deptMarket, TypeLicensing,
		"《中华人民共和国市场主体登记管理条例》第三十一条、第三十三条",
		"个体工商户决定停止经营，已清结债权债务；未发生债权债务或已清偿的，可适用简易注销。", 3, 0)
	it.Materials = []Material{
		mat("个体工商户注销登记申请书", ClassRequired, "经营者签字"),
		shared("营业执照", CertBusinessLicence),
		mat("全体投资人承诺书", ClassOptional, "适用简易注销的提交"),
	}
	items = append(items, it)

	it = mk("990102-GG-001", "营业执照遗失补领", "执照补领", deptMarket, TypePublicService,
		"《中华人民共和国市场主体登记管理条例实施细则》第六十二条",
		"营业执照遗失或者毁坏，已通过国家企业信用信息公示系统声明作废。", 3, 0)
	it.CertificateType = CertBusinessLicence
	it.Materials = []Material{
		mat("营业执照补领申请书", ClassRequired, ""),
		mat("遗失声明截图", ClassOptional, "系统可自动核验"),
	}
	items = append(items, it)

	// 卫生健康 (市)
	it = mk("990100-XK-101", "公共场所卫生许可", "", deptHealth, TypeLicensing,
		"《公共场所卫生管理条例》第八条；《公共场所卫生管理条例实施细则》第二十二条",
		"经营宾馆、美容美发、游泳场所等公共场所，卫生设施和环境符合国家卫生标准和要求，从业人员取得健康合格证明。", 20, 5)
	it.CertificateType = CertPublicPlace
	it.Commitment = true
	it.Materials = []Material{
		mat("公共场所卫生许可申请表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		shared("法定代表人（负责人）身份证明", CertIDCard),
		{Name: "公共场所地址方位示意图、平面图和卫生设施平面布局图", Class: ClassRequired, CommitmentReplaceable: true},
		{Name: "公共场所卫生检测或者评价报告", Class: ClassShortfall, Note: "可容缺受理，20 个工作日内补交", CommitmentReplaceable: true, ShortfallDays: 20},
		mat("公共场所卫生管理制度", ClassRequired, ""),
	}
	it.Fields = []FormField{
		field("venue_type", "场所类别", "Venue type", FieldChoice, true, "住宿场所", "美容美发场所", "沐浴场所", "游泳场所", "文化娱乐场所"),
		field("area", "营业面积（平方米）", "Area (m²)", FieldNumber, true),
		field("staff_count", "从业人员数", "Staff", FieldNumber, true),
	}
	items = append(items, it)

	it = mk("990100-XK-102", "医师执业注册", "", deptHealth, TypeLicensing,
		"《中华人民共和国医师法》第十三条、第十四条；《医师执业注册管理办法》",
		"取得医师资格，拟在医疗、预防、保健机构中执业，无《中华人民共和国医师法》第十六条规定不予注册的情形。", 20, 10)
	it.CertificateType = CertPhysician
	it.Materials = []Material{
		mat("医师执业注册申请审核表", ClassRequired, ""),
		mat("医师资格证书", ClassRequired, ""),
		mat("近 6 个月内县级以上医疗机构出具的健康体检证明", ClassRequired, ""),
		mat("拟执业医疗机构的聘用证明", ClassRequired, ""),
		shared("身份证明", CertIDCard),
	}
	items = append(items, it)

	it = mk("990100-GG-101", "出生医学证明签发", "出生证明", deptHealth, TypePublicService,
		"《中华人民共和国母婴保健法》第二十三条；《国家卫生健康委关于做好出生医学证明管理工作的通知》",
		"在本市助产机构出生的新生儿，由其父母或监护人申领。", 5, 0)
	it.CertificateType = CertBirth
	it.Window = Window{Address: "新生儿出生的助产机构出生医学证明签发窗口", Hours: hours, Phone: "0990-12320"}
	it.Materials = []Material{
		mat("出生医学证明首次签发登记表", ClassRequired, ""),
		shared("父母双方有效身份证件", CertIDCard),
		mat("结婚证", ClassOptional, "无须提交；父母一方无法提供身份证件时参考"),
	}
	items = append(items, it)

	it = mk("990100-XK-103", "饮用水供水单位卫生许可", "", deptHealth, TypeLicensing,
		"《中华人民共和国传染病防治法》第二十九条；《生活饮用水卫生监督管理办法》第七条",
		"集中式供水单位，供水设施、水质处理和消毒设施符合卫生规范，直接从事供、管水人员取得健康合格证明。", 20, 10)
	it.CertificateType = CertWaterSupply
	it.Online = false
	it.Materials = []Material{
		mat("供水单位卫生许可申请书", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		mat("水质检测报告", ClassRequired, "有资质的检验机构出具"),
		mat("供、管水人员健康合格证明", ClassShortfall, "可容缺受理，10 个工作日内补交"),
	}
	items = append(items, it)

	// 住房城乡建设 (市)
	it = mk("990100-XK-201", "建筑工程施工许可", "施工许可证核发", deptHousing, TypeLicensing,
		"《中华人民共和国建筑法》第七条、第八条；《建筑工程施工许可管理办法》第四条",
		"已办理用地批准手续，已取得建设工程规划许可证，施工场地已具备施工条件，已确定施工企业，有满足施工需要的资金安排、施工图纸及技术资料。", 7, 3)
	it.CertificateType = CertConstruction
	it.Commitment = true
	it.Materials = []Material{
		mat("建筑工程施工许可申请表", ClassRequired, ""),
		shared("建设工程规划许可证", CertPlanning),
		shared("不动产权证书或用地批准手续", CertLandUse),
		mat("施工合同", ClassRequired, "中标的还应提交中标通知书"),
		{Name: "施工图设计文件审查合格书", Class: ClassShortfall, Note: "可容缺受理，开工前补交", CommitmentReplaceable: true},
		{Name: "建设资金已经落实承诺书", Class: ClassRequired, CommitmentReplaceable: true},
	}
	it.Fields = []FormField{
		field("project_name", "工程名称", "Project", FieldText, true),
		field("site", "建设地址", "Site", FieldAddress, true),
		field("floor_area", "建筑面积（平方米）", "Floor area (m²)", FieldNumber, true),
		field("contract_price", "合同价格（万元）", "Contract price (10k yuan)", FieldNumber, true),
		field("start_date", "计划开工日期", "Planned start", FieldDate, true),
	}
	items = append(items, it)

	it = mk("990100-XK-202", "商品房预售许可", "", deptHousing, TypeLicensing,
		"《中华人民共和国城市房地产管理法》第四十五条；《城市商品房预售管理办法》第五条、第七条",
		"已交付全部土地使用权出让金，取得土地使用权证书；持有建设工程规划许可证和施工许可证；投入开发建设的资金达到工程建设总投资的 25% 以上，并已确定施工进度和竣工交付日期。", 10, 5)
	it.CertificateType = CertPresale
	it.Online = false
	it.Materials = []Material{
		mat("商品房预售许可申请表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		shared("建筑工程施工许可证", CertConstruction),
		mat("工程施工进度计划和投资证明", ClassRequired, "监理单位出具"),
		mat("商品房预售方案", ClassRequired, "载明商品房的位置、面积、竣工交付日期"),
	}
	items = append(items, it)

	it = mk("990100-XK-203", "建筑业企业资质核准", "建筑业资质", deptHousing, TypeLicensing,
		"《中华人民共和国建筑法》第十三条；《建筑业企业资质管理规定》第九条",
		"依法取得营业执照的企业，净资产、技术负责人、技术人员、工程业绩等符合建筑业企业资质标准。", 20, 10)
	it.CertificateType = CertQualification
	it.Commitment = true
	it.Materials = []Material{
		mat("建筑业企业资质申请表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		{Name: "企业净资产证明", Class: ClassRequired, Note: "上一年度财务报表或验资报告", CommitmentReplaceable: true},
		{Name: "技术负责人和主要人员的身份证明、职称证书", Class: ClassRequired, CommitmentReplaceable: true},
		{Name: "无违法违规记录证明", Class: ClassShared, CertificateType: CertCreditReport,
			Note: "以专用信用报告代替：申请前 30 日内出具、覆盖近 1 年的报告，由系统核验，无需向各部门开具证明"},
	}
	items = append(items, it)

	it = mk("990100-BA-201", "房屋建筑和市政基础设施工程竣工验收备案", "竣工验收备案", deptHousing, TypeFiling,
		"《建设工程质量管理条例》第四十九条；《房屋建筑和市政基础设施工程竣工验收备案管理办法》第四条",
		"建设工程已竣工验收合格，自验收合格之日起 15 日内申请备案。", 5, 0)
	it.Materials = []Material{
		mat("工程竣工验收备案表", ClassRequired, ""),
		mat("工程竣工验收报告", ClassRequired, ""),
		mat("施工单位签署的工程质量保修书", ClassRequired, ""),
		mat("规划、消防等部门出具的认可文件", ClassShortfall, "可容缺受理，5 个工作日内补交"),
	}
	items = append(items, it)

	// 城市管理 (临江区)
	it = mk("990102-XK-301", "户外广告设施设置审批", "户外广告设置", deptUrban, TypeLicensing,
		"《城市市容和环境卫生管理条例》第十一条；《云澜市户外广告设施设置管理办法》",
		"户外广告设施的位置、规格、安全性能符合本区户外广告设施设置规划，不影响交通安全和市容。", 20, 5)
	it.CertificateType = CertOutdoorAd
	it.Materials = []Material{
		mat("户外广告设施设置申请表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		mat("设置位置的产权证明或使用权证明", ClassRequired, ""),
		mat("设施设计效果图和安全检测报告", ClassRequired, "大型设施须附结构安全计算书"),
		mat("委托书", ClassOptional, entrustNote),
	}
	it.Fields = []FormField{
		field("location", "设置地点", "Location", FieldAddress, true),
		field("area", "广告面积（平方米）", "Area (m²)", FieldNumber, true),
		field("duration_months", "设置期限（月）", "Duration (months)", FieldNumber, true),
		field("lighted", "是否为电子屏或灯光设施", "Illuminated", FieldBool, false),
	}
	items = append(items, it)

	it = mk("990102-XK-302", "城市道路占用、挖掘审批", "占道挖掘", deptUrban, TypeLicensing,
		"《城市道路管理条例》第二十九条、第三十条、第三十一条",
		"因工程建设确需挖掘或临时占用城市道路，已制定交通疏导和安全施工方案。", 20, 5)
	it.CertificateType = CertRoadDig
	it.Materials = []Material{
		mat("城市道路占用、挖掘申请表", ClassRequired, ""),
		mat("占用、挖掘位置平面图和施工方案", ClassRequired, ""),
		mat("交通疏导方案", ClassShortfall, "涉及交通的，可容缺受理，开工前补交"),
	}
	items = append(items, it)

	it = mk("990102-XK-303", "店招标牌设置", "店招审批", deptUrban, TypeLicensing,
		"《城市市容和环境卫生管理条例》第十一条；《云澜市市容和环境卫生管理条例》",
		"在本单位建筑物外立面设置店招标牌，一店一招，规格和样式符合店招标牌设置导则。", 10, 3)
	it.Materials = []Material{
		mat("店招标牌设置申请表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		mat("店招标牌效果图", ClassRequired, "标明尺寸、材质和安装位置"),
	}
	it.Fields = []FormField{
		field("location", "设置地点", "Location", FieldAddress, true),
		field("area", "店招面积（平方米）", "Area (m²)", FieldNumber, true),
		field("lighted", "是否带灯光", "Illuminated", FieldBool, true),
	}
	it.Rule = &ApprovalRule{Expr: `form.area <= 10.0 && !form.lighted`, Examples: []RuleExample{
		{Name: "8 平方米、不带灯光", Form: map[string]string{"area": "8", "lighted": "false"}, Want: true},
		{Name: "带灯光", Form: map[string]string{"area": "8", "lighted": "true"}, Want: false},
		{Name: "超过 10 平方米", Form: map[string]string{"area": "12.5", "lighted": "false"}, Want: false},
	}}
	items = append(items, it)

	it = mk("990102-XK-304", "城市建筑垃圾处置核准", "", deptUrban, TypeLicensing,
		"《城市建筑垃圾管理规定》第七条；《国务院对确需保留的行政审批项目设定行政许可的决定》第 101 项",
		"有建筑垃圾分类处置方案和资源化利用措施，运输车辆具备全密闭运输机械装置。", 20, 5)
	it.CertificateType = CertWaste
	it.Materials = []Material{
		mat("建筑垃圾处置核准申请表", ClassRequired, ""),
		mat("建筑垃圾处置方案", ClassRequired, ""),
		mat("与运输单位签订的运输合同", ClassShortfall, "可容缺受理，5 个工作日内补交"),
	}
	items = append(items, it)

	// 生态环境 (市)
	it = mk("990100-XK-401", "排污许可证核发", "排污许可", deptEco, TypeLicensing,
		"《排污许可管理条例》第二条、第十一条",
		"依法需要取得排污许可证的企业事业单位和其他生产经营者，污染物排放符合排放标准和重点污染物排放总量控制要求。", 20, 10)
	it.CertificateType = CertPollutant
	it.Materials = []Material{
		mat("排污许可证申请表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		mat("自行监测方案", ClassRequired, ""),
		mat("建设项目环境影响评价批复文件", ClassRequired, ""),
	}
	items = append(items, it)

	it = mk("990100-XK-402", "建设项目环境影响报告表审批", "环评审批", deptEco, TypeLicensing,
		"《中华人民共和国环境影响评价法》第二十二条；《建设项目环境保护管理条例》第九条",
		"建设项目依法应当编制环境影响报告表，且符合生态环境保护法律法规和相关规划。", 30, 10)
	it.Commitment = true
	it.Materials = []Material{
		mat("建设项目环境影响报告表审批申请书", ClassRequired, ""),
		mat("建设项目环境影响报告表", ClassRequired, "由具备能力的技术单位编制"),
		{Name: "公众参与说明", Class: ClassOptional, CommitmentReplaceable: true},
	}
	items = append(items, it)

	it = mk("990100-XK-403", "危险废物经营许可", "", deptEco, TypeLicensing,
		"《中华人民共和国固体废物污染环境防治法》第八十条；《危险废物经营许可证管理办法》第五条",
		"有符合要求的技术人员、运输工具、包装和贮存设施，以及处置设施和污染防治措施。", 20, 15)
	it.CertificateType = CertHazardousWaste
	it.Online = false
	it.Materials = []Material{
		mat("危险废物经营许可证申请书", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		mat("技术人员的职称证明", ClassRequired, ""),
		mat("危险废物处置设施的环境影响评价批复", ClassRequired, ""),
		mat("突发环境事件应急预案", ClassShortfall, "可容缺受理，20 个工作日内补交"),
	}
	items = append(items, it)
	return items
}

// SeedDemo creates and publishes the demo catalogue of 云澜市: twenty items
// of five departments. departments maps demo department codes (as in
// internal/demo: LJ-SCJG, YL-WJW, YL-ZJ, LJ-CGJ, YL-SHJ; see
// SeedDepartments) to their ids. It writes through the service as the
// system actor, so the items are validated and audited like any other.
func SeedDemo(ctx context.Context, m *Module, departments map[string]int64) error {
	return seedDrafts(ctx, m, departments, SeedDepartments, demoItems(departments))
}

// seedDrafts creates and publishes drafts as the system actor, after
// checking that the departments they need are there.
func seedDrafts(ctx context.Context, m *Module, departments map[string]int64, need []string, drafts []Draft) error {
	for _, code := range need {
		if departments[code] == 0 {
			return fmt.Errorf("catalog: seed: department %s missing", code)
		}
	}
	sys := auth.System()
	for _, d := range drafts {
		it, err := m.Create(ctx, sys, d)
		if err != nil {
			return fmt.Errorf("catalog: seed %s: %w", d.Code, err)
		}
		if _, err := m.Publish(ctx, sys, it.ID, 0); err != nil {
			return fmt.Errorf("catalog: seed publish %s: %w", d.Code, err)
		}
	}
	return nil
}
