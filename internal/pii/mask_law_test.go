package pii

import "testing"

// Masking as shown to anyone but the person who wrote the number: an ID
// keeps its first 3 and last 4 characters, a phone its first 3 and last 4
// digits; in free text every mobile prefix 13x–19x is masked, 16–19 digit
// runs are bank cards only when they pass the Luhn check, and the hotline's
// own 19-digit order numbers stay readable.
func TestMaskingRules(t *testing.T) {
	if got := MaskID("99010219900307123X"); got != "990***********123X" {
		t.Errorf("MaskID = %s", got)
	}
	if got := MaskPhone("19912345678"); got != "199****5678" {
		t.Errorf("MaskPhone = %s", got)
	}
	cases := map[string]string{
		"来电 19912345678 反映":        "来电 199****5678 反映",
		"卡号6222020200112233445已冻结": "卡号6222020200112233445已冻结", // fails Luhn: not a card
		"卡号4111111111111111已冻结":    "卡号4111********1111已冻结",
		"工单1234520260930000000已办结": "工单1234520260930000000已办结", // passes Luhn, still an order number
	}
	for in, want := range cases {
		if got := MaskText(in); got != want {
			t.Errorf("MaskText(%q) = %q, want %q", in, got, want)
		}
	}
}
