package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A province's monitoring rule file is validated before the platform
// starts: a wrong grade stops serve with the field named.
func TestServeRefusesBadMonitoringRules(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.json")
	bad := `{"version":1,"scope":"150000","rules":[{"code":"x","name":"x","device_kind":"fuel_tank","kind":"gap","gap_minutes":30,"grade":"alarm"}]}`
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--monitoring-rules", file}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "rules[0].grade") {
		t.Fatalf("serve with a bad rule file: %v (stderr %s), want an error naming rules[0].grade", err, errb.String())
	}
}
