package main

import (
	"context"
	"fmt"
	"io"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fmt.Fprintln(stderr, "yingshang bench: see docs/PERFORMANCE.md; use go test -bench for now")
	return exitCode(2)
}
