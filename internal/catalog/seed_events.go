package catalog

import "context"

// The items behind the national 高效办成一件事 key matters that the demo
// city offers as bundles (国办发〔2024〕3号 and its yearly lists): 企业信息变更,
// 开办运输企业, 新生儿出生, 退休 and 经营主体注销登记. 开办餐饮店 uses the
// market-regulation and health items of SeedDemo. Each item carries the
// legal basis of its department's own procedure, so that a bundle merges
// real forms and materials: the business licence or identity certificate
// asked for once, the shared fields filled once.

// CertRoadTransport is the certificate of the road-transport licence.
const CertRoadTransport = "CT-DLYS" // 道路运输经营许可证

// Departments of the event items, beyond SeedDepartments (internal/demo).
const (
	deptTax       = "YL-SW"  // 国家税务总局云澜市税务局
	deptHR        = "YL-RS"  // 云澜市人力资源和社会保障局
	deptMedical   = "YL-YB"  // 云澜市医疗保障局
	deptFund      = "YL-GJJ" // 云澜市住房公积金管理中心
	deptPolice    = "YL-GA"  // 云澜市公安局
	deptTransport = "YL-JT"  // 云澜市交通运输局
)

// EventDepartments lists the department codes SeedEventItems needs.
var EventDepartments = []string{deptMarket, deptHealth, deptTax, deptHR, deptMedical, deptFund, deptPolice, deptTransport}

// The event items' codes, for the bundles that use them.
const (
	ItemEnterpriseChange   = "990102-XK-005" // 企业变更登记
	ItemEnterpriseSetup    = "990102-XK-006" // 企业设立登记
	ItemEnterpriseDereg    = "990102-XK-007" // 企业注销登记
	ItemTaxChange          = "990100-GG-501" // 税务登记信息变更
	ItemInvoice            = "990100-GG-502" // 新办纳税人发票领用
	ItemTaxClearance       = "990100-GG-503" // 清税证明开具
	ItemSocialChange       = "990100-GG-601" // 社会保险单位信息变更登记
	ItemSocialRegister     = "990100-GG-602" // 单位社会保险登记
	ItemSocialCardNewborn  = "990100-GG-603" // 新生儿社会保障卡申领
	ItemPension            = "990100-GG-604" // 职工基本养老保险待遇申领
	ItemSocialDereg        = "990100-GG-605" // 单位社会保险注销登记
	ItemFundChange         = "990100-GG-701" // 住房公积金单位登记信息变更
	ItemFundRegister       = "990100-GG-702" // 住房公积金单位缴存登记
	ItemFundRetire         = "990100-GG-703" // 住房公积金退休提取
	ItemMedicalNewborn     = "990100-GG-801" // 新生儿城乡居民医保参保登记
	ItemMedicalRetire      = "990100-GG-802" // 职工医保退休人员待遇核定
	ItemHousehold          = "990100-GG-901" // 出生登记（申报户口）
	ItemSeal               = "990100-BA-902" // 印章刻制备案 (行政备案: BA)
	ItemVaccination        = "990100-GG-102" // 预防接种证办理
	ItemBirthCertificate   = "990100-GG-101" // 出生医学证明签发 (SeedDemo)
	ItemRoadFreightLicence = "990100-XK-501" // 道路货物运输经营许可
)

