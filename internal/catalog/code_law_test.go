package catalog

import (
	"strings"
	"testing"
)

// Item codes (GB/T 39554.1-2020 is named by the reference, its structure is
// not given, see code.go): the parts the catalogue knows are checked — a
// GB/T 2260 region and the letters of the item's type.
func TestItemCodeParts(t *testing.T) {
	c, err := ParseItemCode("990102-XK-001")
	if err != nil || c.Region != "990102" || c.Letters != "XK" || c.Serial != "001" {
		t.Fatalf("ParseItemCode = %+v, %v", c, err)
	}
	if typ, ok := c.Type(); !ok || typ != TypeLicensing {
		t.Errorf("XK stands for %s, want licensing", typ)
	}
	for _, bad := range []string{"000102-XK-001", "990102-ZZ-001", "990102XK001"} {
		if _, err := ParseItemCode(bad); err == nil {
			t.Errorf("ParseItemCode(%s) accepted", bad)
		}
	}
	codeErr := func(code string, typ ItemType) string {
		d := &Draft{Code: code, Type: typ}
		err := check(d, "", false)
		if err == nil || len(fieldMessages(err, "code")) == 0 {
			err = checkCodeLetters(d)
		}
		return strings.Join(fieldMessages(err, "code"), " ")
	}
	if msg := codeErr("990102-GG-001", TypeLicensing); !strings.Contains(msg, "XK") {
		t.Errorf("a licensing item coded GG: %q, want the letters XK asked for", msg)
	}
	if msg := codeErr("990100-BA-902", TypeFiling); msg != "" {
		t.Errorf("a filing item coded BA: %q", msg)
	}
	if msg := codeErr("000100-GG-101", TypePublicService); !strings.Contains(msg, "GB/T 2260") {
		t.Errorf("region 000100: %q, want it refused as no GB/T 2260 code", msg)
	}
}

// The demo catalogue's codes all carry their type's letters.
func TestDemoCodesCarryTheirTypeLetters(t *testing.T) {
	dept := map[string]int64{}
	for _, d := range append(demoItems(dept), eventDraftsForTest(dept)...) {
		c, err := ParseItemCode(d.Code)
		if err != nil {
			t.Errorf("%s: %v", d.Code, err)
			continue
		}
		if c.Letters != d.Type.Letters() {
			t.Errorf("%s (%s) carries %s, want %s", d.Code, d.Name, c.Letters, d.Type.Letters())
		}
	}
}

// fieldMessages returns the messages err gives for field path.
func fieldMessages(err error, path string) []string {
	var out []string
	for _, fe := range FieldErrors(err) {
		if fe.Path == path {
			out = append(out, fe.Message)
		}
	}
	return out
}

func eventDraftsForTest(dept map[string]int64) []Draft { return eventItems(dept) }
