// Command mutants is the mutation-testing step of CI (.ci/mutants). It holds
// named mutations of the rule packages — each an exact replacement of source
// text that breaks one legal rule (a time limit, a check character, a
// masking rule) — applies each one in a temporary copy of the tree, never in
// the working tree, runs the tests of the packages that own the rule, and
// fails if any mutation survives: a rule whose change no test notices is a
// rule nobody is protecting. It prints each outcome and the score.
//
// Usage: go run ./internal/tools/mutants [-run REGEXP] [-list] [-timeout D]
//
// The mutations run on SQLite only (YS_TEST_POSTGRES is removed from the
// tests' environment): a rule is engine-independent, and the store's
// dialects are covered by the normal test run on both databases.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	run := flag.String("run", "", "run only the mutations whose name matches this regular expression")
	list := flag.Bool("list", false, "list the mutations and exit")
	timeout := flag.Duration("timeout", 6*time.Minute, "time bound of one mutation's test run")
	full := flag.Bool("full", false, "run every test of a mutation's packages, not only the tests it names")
	flag.Parse()
	// An interrupt stops the running tests and still removes the copy.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := mainErr(ctx, *run, *list, *full, *timeout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		os.Exit(1)
	}
}

// outcome is what became of one mutation.
type outcome struct {
	m       mutation
	killed  bool
	timeout bool
	took    time.Duration
	out     string
}

func mainErr(ctx context.Context, pattern string, listOnly, full bool, bound time.Duration) error {
	ms := mutations()
	if err := checkNames(ms); err != nil {
		return err
	}
	if pattern != "" {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return fmt.Errorf("-run: %w", err)
		}
		var keep []mutation
		for _, m := range ms {
			if re.MatchString(m.Name) {
				keep = append(keep, m)
			}
		}
		ms = keep
	}
	if listOnly {
		for _, m := range ms {
			fmt.Printf("%-34s %-42s %s -run '%s'\n", m.Name, m.File, strings.Join(m.Pkgs, " "), m.Tests)
		}
		return nil
	}
	if len(ms) == 0 {
		return errors.New("no mutation matches")
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	tmp, err := os.MkdirTemp("", "ys-mutants-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	if err := copyTree(ctx, root, tmp); err != nil {
		return fmt.Errorf("copy the tree: %w", err)
	}
	// Every mutation's old text must be found exactly once, before anything
	// runs: a mutation whose code moved is stale and must be rewritten.
	for _, m := range ms {
		src, err := os.ReadFile(filepath.Join(tmp, m.File))
		if err != nil {
			return fmt.Errorf("mutation %s: %w", m.Name, err)
		}
		if n := bytes.Count(src, []byte(m.Old)); n != 1 {
			return fmt.Errorf("mutation %s: the old text occurs %d times in %s (want exactly 1): update the mutation", m.Name, n, m.File)
		}
	}
	// The unmutated tests must pass, or every mutation would look caught.
	tests := map[string][]string{} // package → the tests its mutations name
	for _, m := range ms {
		for _, p := range m.Pkgs {
			tests[p] = append(tests[p], m.Tests)
		}
	}
	var all []string
	for p := range tests {
		all = append(all, p)
	}
	sort.Strings(all)
	for _, p := range all {
		run := ""
		if !full {
			run = strings.Join(tests[p], "|")
		}
		failed, _, out := goTest(ctx, tmp, []string{p}, run, 2*bound)
		if failed {
			return fmt.Errorf("the unmutated tests of %s fail; fix them first:\n%s", p, tail(out, 40))
		}
		if strings.Contains(out, "no tests to run") {
			return fmt.Errorf("no test of %s matches %q: a mutation names a test that does not exist", p, run)
		}
	}
	fmt.Printf("== baseline: the tests of %s pass unmutated (%s)\n", strings.Join(all, " "), time.Since(start).Round(time.Second))

	var res []outcome
	for i, m := range ms {
		o, err := apply(ctx, tmp, m, full, bound)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", ctx.Err())
		}
		res = append(res, o)
		verdict := "caught"
		switch {
		case o.timeout:
			verdict = "caught (time bound)"
		case !o.killed:
			verdict = "SURVIVED"
		}
		fmt.Printf("[%2d/%d] %-34s %-20s %5.1fs  %s\n", i+1, len(ms), m.Name, verdict, o.took.Seconds(), m.Why)
		if !o.killed {
			fmt.Println(tail(o.out, 10))
		}
	}
	killed := 0
	var survivors []string
	for _, o := range res {
		if o.killed {
			killed++
		} else {
			survivors = append(survivors, o.m.Name)
		}
	}
	fmt.Printf("mutation score: %d/%d caught (%.0f%%), %s in all\n", killed, len(res),
		100*float64(killed)/float64(len(res)), time.Since(start).Round(time.Second))
	if len(survivors) > 0 {
		return fmt.Errorf("%d mutation(s) survived, write the test that notices: %s", len(survivors), strings.Join(survivors, ", "))
	}
	return nil
}

