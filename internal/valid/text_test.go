package valid

import (
	"errors"
	"testing"
)

func TestText(t *testing.T) {
	for _, s := range []string{"", "路灯不亮", "第一行\n第二行", "a\tb", "Windows\r\nline", "emoji 😀", "RLM \u200f is a mark"} {
		if err := Text("content", s); err != nil {
			t.Errorf("Text(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"a\x00b", "\x01", "bell\a", "esc\x1b[31m", "lone\rcr", "end\r", "del\x7f", "c1\u0085",
		"evil\u202ecod.exe", "\u202a", "\u2066isolate\u2069", "\xff\xfe", "cut\xe4\xb8"} {
		err := Text("content", s)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != "content" || !errors.Is(err, ErrInvalid) {
			t.Errorf("Text(%q) = %v, want a field error at content", s, err)
		}
	}
}
