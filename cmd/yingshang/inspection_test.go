package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/inspection"
)

// TestVerifyDraw recomputes a draw from its file, and refuses the file
// once one inspector is changed.
func TestVerifyDraw(t *testing.T) {
	d := &inspection.Draw{TaskID: "LJ-SCJG-2026-0001", Department: "LJ-SCJG",
		Ratios: map[string]float64{"A": 0.05, "B": 0.2, "C": 0.6, "D": 1},
		Participants: []inspection.Participant{
			{Name: "临江区市场监管局", Secret: "s1", Commitment: inspection.Commitment("s1")},
			{Name: "督办 钱峰", Secret: "s2", Commitment: inspection.Commitment("s2")}},
		InspectorPool: []inspection.PoolInspector{{Code: "A1", Department: "LJ-SCJG"}, {Code: "A2", Department: "LJ-SCJG"}, {Code: "A3", Department: "LJ-SCJG"}}}
	for i, c := range []string{"91990102MA0000001", "91990102MA0000002", "91990102MA0000003", "91990102MA0000004", "91990102MA0000005"} {
		d.Pool = append(d.Pool, inspection.PoolEntry{Code: c, Class: inspection.Classes[i%4]})
	}
	if err := inspection.Compute(d); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(d *inspection.Draw) string {
		b, _ := json.Marshal(d)
		p := filepath.Join(dir, "draw.json")
		os.WriteFile(p, b, 0o600)
		return p
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"inspection", "verify-draw", write(d)}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "OK") {
		t.Fatalf("%v: %s", err, out.String())
	}
	s := &d.Selected[len(d.Selected)-1]
	for _, c := range []string{"A1", "A2", "A3"} {
		if !strings.Contains(strings.Join(s.Inspectors, ","), c) {
			s.Inspectors[0] = c
			break
		}
	}
	out.Reset()
	err := run(context.Background(), []string{"inspection", "verify-draw", write(d)}, &out, &out)
	var ec exitCode
	if !errors.As(err, &ec) || ec == 0 || !strings.Contains(out.String(), "MISMATCH: selected") {
		t.Fatalf("a tampered draw: %v: %s", err, out.String())
	}
}
