package valid

import (
	"fmt"
	"unicode/utf8"
)

// Text returns a *FieldError for path when s holds a character no text
// field may hold, and nil otherwise. Refused are invalid UTF-8, the C0
// controls other than tab and newline (a carriage return only as part of
// CRLF, which browsers send in text areas), DEL, the C1 controls, and the
// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), which make text read differently from what is stored
// (an order number or an amount shown backwards). NUL, besides, is
// refused by PostgreSQL and would end a C string.
func Text(path, s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		bad := false
		switch {
		case r == utf8.RuneError && size <= 1:
			return &FieldError{Path: path, Message: fmt.Sprintf("第%d字节不是有效的UTF-8 (not valid UTF-8 at byte %d)", i, i)}
		case r == '\t' || r == '\n':
		case r == '\r':
			bad = i+1 >= len(s) || s[i+1] != '\n'
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			bad = true
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			bad = true
		}
		if bad {
			return &FieldError{Path: path, Message: fmt.Sprintf("含有不允许的控制字符 U+%04X（第%d字节）(contains the control character U+%04X at byte %d)", r, i, r, i)}
		}
		i += size
	}
	return nil
}
