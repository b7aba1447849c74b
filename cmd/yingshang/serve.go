package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/inspection"
	"github.com/yingshang/yingshang/internal/monitoring"
	"github.com/yingshang/yingshang/internal/warning"
	"github.com/yingshang/yingshang/internal/web"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// cmdServe runs the platform. With demo set it first replaces the data
// directory's database with a fresh one holding the demo city.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, isDemo bool) error {
	var cfg Config
	name, addr, dir := "serve", ":8080", "data"
	if isDemo {
		name, addr, dir = "demo", "127.0.0.1:8080", "yingshang-demo"
	}
	fs := newFlagSet(name, stderr)
	cfg.flags(fs, addr, dir)
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return exitCode(2)
	}
	log := newLogger(&cfg, stderr)
	if isDemo {
		if cfg.DatabaseURL == "" {
			if err := freshDemoDir(cfg.DataDir); err != nil {
				return err
			}
		} else if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if cfg.RootRegion == "" {
			cfg.RootRegion = demo.CityCode
		}
		// The console keeps the account table readable: it shows warnings
		// and errors; the whole log goes to a file in the data directory.
		f, err := os.OpenFile(filepath.Join(cfg.DataDir, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("demo: log file: %w", err)
		}
		defer f.Close()
		console := cfg
		console.LogLevel = "warn"
		log = slog.New(slog.NewMultiHandler(newLogger(&console, stderr).Handler(), newLogger(&cfg, f).Handler()))
	}
	proxies, _ := web.ParseTrustedProxies(cfg.TrustedProxies) // checked by validate
	// Listen before building so a busy port fails fast, before any work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --addr)", cfg.Addr, err)
	}
	var hotlineSettings []byte
	if cfg.HotlineConf != "" {
		if hotlineSettings, err = os.ReadFile(cfg.HotlineConf); err != nil {
			ln.Close()
			return fmt.Errorf("hotline settings: %w", err)
		}
	}
	var fairRules []byte
	if cfg.FairRules != "" {
		if fairRules, err = os.ReadFile(cfg.FairRules); err != nil {
			ln.Close()
			return fmt.Errorf("fair-competition screening rules: %w", err)
		}
	}
	var lists *discretion.Lists
	if cfg.DiscretionConf != "" {
		b, err := os.ReadFile(cfg.DiscretionConf)
		if err == nil {
			lists, err = discretion.ParseLists(b)
		}
		if err != nil {
			ln.Close()
			return fmt.Errorf("discretion lists: %w", err)
		}
	}
	var monitoringRules []byte
	if cfg.MonitoringConf != "" {
		if monitoringRules, err = os.ReadFile(cfg.MonitoringConf); err != nil {
			ln.Close()
			return fmt.Errorf("monitoring rules: %w", err)
		}
		if _, err := monitoring.ParseRules(monitoringRules); err != nil {
			ln.Close()
			return fmt.Errorf("%s: %w", cfg.MonitoringConf, err)
		}
	}
	var inspectionRatios []byte
	if cfg.InspectionConf != "" {
		if inspectionRatios, err = os.ReadFile(cfg.InspectionConf); err != nil {
			ln.Close()
			return fmt.Errorf("inspection ratios: %w", err)
		}
		if _, err := inspection.ParseRatios(inspectionRatios); err != nil {
			ln.Close()
			return fmt.Errorf("%s: %w", cfg.InspectionConf, err)
		}
	}
	var reportRules map[string]casework.ReportRule
	if cfg.ReportRules != "" {
		raw, err := os.ReadFile(cfg.ReportRules)
		if err != nil {
			ln.Close()
			return fmt.Errorf("credit report rules: %w", err)
		}
		if reportRules, err = casework.ParseReportRules(raw); err != nil {
			ln.Close()
			return fmt.Errorf("%s: %w", cfg.ReportRules, err)
		}
	}
	warningRules, err := loadWarningRules(cfg.WarningConf)
	if err != nil {
		ln.Close()
		return err
	}
	a, err := app.New(ctx, app.Config{DatabaseURL: cfg.databaseURL(), Addr: cfg.Addr, DataDir: cfg.DataDir,
		SecretKey: cfg.SecretKey, SecureCookies: cfg.SecureCookies, TrustedProxies: proxies, Workers: cfg.Workers, RootRegion: cfg.RootRegion,
		BaseURL: cfg.BaseURL, CertificateKey: cfg.CertKey, AuditKey: cfg.AuditKey, AuditHeadInterval: cfg.AuditInterval, SMSURL: cfg.SMSURL, SMSSecret: cfg.SMSSecret,
		Webhook110: cfg.Webhook110, Webhook110Secret: cfg.Webhook110Key, RelayURL: cfg.RelayURL, RelaySecret: cfg.RelaySecret,
		DemoRelay: isDemo && cfg.RelayURL == "", MapTiles: cfg.MapTiles, MapAttribution: cfg.MapAttribution, MapCentre: cfg.MapCentre,
		HotlineSettings: hotlineSettings, RankingMinSample: cfg.RankingMin, InspectionRatios: inspectionRatios, MonitoringRules: monitoringRules,
		MetricsAddr: cfg.MetricsAddr, MetricsToken: cfg.MetricsToken,
		CreditPublicLimit: cfg.CreditLimit, CreditPublicWindow: cfg.CreditWindow, DiscretionLists: lists,
		Logger: log, Version: version, FairScreenRules: fairRules, VisitPublishWorkingDays: cfg.VisitPublish,
		WarningRules: warningRules, CreditReportRules: reportRules})
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	if cfg.PprofAddr != "" {
		stop, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	url := "http://" + displayAddr(ln.Addr())
	if isDemo {
		if err := a.Empty(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
		// Heads signed over an earlier demo database would not match this
		// empty one.
		if err := os.Remove(filepath.Join(cfg.DataDir, audit.HeadFileName)); err != nil && !os.IsNotExist(err) {
			ln.Close()
			return fmt.Errorf("demo: reset: %w", err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			ln.Close()
			return err
		}
		printDemo(stdout, url, cfg.DataDir, seeded, func(r auth.Role) string {
			return a.Web.HomeFor(&auth.Actor{Roles: []auth.Role{r}})
		})
	} else {
		fmt.Fprintf(stdout, "yingshang %s serving on %s (%s)\n", version, url, a.DB.Kind())
	}
	return a.Serve(ctx, ln)
}

// freshDemoDir removes the demo database of an earlier run so every demo
// starts from the same state. The database files go, and with them the
// audit tree heads signed over the old database (they would no longer
// match); the directory's key files stay.
func freshDemoDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, f := range []string{"yingshang.db", "yingshang.db-wal", "yingshang.db-shm", audit.HeadFileName} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("demo: reset: %w", err)
		}
	}
	return nil
}

