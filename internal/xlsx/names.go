package xlsx

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxSheetName is Excel's limit on a sheet name, in UTF-16 code units.
const maxSheetName = 31

// sheetNames validates the names of sheets and returns the names to write:
// defaults for empty names, and a " (2)", " (3)"… suffix for a name already
// taken, since Excel refuses two sheets whose names differ only in case.
func sheetNames(sheets []Sheet) ([]string, error) {
	if len(sheets) == 0 {
		return nil, ErrNoSheets
	}
	names := make([]string, len(sheets))
	taken := map[string]bool{}
	for i, s := range sheets {
		if err := validSheetName(s.Name); err != nil {
			return nil, err
		}
		name := s.Name
		if name == "" {
			name = "Sheet" + strconv.Itoa(i+1)
		}
		base := name
		for n := 2; taken[strings.ToLower(name)]; n++ {
			suffix := " (" + strconv.Itoa(n) + ")"
			name = cut(base, maxSheetName-len(suffix)) + suffix
		}
		taken[strings.ToLower(name)] = true
		names[i] = name
	}
	return names, nil
}

// validSheetName reports why Excel would refuse name; empty is allowed (it
// gets a default).
func validSheetName(name string) error {
	if n := utf16Len(name); n > maxSheetName {
		return fmt.Errorf("%w: %q is %d characters, at most %d", ErrSheetName, name, n, maxSheetName)
	}
	if i := strings.IndexAny(name, `[]:*?/\`); i >= 0 {
		return fmt.Errorf("%w: %q contains %q", ErrSheetName, name, name[i])
	}
	if strings.HasPrefix(name, "'") || strings.HasSuffix(name, "'") {
		return fmt.Errorf("%w: %q begins or ends with an apostrophe", ErrSheetName, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7F || !xmlChar(r) {
			return fmt.Errorf("%w: %q contains a control character", ErrSheetName, name)
		}
	}
	if strings.EqualFold(name, "History") {
		return fmt.Errorf("%w: %q is reserved by Excel", ErrSheetName, name)
	}
	return nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cut shortens s to at most n UTF-16 code units without splitting a rune.
func cut(s string, n int) string {
	used := 0
	for i, r := range s {
		used += utf16.RuneLen(r)
		if used > n {
			return s[:i]
		}
	}
	return s
}
