package demo

import "github.com/yingshang/yingshang/internal/auth"

// Password is the password of every demo account. The demo prints it; it is
// never used outside a demo database. It passes auth.CheckPassword like any
// other; the demo accounts are not asked to change it at first sign-in
// (seeded passwords are not an administrator's choice for a person).
const Password = "Yunlan@2026"

// The fictional province and city of the demo. Code 99 is not assigned to
// any real province in GB/T 2260, so demo data can never be mistaken for a
// real place.
var regions = []struct{ code, name, nameEN, parent string }{
	{"990000", "澜江省", "Lanjiang Province", ""},
	{"990100", "云澜市", "Yunlan City", "990000"},
	{"990102", "临江区", "Linjiang District", "990100"},
	{"990103", "青山区", "Qingshan District", "990100"},
	{"990104", "新港区", "Xingang District", "990100"},
}

// CityCode is the region of the demo city.
const CityCode = "990100"

var departments = []struct{ code, name, nameEN, region string }{
	{"YL-ZWFW", "云澜市政务服务管理局", "Yunlan Government Services Administration", "990100"},
	{"YL-12345", "云澜市12345政务服务便民热线中心", "Yunlan 12345 Hotline Centre", "990100"},
	{"YL-SCJG", "云澜市市场监督管理局", "Yunlan Market Regulation Bureau", "990100"},
	{"YL-ZJ", "云澜市住房和城乡建设局", "Yunlan Housing and Urban-Rural Development Bureau", "990100"},
	{"YL-WJW", "云澜市卫生健康委员会", "Yunlan Health Commission", "990100"},
	{"YL-SHJ", "云澜市生态环境局", "Yunlan Ecology and Environment Bureau", "990100"},
	{"YL-SW", "国家税务总局云澜市税务局", "Yunlan Tax Service, STA", "990100"},
	{"YL-RS", "云澜市人力资源和社会保障局", "Yunlan Human Resources and Social Security Bureau", "990100"},
	{"YL-YB", "云澜市医疗保障局", "Yunlan Healthcare Security Bureau", "990100"},
	{"YL-GJJ", "云澜市住房公积金管理中心", "Yunlan Housing Provident Fund Centre", "990100"},
	{"YL-GA", "云澜市公安局", "Yunlan Public Security Bureau", "990100"},
	{"YL-JT", "云澜市交通运输局", "Yunlan Transport Bureau", "990100"},
	{"YL-SFJ", "云澜市司法局", "Yunlan Justice Bureau", "990100"},
	{"YL-FGW", "云澜市发展和改革委员会", "Yunlan Development and Reform Commission", "990100"},
	{"YL-KJJ", "云澜市科学技术局", "Yunlan Science and Technology Bureau", "990100"},
	{"YL-GXJ", "云澜市工业和信息化局", "Yunlan Industry and Information Technology Bureau", "990100"},
	{"LJ-ZWZX", "临江区政务服务中心", "Linjiang Government Service Centre", "990102"},
	{"LJ-SCJG", "临江区市场监督管理局", "Linjiang Market Regulation Bureau", "990102"},
	{"LJ-CGJ", "临江区城市管理局", "Linjiang Urban Management Bureau", "990102"},
	{"LJ-SFJ", "临江区司法局", "Linjiang Justice Bureau", "990102"},
	{"QS-ZWZX", "青山区政务服务中心", "Qingshan Government Service Centre", "990103"},
	{"QS-SCJG", "青山区市场监督管理局", "Qingshan Market Regulation Bureau", "990103"},
	{"QS-CGJ", "青山区城市管理局", "Qingshan Urban Management Bureau", "990103"},
	{"XG-ZWZX", "新港区政务服务中心", "Xingang Government Service Centre", "990104"},
	{"XG-SCJG", "新港区市场监督管理局", "Xingang Market Regulation Bureau", "990104"},
}

// Account is one demo sign-in, printed by the demo command.
type Account struct {
	Username string
	Role     auth.Role
	Name     string
	Note     string
}

// accounts lists the demo users, one or more per role. depts names
// departments by code.
var accounts = []struct {
	username, name string
	roles          []auth.Role
	region         string
	depts          []string
	uscc           bool // acts for the demo enterprise
	citizenID      string
	phone          string
	note           string
}{
	{"admin", "系统管理员 王敏", []auth.Role{auth.RoleAdmin}, "990100", nil, false, "", "13800000009", "云澜市 / city"},
	{"zhangsan", "张三", []auth.Role{auth.RoleCitizen}, "990102", nil, false, "citizen", "13800000001", "临江区居民 / resident"},
	{"yunlan_food", "云澜味道餐饮有限公司 李娜", []auth.Role{auth.RoleEnterprise}, "990102", nil, true, "", "13800000002", "企业 / enterprise"},
	{"clerk_lj", "窗口 陈静", []auth.Role{auth.RoleClerk}, "990102", []string{"LJ-ZWZX"}, false, "", "", "临江区政务服务中心"},
	{"clerk_qs", "窗口 黄敏", []auth.Role{auth.RoleClerk}, "990103", []string{"QS-ZWZX"}, false, "", "", "青山区政务服务中心"},
	{"operator", "坐席 刘洋", []auth.Role{auth.RoleOperator}, "990100", []string{"YL-12345"}, false, "", "", "12345 热线中心"},
	{"dispatcher", "派单 赵磊", []auth.Role{auth.RoleDispatcher}, "990100", []string{"YL-12345"}, false, "", "", "12345 热线中心"},
	{"handler_scj", "承办 孙丽", []auth.Role{auth.RoleHandler}, "990102", []string{"LJ-SCJG"}, false, "", "13800000011", "临江区市场监管局"},
	{"handler_cgj", "承办 周强", []auth.Role{auth.RoleHandler}, "990102", []string{"LJ-CGJ", "LJ-SCJG"}, false, "", "13800000012", "临江区城管局 + 市场监管局"},
	{"handler_qs", "承办 吴刚", []auth.Role{auth.RoleHandler}, "990103", []string{"QS-SCJG"}, false, "", "", "青山区市场监管局"},
	{"approver_scj", "审批 郑华", []auth.Role{auth.RoleApprover}, "990102", []string{"LJ-SCJG"}, false, "", "", "临江区市场监管局"},
	{"inspector_scj", "执法 马骏", []auth.Role{auth.RoleInspector}, "990102", []string{"LJ-SCJG"}, false, "", "", "临江区市场监管局执法人员"},
	{"inspector_scj2", "执法 林涛", []auth.Role{auth.RoleInspector}, "990102", []string{"LJ-SCJG"}, false, "", "", "临江区市场监管局执法人员"},
	{"inspector_cgj", "执法 何平", []auth.Role{auth.RoleInspector}, "990102", []string{"LJ-CGJ"}, false, "", "", "临江区城管局执法人员"},
	{"legal_scj", "法制审核 唐宁", []auth.Role{auth.RoleLegal}, "990102", []string{"LJ-SCJG"}, false, "", "", "临江区市场监管局法制审核"},
	{"legal_sfj", "法制审核 宋雨", []auth.Role{auth.RoleLegal}, "990100", []string{"YL-SFJ"}, false, "", "", "云澜市司法局"},
	{"policy_kjj", "政策 冯欣", []auth.Role{auth.RoleHandler}, "990100", []string{"YL-KJJ"}, false, "", "", "云澜市科技局（惠企政策）"},
	{"supervisor", "督办 钱峰", []auth.Role{auth.RoleSupervisor}, "990100", nil, false, "", "", "云澜市政务服务管理局"},
}
