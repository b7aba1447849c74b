package ids

import (
	"errors"
	"testing"
)

// GB 11643-1999: positions 7–14 are the date of birth, so a number
// born in the future, or before 1900, is no resident's number, however
// well its check character (ISO 7064 MOD 11-2) matches.
func TestCitizenIDBirthDateGB11643(t *testing.T) {
	cases := map[string]error{
		"990102209901010017": ErrBirth,  // born 2099-01-01: in the future
		"99010218991231001X": ErrBirth,  // born 1899-12-31: before 1900
		"990102190001010014": nil,       // born 1900-01-01
		"990102202601010013": nil,       // born 2026-01-01
		"000102199003071234": ErrRegion, // no region starts with 0
	}
	for id, want := range cases {
		if err := ValidateCitizenID(id); !errors.Is(err, want) {
			t.Errorf("ValidateCitizenID(%s) = %v, want %v", id, err, want)
		}
	}
}

// GB 32100-2015: the check character is 31 − (Σ Ci×Wi mod 31),
// where 31 stands for 0; computed by hand for these bodies.
func TestUSCCCheckCharacterGB32100(t *testing.T) {
	for body, want := range map[string]byte{
		"91990102MA01YL8A6": '0', // Σ mod 31 = 0: the check is 0, not 31
		"91990102MA01YL8AG": 'Y',
		"91350100M000100Y4": '3',
	} {
		if got := USCCCheck(body); got != want {
			t.Errorf("USCCCheck(%s) = %c, want %c", body, got, want)
		}
	}
	if err := ValidateUSCC("91990102MA01YL8A60"); err != nil {
		t.Errorf("a code whose check is 0: %v", err)
	}
	if err := ValidateUSCC("9199A102MA01YL8A60"); !errors.Is(err, ErrRegion) {
		t.Errorf("a letter in the GB/T 2260 region part: %v, want ErrRegion", err)
	}
}

// GB 11643-1999 (ISO 7064 MOD 11-2): the check is (12 − Σ ai×Wi mod 11) mod 11, 10
// written X; these numbers were computed by hand.
func TestCitizenIDCheckGB11643(t *testing.T) {
	for body, want := range map[string]byte{
		"99010218991231001": 'X',
		"99010219000101001": '4',
		"99010220260101001": '3',
		"11010519491231002": 'X',
		"44052419800101001": '3',
	} {
		if got := CitizenIDCheck(body); got != want {
			t.Errorf("CitizenIDCheck(%s) = %c, want %c", body, got, want)
		}
	}
}

// GB/T 2260: a prefecture-level code XXYY00 contains exactly the codes
// XXYY…, not the other cities of its province.
func TestRegionContainsGBT2260(t *testing.T) {
	if RegionContains("990100", "990202") {
		t.Error("city 990100 contains 990202 of another city")
	}
	if !RegionContains("990100", "990102") || !RegionContains("990000", "990202") {
		t.Error("containment by prefix broken")
	}
	if ValidateRegionCode("000100") == nil {
		t.Error("region 000100 accepted")
	}
}
