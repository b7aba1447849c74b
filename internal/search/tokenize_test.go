package search

import (
	"slices"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"han bigrams", "营业执照", []string{"营业", "业执", "执照"}},
		{"single han character", "证", []string{"证"}},
		{"punctuation separates runs", "办理，营业执照。", []string{"办理", "营业", "业执", "执照"}},
		{"latin words lower-cased", "ICP Filing 2024", []string{"icp", "filing", "2024"}},
		{"mixed scripts split at the boundary", "ICP备案", []string{"icp", "备案"}},
		{"digits and letters stay one word", "5G网络 b2b", []string{"5g", "网络", "b2b"}},
		{"full-width letters and digits fold", "ＩＣＰ备案１２３", []string{"icp", "备案", "123"}},
		{"ideographic space separates", "营业　执照", []string{"营业", "执照"}},
		{"only punctuation", "，。！？ -- ...", nil},
		{"empty", "", nil},
		{"repeats are kept for counting", "执照执照", []string{"执照", "照执", "执照"}},
		{"accented letters are word letters", "Café", []string{"café"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokensCutsLongWords(t *testing.T) {
	long := ""
	for range 100 {
		long += "a"
	}
	got := Tokens(long)
	if len(got) != 1 || len([]rune(got[0])) != MaxTermRunes {
		t.Fatalf("Tokens(100×a) = %d tokens, first %d runes; want one of %d", len(got), len([]rune(got[0])), MaxTermRunes)
	}
}

func TestQueryTokens(t *testing.T) {
	if got, want := QueryTokens("执照 执照 ICP icp"), []string{"执照", "icp"}; !slices.Equal(got, want) {
		t.Errorf("QueryTokens deduplicates: got %q, want %q", got, want)
	}
	for q, want := range map[string][]string{
		"营业执":        {"营业", "业执"},
		"营业执照":       {"营业", "执照"},
		"营业执照办":      {"营业", "执照", "照办"},
		"营业执照办理":     {"营业", "执照", "办理"},
		"ICP备案 营业执照": {"icp", "备案", "营业", "执照"},
		"执":          {"执"},
	} {
		if got := QueryTokens(q); !slices.Equal(got, want) {
			t.Errorf("QueryTokens(%q) = %q, want %q (bigrams covering every character)", q, got, want)
		}
	}
	var long []rune
	for i := range 100 {
		long = append(long, rune('一'+i))
	}
	if got := QueryTokens(string(long)); len(got) != MaxQueryTokens {
		t.Errorf("QueryTokens of 100 characters kept %d tokens, want %d", len(got), MaxQueryTokens)
	}
}
