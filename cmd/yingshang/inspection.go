package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/yingshang/yingshang/internal/inspection"
)

// cmdInspection runs the inspection subcommands: verify-draw FILE
// recomputes a published 双随机 draw (GET /api/v1/inspections/draws/{id})
// from the file alone and prints OK, or the first mismatch with exit
// status 1.
func cmdInspection(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "verify-draw" {
		fmt.Fprintln(stderr, "usage: yingshang inspection verify-draw FILE")
		return exitCode(2)
	}
	b, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	var d inspection.Draw
	if err := json.Unmarshal(b, &d); err != nil {
		fmt.Fprintf(stdout, "MISMATCH: not a draw: %v\n", err)
		return exitCode(1)
	}
	if err := inspection.Recompute(&d); err != nil {
		fmt.Fprintf(stdout, "MISMATCH: %v\n", err)
		return exitCode(1)
	}
	fmt.Fprintf(stdout, "OK: task %s, %d businesses in the pool (pool_hash %s), seed %s, %d drawn with their inspectors\n",
		d.TaskID, len(d.Pool), d.PoolHash, d.Seed, len(d.Selected))
	return nil
}
