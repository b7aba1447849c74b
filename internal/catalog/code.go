package catalog

import (
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/ids"
)

// Item codes (事项编码). The reference names GB/T 39554.1-2020 for item
// codes (../shared/reference/credit-and-inspection.md) but does not give
// the standard's code structure or say whether it has a check character,
// and the seeds say nothing either. So the catalogue encodes and checks
// what it does know, and no more: a code is three parts,
//
//	990102-XK-001
//	│      │  └ serial, 3 to 6 digits, unique within the region
//	│      └ the item type's letters (typeLetters, below)
//	└ the owning department's region, a GB/T 2260 code
//
// The region is checked as a GB/T 2260 code and against the department's
// region, the letters against the item's type. No check character is
// computed, because none is known. The letters are this platform's local
// scheme (the pinyin initials of the type's name), not the standard's;
// when the standard's text is at hand, its structure replaces this one.
type ItemCode struct {
	Region  string // GB/T 2260 administrative division code
	Letters string // the item type's letters, e.g. XK for 行政许可
	Serial  string // the item's serial number in its region
}

// typeLetters are the local letters of each item type in item codes.
var typeLetters = map[ItemType]string{
	TypeLicensing: "XK", TypeConfirmation: "QR", TypePayment: "JF", TypeAdjudication: "CJ", TypeReward: "JL",
	TypeCollection: "ZS", TypeFiling: "BA", TypeOtherPower: "QT", TypePublicService: "GG",
}

// Letters returns the letters item codes of type t carry, "" when t is
// unknown.
func (t ItemType) Letters() string { return typeLetters[t] }

// ParseItemCode splits a code of the form REGION-LETTERS-SERIAL into its
// parts and checks the region as a GB/T 2260 code and the letters as those
// of a known item type.
func ParseItemCode(code string) (ItemCode, error) {
	if !codePattern.MatchString(code) {
		return ItemCode{}, fmt.Errorf("catalog: item code %q: not REGION-LETTERS-SERIAL", code)
	}
	parts := strings.SplitN(code, "-", 3)
	c := ItemCode{Region: parts[0], Letters: parts[1], Serial: parts[2]}
	if err := ids.ValidateRegionCode(c.Region); err != nil {
		return c, fmt.Errorf("catalog: item code %q: region %s: %w", code, c.Region, err)
	}
	if _, ok := c.Type(); !ok {
		return c, fmt.Errorf("catalog: item code %q: letters %s name no item type", code, c.Letters)
	}
	return c, nil
}

// Type returns the item type c's letters stand for.
func (c ItemCode) Type() (ItemType, bool) {
	for t, l := range typeLetters {
		if l == c.Letters {
			return t, true
		}
	}
	return "", false
}
