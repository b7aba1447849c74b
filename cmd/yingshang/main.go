// Command yingshang runs the yingshang platform and its maintenance tasks.
//
//	yingshang serve              run the platform
//	yingshang demo               fresh demo database with demo data, then serve
//	yingshang migrate            apply database migrations
//	yingshang audit verify       check the audit chain and tree against signed heads
//	yingshang audit sign         sign the audit tree head now
//	yingshang audit prove SEQ    inclusion proof of an audit entry
//	yingshang audit consistency  consistency proof between two tree heads
//	yingshang audit check-proof  check a proof offline with the public key
//	yingshang audit key          the public key signing tree heads
//	yingshang calendar due D N   end of the N-th working day after date D
//	yingshang backup FILE        consistent copy of a SQLite database
//	yingshang bench              load benchmarks
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		fmt.Fprintln(os.Stderr, "yingshang:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only carries the process exit status; the
// command has already said what went wrong.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `yingshang — 营商环境数字平台 / business-environment platform

Usage:
  yingshang serve [flags]               run the platform
  yingshang demo [flags]                fresh demo database with demo data, then serve
  yingshang migrate [flags]             apply database migrations and exit
  yingshang audit verify [flags]        check the audit chain and tree against signed heads
  yingshang audit sign [flags]          sign the audit tree head now
  yingshang audit prove SEQ [--size N]  inclusion proof of an audit entry (JSON)
  yingshang audit consistency OLD [NEW] consistency proof between two tree sizes (JSON)
  yingshang audit check-proof --key KEY PROOF
                                        check a proof offline: proof, head and public key only
  yingshang audit key [flags]           the public key that signs audit tree heads
  yingshang calendar due DATE N [flags] end of the N-th working day after DATE
  yingshang backup [flags] FILE         consistent copy of a SQLite database
  yingshang entity import [flags] FILE  load a register of businesses (CSV or xlsx)
  yingshang fairscreen eval [FILE]      precision and recall of the fair-competition screening rules
  yingshang inspection verify-draw FILE recompute a published random-inspection draw
  yingshang bench [flags]               load benchmarks against a fresh database
  yingshang bench seed [flags]          fill an empty database with a year of a city's data
  yingshang bench views [flags]         time every staff list of a running server on it
  yingshang bench policy [flags]        match N businesses × M policies (政策找人) and one re-match

Run "yingshang COMMAND -h" for the flags of a command.
`

// run dispatches one command line. It returns an error instead of exiting so
// tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr, false)
	case "demo":
		return cmdServe(ctx, rest, stdout, stderr, true)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "audit":
		return cmdAudit(ctx, rest, stdout, stderr)
	case "calendar":
		if len(rest) == 0 || rest[0] != "due" {
			fmt.Fprintln(stderr, "usage: yingshang calendar due DATE N [flags]")
			return exitCode(2)
		}
		return cmdCalendarDue(ctx, rest[1:], stdout, stderr)
	case "backup":
		return cmdBackup(ctx, rest, stdout, stderr)
	case "entity":
		if len(rest) == 0 || rest[0] != "import" {
			fmt.Fprintln(stderr, "usage: yingshang entity import [flags] FILE")
			return exitCode(2)
		}
		return cmdEntityImport(ctx, rest[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, rest, stdout, stderr)
	case "fairscreen":
		return cmdFairscreen(ctx, rest, stdout, stderr)
	case "inspection":
		return cmdInspection(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return exitCode(2)
	}
}
