package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A province's warning rules file changes a national rule and adds its
// own; a bad file stops the server at start with an error naming the rule
// and field, before anything is served.
func TestWarningRulesFlag(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"rules": [
		{"id": "repeated_complaints", "count": 5, "limit_working_days": 3},
		{"id": "licence_expiring", "disabled": true},
		{"id": "food_complaints", "kind": "complaints", "name": "食品经营者被重复投诉", "name_en": "Repeated complaints about a food business",
		 "count": 2, "within_days": 7, "limit_working_days": 2, "department": "LJ-SCJG"}]}`)
	r, err := loadWarningRules(good)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Rule("repeated_complaints"); c == nil || c.Count != 5 || c.LimitWorkingDays != 3 || c.WithinDays != 30 {
		t.Errorf("repeated_complaints over the default: %+v", c)
	}
	if l := r.Rule("licence_expiring"); l == nil || !l.Disabled {
		t.Errorf("licence_expiring: %+v", l)
	}
	if f := r.Rule("food_complaints"); f == nil || f.LimitWorkingDays != 2 {
		t.Errorf("the province's own rule: %+v", f)
	}
	if r, err := loadWarningRules(""); r != nil || err != nil {
		t.Errorf("no file: %v %v, want the default (nil)", r, err)
	}

	for _, c := range []struct{ name, body, want string }{
		{"limit.json", `{"rules": [{"id": "repeated_complaints", "limit_working_days": 0}]}`, "limit_working_days"},
		{"field.json", `{"rules": [{"id": "repeated_complaints", "limit_days": 5}]}`, "unknown field"},
		{"kind.json", `{"rules": [{"id": "x_new", "kind": "weather", "name": "天气", "limit_working_days": 5}]}`, "unknown kind"},
		{"json.json", `{"rules": [`, "warning rules"},
	} {
		p := write(c.name, c.body)
		_, stderr, err := runCmd(t, "serve", "--addr", "127.0.0.1:18141", "--data-dir", filepath.Join(dir, "data-"+c.name), "--warning-rules", p)
		if err == nil || !strings.Contains(err.Error()+stderr, c.want) || !strings.Contains(err.Error()+stderr, "--warning-rules") {
			t.Errorf("%s: serve answered %v (%s), want an error naming %q", c.name, err, stderr, c.want)
		}
	}
	if _, _, err := runCmd(t, "serve", "--addr", "127.0.0.1:18142", "--data-dir", filepath.Join(dir, "data-missing"), "--warning-rules", filepath.Join(dir, "none.json")); err == nil {
		t.Error("a missing file: the server started")
	}
}
