package knowledge

import "strings"

// Category names one category code. The knowledge base files answers under
// the same six-digit codes, in the style of GB/T 39666-2020, as the hotline
// files work orders (two digits per level: XX0000 a domain, XXYY00 a field,
// XXYYZZ a matter), so an order's category can lead to its answers. The
// hotline's tree covers complaints; the matters under 070400 政务服务 below
// name the government services callers most often ask about.
type Category struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Categories are the codes the knowledge base names; an article may carry
// any six-digit code, shown by number when it is not listed here.
var Categories = []Category{
	{"010000", "城乡建设", "Urban and rural construction"},
	{"010100", "市容环卫", "City appearance and sanitation"},
	{"010101", "占道经营", "Street vending on the road"},
	{"010300", "物业管理", "Property management"},
	{"020000", "市场监管", "Market regulation"},
	{"020100", "食品安全", "Food safety"},
	{"020200", "消费维权", "Consumer rights"},
	{"030000", "劳动保障", "Labour and social security"},
	{"030100", "欠薪", "Unpaid wages"},
	{"030200", "社会保险", "Social insurance"},
	{"040000", "交通运输", "Transport"},
	{"050000", "生态环境", "Ecology and environment"},
	{"050100", "噪声污染", "Noise pollution"},
	{"060000", "卫生健康", "Health"},
	{"070000", "营商环境", "Business environment"},
	{"070400", "政务服务", "Government services"},
	{"070401", "办事效率", "Service efficiency"},
	{"070402", "企业开办", "Starting a business"},
	{"070403", "行政许可", "Licences and permits"},
	{"070404", "户籍证件", "Household registration and ID"},
	{"070405", "社保医保", "Social and medical insurance services"},
	{"070406", "住房公积金", "Housing provident fund"},
	{"070407", "不动产登记", "Real-estate registration"},
	{"070408", "出入境", "Exit and entry"},
	{"070409", "12345热线", "The 12345 hotline"},
}

// CategoryName returns the Chinese name of code, or code itself.
func CategoryName(code string) string {
	for _, c := range Categories {
		if c.Code == code {
			return c.Name
		}
	}
	return code
}

// categoryPrefix returns the LIKE prefix selecting code and the codes
// below it: 070000 → "07%", 070400 → "0704%", a matter itself.
func categoryPrefix(code string) string {
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2] + "%"
	case strings.HasSuffix(code, "00"):
		return code[:4] + "%"
	}
	return code
}