func printDemo(w io.Writer, url, dir string, s *demo.Seeded, home func(auth.Role) string) {
	fmt.Fprintf(w, "\n营商 yingshang 演示 / demo — 云澜市 (fictional city)\n\n")
	fmt.Fprintf(w, "  地址 / address:   %s\n", url)
	fmt.Fprintf(w, "  数据 / data:      %s  (日志 / log: %s)\n", dir, filepath.Join(dir, "demo.log"))
	fmt.Fprintf(w, "  密码 / password:  %s  (every demo account)\n\n", demo.Password)
	rows := [][]string{{"用户名 username", "角色 role", "姓名 name", "说明 note", "首页 home"}}
	for _, acc := range s.Accounts {
		rows = append(rows, []string{acc.Username, string(acc.Role), acc.Name, acc.Note, home(acc.Role)})
	}
	printColumns(w, rows)
	fmt.Fprintf(w, "\n  Open311 GeoReport v2: %s/open311/v2/discovery.json\n", url)
	fmt.Fprintf(w, "  Open311 api_key:      %s\n", s.Open311Key)
	fmt.Fprintf(w, "  公开页面 / public:     %s/catalog  %s/faq  %s/hotline/ranking\n", url, url, url)
	fmt.Fprintln(w, "\n按 Ctrl+C 停止 / press Ctrl+C to stop")
}

// displayAddr turns a listener address into one a browser can open.
func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") || strings.HasPrefix(s, "0.0.0.0:") {
		_, port, _ := net.SplitHostPort(s)
		return "localhost:" + port
	}
	return s
}

// printColumns prints rows as aligned columns, counting a Chinese character
// as two columns as terminals show it (text/tabwriter counts one).
func printColumns(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// displayWidth is the number of terminal columns s takes: East Asian wide
// characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
			(r >= 0xffe0 && r <= 0xffe6)):
			n += 2
		default:
			n++
		}
	}
	return n
}

// loadWarningRules reads the province's early-warning rules over the
// national default, strictly (an unknown field, a bad limit or a duplicate
// id is refused, naming the rule and field); "" keeps the default (nil).
func loadWarningRules(path string) (*warning.Rules, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--warning-rules: %w", err)
	}
	r, err := warning.ParseRules(b)
	if err != nil {
		return nil, fmt.Errorf("--warning-rules %s: %w", path, err)
	}
	return r, nil
}
