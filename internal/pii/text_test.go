package pii

import "testing"

func TestMaskTextMasks(t *testing.T) {
	cases := []struct{ name, in, want string }{
		// The ID of the finding: the phone mask used to match inside it.
		{"id", "身份证号990103199001011233，请核实", "身份证号990***********1233，请核实"},
		{"id with X", "证件 11010519491231002X 已丢失", "证件 110***********002X 已丢失"},
		{"id lower x", "11010519491231002x", "110***********002X"},
		{"id grouped", "110105 19491231 002X", "110***********002X"},
		{"mobile", "联系电话13812345678", "联系电话138****5678"},
		{"mobile +86", "call +8613812345678 now", "call +86138****5678 now"},
		{"mobile +86 space", "+86 138 1234 5678", "+86 138****5678"},
		{"mobile dashes", "138-1234-5678。", "138****5678。"},
		{"mobile then house number", "电话13812345678 2号楼", "电话138****5678 2号楼"},
		{"two mobiles", "13812345678/13987654321", "138****5678/139****4321"},
		{"fixed beijing", "座机010-62345678", "座机010-****5678"},
		{"fixed 4-digit area", "0571-8888666", "0571-***8666"},
		{"fixed parentheses", "(0755)26543210", "0755-****3210"},
		{"fixed pure", "02062345678", "020-****5678"},
		{"bank card", "卡号6222021000123456781退款", "卡号6222***********6781退款"},
		{"bank card 16", "4111111111111111", "4111********1111"},
		{"bank card grouped", "6217 0012 3456 7893", "6217********7893"},
		{"id and phone", "张三 110105194912310021 电话 13912345678", "张三 110***********0021 电话 139****5678"},
	}
	for _, c := range cases {
		if got := MaskText(c.in); got != c.want {
			t.Errorf("%s: MaskText(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestMaskTextLeavesAlone(t *testing.T) {
	for _, s := range []string{
		"",
		"路灯不亮已经三天了",
		"2026-12-03 10:30 发现",
		"2026年12月3日",
		"20261203",
		// A hotline order number passes the Luhn check, yet is no card.
		"工单1234520261203000123已办结",
		"工单号 1234520261203000124",
		// Amounts, including ones with phone-like digits.
		"退款13812345678.50元",
		"金额 12,345.67 元",
		"3.13812345678",
		// A 19-digit number failing the Luhn check (an order or a waybill).
		"运单6222021000123456782",
		// A longer run holds a mobile number but is none.
		"编号138123456789012",
		// Not a date of birth: no ID.
		"991100007109290721",
		"邮编100000，12345热线",
		"门牌138号",
		"本地号码62345678",
	} {
		if got := MaskText(s); got != s {
			t.Errorf("MaskText(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestMaskTextIdempotent(t *testing.T) {
	s := "身份证990103199001011233 电话13812345678 卡6217001234567893"
	once := MaskText(s)
	if MaskText(once) != once {
		t.Errorf("masking twice changed %q to %q", once, MaskText(once))
	}
}
