package i18n

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/yingshang/yingshang/internal/auth"
)

func TestCoreCatalogComplete(t *testing.T) {
	b := New()
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	for _, r := range append(auth.Roles, auth.RoleSystem) {
		for _, l := range Locales() {
			if !b.Has(l, "role."+string(r)) {
				t.Errorf("%s: no name for role %s", l, r)
			}
		}
	}
}

func TestCheckFindsGaps(t *testing.T) {
	b := New()
	err := b.Add("demo", fstest.MapFS{
		"zh-CN.json": {Data: []byte(`{"demo.a": "甲", "demo.b": "乙", "demo.c": " "}`)},
		"en.json":    {Data: []byte(`{"demo.a": "A", "demo.c": "C"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Check()
	if err == nil {
		t.Fatal("Check passed with a key missing in en")
	}
	for _, want := range []string{`en: "demo.b" (catalog demo) missing`, `zh-CN: "demo.c" (catalog demo) empty`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error lacks %q:\n%v", want, err)
		}
	}
}

func TestAddRejectsForeignKey(t *testing.T) {
	b := New()
	err := b.Add("demo", fstest.MapFS{"zh-CN.json": {Data: []byte(`{"product.name": "别的"}`)}})
	if err == nil || !strings.Contains(err.Error(), "already defined by catalog core") {
		t.Fatalf("err = %v, want a collision with core", err)
	}
	if got := b.T(ZH, "product.name"); got != "营商" {
		t.Errorf("collision overwrote the message: %q", got)
	}
	if err := b.Add("empty", fstest.MapFS{}); err == nil {
		t.Error("Add accepted a catalog with no locale files")
	}
	if err := b.AddJSON("x", "fr", []byte(`{}`)); err == nil {
		t.Error("AddJSON accepted an unsupported locale")
	}
}

func TestT(t *testing.T) {
	b := New()
	if err := b.AddJSON("demo", ZH, []byte(`{"demo.days": "剩余 {n} 个工作日", "demo.fmt": "共 %d 件", "demo.only_zh": "仅中文"}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.AddJSON("demo", EN, []byte(`{"demo.days": "{n} working days left", "demo.fmt": "%d in all"}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{ZH, "product.name", nil, "营商"},
		{EN, "product.name", nil, "Yingshang"},
		{ZH, "demo.days", []any{Args{"n": 3}}, "剩余 3 个工作日"},
		{EN, "demo.days", []any{Args{"n": 3}}, "3 working days left"},
		{EN, "demo.fmt", []any{12}, "12 in all"},
		{EN, "demo.only_zh", nil, "仅中文"}, // falls back to the default locale
		{EN, "demo.nope", nil, "demo.nope"},
	}
	for _, tt := range tests {
		if got := b.T(tt.lang, tt.key, tt.args...); got != tt.want {
			t.Errorf("T(%s, %s) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	if got := b.Missed(); len(got) != 1 || got[0] != "demo.nope" {
		t.Errorf("Missed() = %v, want [demo.nope]", got)
	}
}

func TestPick(t *testing.T) {
	tests := []struct {
		name, query, cookie, accept string
		want                        string
		fromQuery                   bool
	}{
		{"nothing", "", "", "", ZH, false},
		{"query wins", "en", "zh-CN", "zh", EN, true},
		{"bad query ignored", "fr", "en", "", EN, false},
		{"cookie before header", "", "en", "zh-CN,zh;q=0.9", EN, false},
		{"header", "", "", "en-GB,en;q=0.9", EN, false},
		{"header q-values", "", "", "fr;q=1, en;q=0.5, zh-TW;q=0.8", ZH, false},
		{"header q=0 refuses", "", "", "zh;q=0, en;q=0.1", EN, false},
		{"header unsupported", "", "", "fr, de", ZH, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/"
			if tt.query != "" {
				target += "?lang=" + tt.query
			}
			r := httptest.NewRequest("GET", target, nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", CookieName+"="+tt.cookie)
			}
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			got, fromQuery := Pick(r)
			if got != tt.want || fromQuery != tt.fromQuery {
				t.Errorf("Pick = %s, %v; want %s, %v", got, fromQuery, tt.want, tt.fromQuery)
			}
		})
	}
}