// Fields shared by several event items: the same key, type and options,
// so that a bundle asks once.
var (
	fUSCC        = field("uscc", "统一社会信用代码", "USCC", FieldUSCC, true)
	fChangeItems = field("change_items", "变更事项", "What changes", FieldChoice, true,
		"名称", "住所", "法定代表人", "注册资本", "经营范围", "联系人及电话")
	fChangeDetail  = field("change_detail", "变更前后内容", "Before and after", FieldText, true)
	fEntName       = field("enterprise_name", "企业名称", "Enterprise name", FieldText, true)
	fLegalRep      = field("legal_representative", "法定代表人", "Legal representative", FieldText, true)
	fLegalRepID    = field("legal_rep_id", "法定代表人身份证号", "Legal representative's ID number", FieldIDNumber, true)
	fStaffCount    = field("staff_count", "职工人数", "Employees", FieldNumber, true)
	fBabyName      = field("baby_name", "新生儿姓名", "Baby's name", FieldText, true)
	fBabyGender    = field("baby_gender", "新生儿性别", "Baby's sex", FieldChoice, true, "男", "女")
	fBirthDate     = field("birth_date", "出生日期", "Date of birth", FieldDate, true)
	fGuardianName  = field("guardian_name", "监护人姓名", "Guardian", FieldText, true)
	fGuardianID    = field("guardian_id", "监护人身份证号", "Guardian's ID number", FieldIDNumber, true)
	fGuardianPhone = field("guardian_phone", "监护人手机号", "Guardian's mobile", FieldPhone, true)
	fPersonName    = field("person_name", "姓名", "Name", FieldText, true)
	fPersonID      = field("person_id", "身份证号", "ID number", FieldIDNumber, true)
	fRetireDate    = field("retire_date", "退休日期", "Retirement date", FieldDate, true)
	fBankAccount   = field("bank_account", "本人社会保障卡银行账户", "Bank account of the social security card", FieldText, true)
)

