package ids

import (
	"errors"
	"testing"
)

func TestUSCC(t *testing.T) {
	// Published codes of real enterprises and bodies (public registration data).
	valid := []string{
		"91350100M000100Y43",
		"91110000802100433B",
		"91440300708461136T",
		"11100000000013127D",
	}
	for _, c := range valid {
		if err := ValidateUSCC(c); err != nil {
			t.Errorf("ValidateUSCC(%s) = %v, want nil", c, err)
		}
	}
	bad := map[string]error{
		"91350100M000100Y44": ErrCheck, // last char changed
		"91350100M000100Y4":  ErrLength,
		"91350100M000I00Y43": ErrChar,   // I is not in the alphabet
		"9135A100M000100Y43": ErrRegion, // letter in the division code
		"913501000M00100Y43": ErrCheck,  // two characters swapped
	}
	for c, want := range bad {
		if err := ValidateUSCC(c); !errors.Is(err, want) {
			t.Errorf("ValidateUSCC(%s) = %v, want %v", c, err, want)
		}
	}
	if got := NormalizeUSCC(" 91350100m000100y43 "); ValidateUSCC(got) != nil {
		t.Errorf("normalized lower-case code rejected: %s", got)
	}
}

func TestCitizenID(t *testing.T) {
	// The worked example of GB 11643-1999 and a generated one ending in X.
	valid := []string{"11010519491231002X", "440524198001010013"}
	for _, c := range valid {
		if err := ValidateCitizenID(c); err != nil {
			t.Errorf("ValidateCitizenID(%s) = %v, want nil", c, err)
		}
	}
	bad := map[string]error{
		"110105194912310021": ErrCheck,
		"11010519491331002X": ErrBirth, // month 13
		"11010519491231002":  ErrLength,
		"1101051949123100AX": ErrChar,
	}
	for c, want := range bad {
		if err := ValidateCitizenID(c); !errors.Is(err, want) {
			t.Errorf("ValidateCitizenID(%s) = %v, want %v", c, err, want)
		}
	}
}

func TestRegions(t *testing.T) {
	if RegionLevel("330000") != 1 || RegionLevel("330100") != 2 || RegionLevel("330106") != 3 {
		t.Error("RegionLevel misclassifies")
	}
	cases := []struct {
		outer, inner string
		want         bool
	}{
		{"330000", "330106", true},
		{"330100", "330106", true},
		{"330100", "330206", false},
		{"330106", "330106", true},
		{"330106", "330108", false},
		{"330106", "330100", false},
	}
	for _, c := range cases {
		if got := RegionContains(c.outer, c.inner); got != c.want {
			t.Errorf("RegionContains(%s, %s) = %v", c.outer, c.inner, got)
		}
	}
	if ValidateMobile("13800138000") != nil || ValidateMobile("23800138000") == nil || ValidateMobile("1380013800") == nil {
		t.Error("ValidateMobile wrong")
	}
}
