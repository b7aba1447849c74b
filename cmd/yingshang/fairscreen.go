package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/yingshang/yingshang/internal/fairscreen"
)

// cmdFairscreen runs "fairscreen eval [FILE]": the precision and recall per
// category of the rule library on a labelled set (default: the embedded
// development and held-out sets).
func cmdFairscreen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "eval" {
		fmt.Fprintln(stderr, "usage: yingshang fairscreen eval [-rules FILE] [-v] [FILE]")
		return exitCode(2)
	}
	fs := newFlagSet("fairscreen eval", stderr)
	rules := fs.String("rules", "", "a city's rule library (JSON; default: the embedded national library)")
	verbose := fs.Bool("v", false, "list the clauses whose categories differ from their labels")
	pos, err := parseArgs(fs, args[1:])
	if err != nil || len(pos) > 1 {
		if err == nil {
			fmt.Fprintln(stderr, "usage: yingshang fairscreen eval [-rules FILE] [-v] [FILE]")
		}
		return exitCode(2)
	}
	lib, err := fairscreen.DefaultLibrary()
	if *rules != "" {
		lib, err = fairscreen.LoadLibrary(*rules)
	}
	if err != nil {
		return err
	}
	s, err := fairscreen.New(lib)
	if err != nil {
		return err
	}
	type set struct {
		name string
		data []byte
	}
	var sets []set
	if len(pos) == 1 {
		b, err := os.ReadFile(pos[0])
		if err != nil {
			return fmt.Errorf("fairscreen eval: %w", err)
		}
		sets = append(sets, set{pos[0], b})
	} else {
		for _, name := range []string{"dev", "heldout"} {
			b, err := fairscreen.LabelledSet(name)
			if err != nil {
				return err
			}
			sets = append(sets, set{name, b})
		}
	}
	for _, st := range sets {
		l, err := fairscreen.ReadLabelled(bytes.NewReader(st.data))
		if err != nil {
			return err
		}
		fairscreen.WriteReport(stdout, st.name, s.Evaluate(l), *verbose)
	}
	return nil
}