// apply makes mutation m in the copy at dir, runs its packages' tests and
// puts the original text back.
func apply(ctx context.Context, dir string, m mutation, full bool, bound time.Duration) (outcome, error) {
	path := filepath.Join(dir, m.File)
	orig, err := os.ReadFile(path)
	if err != nil {
		return outcome{}, fmt.Errorf("mutation %s: %w", m.Name, err)
	}
	mutated := bytes.Replace(orig, []byte(m.Old), []byte(m.New), 1)
	if err := os.WriteFile(path, mutated, 0o644); err != nil {
		return outcome{}, fmt.Errorf("mutation %s: %w", m.Name, err)
	}
	defer os.WriteFile(path, orig, 0o644)
	begin := time.Now()
	run := m.Tests
	if full {
		run = ""
	}
	failed, timedOut, out := goTest(ctx, dir, m.Pkgs, run, bound)
	o := outcome{m: m, killed: failed, timeout: timedOut, took: time.Since(begin), out: out}
	// A mutation that does not compile tests nothing: it is a broken
	// mutation, not a caught one.
	if strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]") {
		return o, fmt.Errorf("mutation %s does not compile; fix the mutation:\n%s", m.Name, tail(out, 20))
	}
	return o, nil
}

// goTest runs the tests of pkgs in dir whose names match run (all when
// run is empty) within bound, stopping at the first failure, and reports
// whether they failed (a run over the bound fails).
func goTest(ctx context.Context, dir string, pkgs []string, run string, bound time.Duration) (failed, timedOut bool, out string) {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	args := []string{"test", "-count=1", "-vet=off", "-failfast", "-timeout", bound.String()}
	if run != "" {
		args = append(args, "-run", "^("+run+")$")
	}
	args = append(args, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = testEnv()
	cmd.WaitDelay = 10 * time.Second
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if ctx.Err() == context.Canceled {
		return true, false, "interrupted"
	}
	if ctx.Err() != nil {
		return true, true, buf.String()
	}
	return err != nil, false, buf.String()
}

// testEnv is the environment of the tests: the caller's, without the
// PostgreSQL test database.
func testEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "YS_TEST_POSTGRES=") {
			env = append(env, kv)
		}
	}
	return env
}

// copyTree copies the files git knows about (tracked, and untracked ones
// not ignored, so uncommitted work is tested as it is) from root to dst.
func copyTree(ctx context.Context, root, dst string) error {
	cmd := exec.CommandContext(ctx, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	raw, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, name := range strings.Split(string(raw), "\x00") {
		if name == "" {
			continue
		}
		src := filepath.Join(root, name)
		fi, err := os.Lstat(src)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // deleted in the working tree, not yet in git
			}
			return err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		if err := copyFile(src, filepath.Join(dst, name), fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// checkNames refuses duplicate or empty names and mutations that change
// nothing.
func checkNames(ms []mutation) error {
	seen := map[string]bool{}
	for _, m := range ms {
		switch {
		case m.Name == "" || m.File == "" || m.Old == "" || len(m.Pkgs) == 0:
			return fmt.Errorf("mutation %q is incomplete", m.Name)
		case seen[m.Name]:
			return fmt.Errorf("mutation %q is named twice", m.Name)
		case m.Old == m.New:
			return fmt.Errorf("mutation %q changes nothing", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