func eventItems(dept map[string]int64) []Draft {
	at := func(code, name, short, d string, t ItemType, basis, cond string, legal, promised int) Draft {
		hall := cityHall + "综合受理窗口"
		if d == deptMarket {
			hall = ljHall + "综合受理窗口"
		}
		return Draft{Code: code, Name: name, ShortName: short, DepartmentID: dept[d], Type: t, LegalBasis: basis,
			Conditions: cond, LegalLimitDays: legal, PromisedLimitDays: promised, Online: true,
			Window: Window{Address: hall, Hours: hours, Phone: "0990-12345"}}
	}
	var items []Draft
	add := func(d Draft, fields []FormField, materials ...Material) {
		d.Fields, d.Materials = fields, materials
		items = append(items, d)
	}

	// 企业信息变更一件事
	d := at(ItemEnterpriseChange, "企业变更登记", "企业变更", deptMarket, TypeLicensing,
		"《中华人民共和国市场主体登记管理条例》第二十四条；《中华人民共和国市场主体登记管理条例实施细则》第三十一条",
		"企业登记事项发生变更，自作出变更决议、决定或者法定变更事项发生之日起 30 日内申请变更登记。", 3, 1)
	d.CertificateType = CertBusinessLicence
	d.ReviewStandard = "申请材料齐全、符合法定形式的，予以变更登记；变更涉及营业执照载明事项的，换发营业执照。"
	add(d, []FormField{fUSCC, fChangeItems, fChangeDetail},
		mat("企业变更登记（备案）申请书", ClassRequired, "法定代表人签署"),
		shared("营业执照", CertBusinessLicence),
		mat("变更决议或者决定", ClassRequired, "股东会决议、董事会决议或者股东决定"),
		mat("章程修正案", ClassOptional, "变更事项涉及章程的提交"))
	add(at(ItemTaxChange, "税务登记信息变更", "", deptTax, TypePublicService,
		"《中华人民共和国税收征收管理法》第十六条；《税务登记管理办法》第二十条",
		"纳税人税务登记内容发生变化，自市场监管部门变更登记之日起 30 日内向税务机关申报办理变更税务登记。", 1, 1),
		[]FormField{fUSCC, fChangeItems, fChangeDetail},
		mat("变更税务登记表", ClassRequired, "可由市场监管部门共享的变更信息自动生成"),
		shared("营业执照", CertBusinessLicence))
	add(at(ItemSocialChange, "社会保险单位信息变更登记", "", deptHR, TypePublicService,
		"《中华人民共和国社会保险法》第五十七条第二款；《社会保险费征缴暂行条例》第九条",
		"用人单位的社会保险登记事项发生变更，自变更之日起 30 日内办理变更社会保险登记。", 5, 1),
		[]FormField{fUSCC, fChangeItems, fChangeDetail},
		mat("社会保险单位信息变更登记表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence))
	add(at(ItemFundChange, "住房公积金单位登记信息变更", "", deptFund, TypePublicService,
		"《住房公积金管理条例》第十四条；《住房公积金归集业务标准》",
		"单位名称、地址、法定代表人等登记信息发生变化的，自变化之日起 30 日内办理变更登记。", 5, 1),
		[]FormField{fUSCC, fChangeItems, fChangeDetail},
		mat("住房公积金单位信息变更申请表", ClassRequired, "加盖单位公章"),
		shared("营业执照", CertBusinessLicence))

	// 开办运输企业一件事
	d = at(ItemEnterpriseSetup, "企业设立登记", "企业开办", deptMarket, TypeLicensing,
		"《中华人民共和国市场主体登记管理条例》第三条、第十九条；《中华人民共和国公司法》第二十九条",
		"有符合规定的名称、住所、法定代表人和注册资本，公司章程符合《公司法》规定，经营范围不属于禁止的项目。", 3, 1)
	d.CertificateType = CertBusinessLicence
	d.ReviewStandard = "申请材料齐全、符合法定形式的，予以确认并当场登记；不能当场登记的，3 个工作日内予以登记。"
	add(d, []FormField{fEntName, fLegalRep, fLegalRepID,
		field("capital", "注册资本（万元）", "Registered capital (10,000 yuan)", FieldNumber, true),
		field("premises", "住所", "Domicile", FieldAddress, true),
		field("scope", "经营范围", "Business scope", FieldText, true)},
		mat("公司登记（备案）申请书", ClassRequired, "法定代表人签署"),
		mat("公司章程", ClassRequired, "全体股东签署"),
		shared("法定代表人身份证明", CertIDCard),
		mat("住所使用证明", ClassShortfall, "房屋产权证明或租赁协议；可容缺受理，5 个工作日内补交"))
	d = at(ItemRoadFreightLicence, "道路货物运输经营许可", "货运经营许可", deptTransport, TypeLicensing,
		"《中华人民共和国道路运输条例》第二十一条、第二十四条；《道路货物运输及站场管理规定》第六条、第十一条",
		"有与其经营业务相适应并经检测合格的车辆；有符合规定条件的驾驶人员；有健全的安全生产管理制度。", 20, 10)
	d.CertificateType = CertRoadTransport
	d.ReviewStandard = "审查车辆技术条件、驾驶人员从业资格和安全生产管理制度；符合条件的，核发道路运输经营许可证，并为车辆配发道路运输证。"
	add(d, []FormField{fEntName, fLegalRep,
		field("vehicle_count", "营运车辆数（辆）", "Vehicles", FieldNumber, true),
		field("cargo_type", "经营范围", "Kind of freight", FieldChoice, true, "普通货运", "货物专用运输", "大型物件运输")},
		mat("道路货物运输经营申请表", ClassRequired, ""),
		shared("法定代表人身份证明", CertIDCard),
		mat("机动车辆行驶证、车辆技术等级评定结论", ClassRequired, "拟投入车辆承诺书可替代，取得许可后补交"),
		mat("驾驶人员从业资格证", ClassRequired, ""),
		mat("安全生产管理制度文本", ClassShortfall, "可容缺受理，10 个工作日内补交"))
	add(at(ItemSeal, "印章刻制备案", "公章刻制", deptPolice, TypeFiling,
		"《国务院关于第三批取消中央指定地方实施行政许可事项的决定》（国发〔2016〕10号）；《印铸刻字业暂行管理规则》",
		"新设立的企业刻制公章，由刻制单位向公安机关备案；企业可自主选择刻制单位。", 1, 1),
		[]FormField{fEntName, fLegalRep,
			field("seal_set", "刻制印章", "Seals", FieldChoice, true, "公章、财务专用章、发票专用章", "公章、财务专用章、发票专用章、合同专用章")},
		shared("法定代表人身份证明", CertIDCard),
		mat("印章刻制备案表", ClassRequired, "系统根据设立登记信息生成"))
	add(at(ItemInvoice, "新办纳税人发票领用", "", deptTax, TypePublicService,
		"《中华人民共和国发票管理办法》第十五条；《国家税务总局关于新办纳税人首次申领增值税发票有关事项的公告》",
		"依法办理登记的新办纳税人，首次申领发票的，税务机关于 1 个工作日内办结。", 1, 1),
		[]FormField{fEntName, fLegalRep,
			field("invoice_type", "发票种类", "Invoice type", FieldChoice, true, "数电发票（普通发票）", "数电发票（增值税专用发票）")},
		shared("法定代表人身份证明", CertIDCard),
		mat("发票领用申请表", ClassRequired, ""))
	add(at(ItemSocialRegister, "单位社会保险登记", "", deptHR, TypePublicService,
		"《中华人民共和国社会保险法》第五十七条；《社会保险登记管理暂行办法》",
		"用人单位自成立之日起 30 日内凭营业执照申请办理社会保险登记。", 5, 1),
		[]FormField{fEntName, fStaffCount},
		mat("社会保险登记表", ClassRequired, ""))
	add(at(ItemFundRegister, "住房公积金单位缴存登记", "", deptFund, TypePublicService,
		"《住房公积金管理条例》第十四条、第十五条",
		"新设立的单位自设立之日起 30 日内办理住房公积金缴存登记，并为本单位职工办理住房公积金账户设立手续。", 5, 1),
		[]FormField{fEntName, fStaffCount},
		mat("住房公积金单位缴存登记表", ClassRequired, "加盖单位公章"))

	// 新生儿出生一件事
	add(at(ItemVaccination, "预防接种证办理", "", deptHealth, TypePublicService,
		"《中华人民共和国疫苗管理法》第四十七条；《预防接种工作规范》",
		"儿童出生后 1 个月内，其监护人到儿童居住地承担预防接种工作的接种单位或者出生医院为其办理预防接种证。", 1, 1),
		[]FormField{fBabyName, fBabyGender, fBirthDate, fGuardianName, fGuardianPhone},
		shared("出生医学证明", CertBirth),
		shared("监护人身份证明", CertIDCard))
	add(at(ItemHousehold, "出生登记（申报户口）", "新生儿落户", deptPolice, TypePublicService,
		"《中华人民共和国户口登记条例》第七条",
		"婴儿出生后一个月以内，由户主、亲属、抚养人或者邻居向婴儿常住地户口登记机关申报出生登记。", 5, 3),
		[]FormField{fBabyName, fBabyGender, fBirthDate, fGuardianName, fGuardianID},
		shared("出生医学证明", CertBirth),
		shared("监护人身份证明", CertIDCard),
		mat("居民户口簿", ClassRequired, "随父或随母落户一方的户口簿"),
		mat("结婚证", ClassOptional, "非婚生育的无须提交"))
	add(at(ItemMedicalNewborn, "新生儿城乡居民基本医疗保险参保登记", "新生儿参保", deptMedical, TypePublicService,
		"《中华人民共和国社会保险法》第二十五条；《国家医保局 财政部 国家税务总局关于做好城乡居民基本医疗保障工作的通知》",
		"新生儿出生后 90 日内参保缴费的，自出生之日起享受城乡居民基本医疗保险待遇。", 5, 1),
		[]FormField{fBabyName, fBirthDate, fGuardianName, fGuardianID},
		shared("出生医学证明", CertBirth),
		mat("户口簿本人页", ClassShortfall, "落户后可容缺补交"))
	add(at(ItemSocialCardNewborn, "新生儿社会保障卡申领", "", deptHR, TypePublicService,
		"《中华人民共和国社会保险法》第五十八条；《社会保障卡管理办法》",
		"参保的新生儿由监护人代为申领社会保障卡，可同步申领电子社会保障卡。", 10, 5),
		[]FormField{fBabyName, fGuardianName, fGuardianID, fGuardianPhone},
		shared("监护人身份证明", CertIDCard),
		mat("新生儿近期免冠照片", ClassOptional, "不提交的，制发无照片社会保障卡"))

	// 退休一件事
	add(at(ItemPension, "职工基本养老保险待遇申领", "退休申领养老金", deptHR, TypePublicService,
		"《中华人民共和国社会保险法》第十六条；《国务院关于渐进式延迟法定退休年龄的办法》",
		"达到法定退休年龄、累计缴费满规定年限的参保人员，按月领取基本养老金。", 10, 5),
		[]FormField{fPersonName, fPersonID, fRetireDate, fBankAccount},
		shared("本人身份证明", CertIDCard),
		mat("职工基本养老保险待遇申领表", ClassRequired, "单位或本人填写"))
	add(at(ItemMedicalRetire, "职工医保退休人员待遇核定", "", deptMedical, TypePublicService,
		"《中华人民共和国社会保险法》第二十七条",
		"参加职工基本医疗保险的个人，达到法定退休年龄时累计缴费达到规定年限的，退休后不再缴纳基本医疗保险费，按照国家规定享受基本医疗保险待遇。", 10, 5),
		[]FormField{fPersonName, fPersonID, fRetireDate},
		shared("本人身份证明", CertIDCard))
	add(at(ItemFundRetire, "住房公积金退休提取", "", deptFund, TypePublicService,
		"《住房公积金管理条例》第二十四条第一款第（二）项",
		"职工离休、退休的，可以提取本人住房公积金账户内的存储余额，同时注销职工住房公积金账户。", 3, 3),
		[]FormField{fPersonName, fPersonID, fRetireDate, fBankAccount},
		shared("本人身份证明", CertIDCard),
		mat("退休证明", ClassShortfall, "养老保险待遇核定后由人社部门共享，可容缺受理"))

	// 经营主体注销登记一件事
	add(at(ItemEnterpriseDereg, "企业注销登记", "企业注销", deptMarket, TypeLicensing,
		"《中华人民共和国市场主体登记管理条例》第三十一条、第三十二条；《中华人民共和国公司法》第二百三十九条",
		"企业解散并依法完成清算的，清算组自清算结束之日起 30 日内申请注销登记；未发生或已清偿债权债务的，可适用简易注销。", 3, 1),
		[]FormField{fUSCC,
			field("reason", "注销原因", "Reason", FieldChoice, true, "股东会决议解散", "营业期限届满", "被吊销营业执照", "其他"),
			field("simplified", "适用简易注销", "Simplified deregistration", FieldBool, false)},
		mat("注销登记申请书", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence),
		mat("清算报告或者全体投资人承诺书", ClassRequired, "简易注销的提交承诺书"))
	add(at(ItemTaxClearance, "清税证明开具", "清税", deptTax, TypePublicService,
		"《中华人民共和国税收征收管理法》第十六条；《税务登记管理办法》第二十八条",
		"纳税人办理注销前，结清应纳税款、滞纳金、罚款，缴销发票，税务机关出具清税证明。", 3, 1),
		[]FormField{fUSCC},
		mat("清税申报表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence))
	add(at(ItemSocialDereg, "单位社会保险注销登记", "", deptHR, TypePublicService,
		"《中华人民共和国社会保险法》第五十七条；《社会保险登记管理暂行办法》第十七条",
		"用人单位依法终止的，自终止之日起 30 日内办理注销社会保险登记，注销前结清应缴社会保险费。", 5, 1),
		[]FormField{fUSCC},
		mat("社会保险注销登记表", ClassRequired, ""),
		shared("营业执照", CertBusinessLicence))
	return items
}

// SeedEventItems creates and publishes the event items, after SeedDemo.
// departments maps the codes of EventDepartments to their ids.
func SeedEventItems(ctx context.Context, m *Module, departments map[string]int64) error {
	return seedDrafts(ctx, m, departments, EventDepartments, eventItems(departments))
}
