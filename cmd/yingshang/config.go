package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/web"
)

// Config is the program's configuration. Every flag can also be set by the
// environment variable named beside it, so containers need no arguments.
type Config struct {
	DatabaseURL    string        // YS_DATABASE_URL; empty → SQLite file in DataDir
	Addr           string        // YS_ADDR
	DataDir        string        // YS_DATA_DIR
	SecretKey      string        // YS_SECRET_KEY; empty → key file in DataDir
	LogLevel       string        // YS_LOG_LEVEL: debug, info, warn, error
	LogFormat      string        // YS_LOG_FORMAT: text or json
	SecureCookies  bool          // YS_SECURE_COOKIES: mark cookies Secure (behind TLS)
	Workers        bool          // YS_WORKERS: run timer and outbox workers in this node
	RootRegion     string        // YS_ROOT_REGION: region code the deployment serves
	BaseURL        string        // YS_BASE_URL: public address, for QR codes and links
	CertKey        string        // YS_CERT_KEY: hex seed of the e-certificate signing key
	AuditKey       string        // YS_AUDIT_KEY: hex seed of the key signing audit tree heads
	AuditInterval  time.Duration // YS_AUDIT_HEAD_INTERVAL: how often a grown audit tree is signed
	SMSURL         string        // YS_SMS_URL: SMS gateway for notifications
	SMSSecret      string        // YS_SMS_SECRET: HMAC key shared with the SMS gateway
	Webhook110     string        // YS_WEBHOOK_110: where hotline orders transferred to 110 are posted
	Webhook110Key  string        // YS_WEBHOOK_110_SECRET: HMAC key shared with 110
	RelayURL       string        // YS_RELAY_URL: privacy-number (隐私号) binding service for calling callers back
	RelaySecret    string        // YS_RELAY_SECRET: HMAC key shared with it
	MapTiles       string        // YS_MAP_TILES: tile URL template of the hotline form's map; empty: no map
	MapAttribution string        // YS_MAP_ATTRIBUTION: the tile provider's attribution
	MapCentre      string        // YS_MAP_CENTRE: "lat,lng,zoom" where that map opens
	HotlineConf    string        // YS_HOTLINE_SETTINGS: a province's hotline settings file
	FairRules      string        // YS_FAIRSCREEN_RULES: a city's fair-competition screening rule library
	DiscretionConf string        // YS_DISCRETION_LISTS: a province's or city's 包容审慎 lists and benchmarks
	InspectionConf string        // YS_INSPECTION_RATIOS: a province's inspection ratios file
	ReportRules    string        // YS_CREDIT_REPORT_RULES: which credit reports a material accepts
	MonitoringConf string        // YS_MONITORING_RULES: a province's monitoring rule file
	WarningConf    string        // YS_WARNING_RULES: a province's early-warning rules file
	TrustedProxies string        // YS_TRUSTED_PROXIES: CIDR list of load balancers whose X-Forwarded-For names the client
	PprofAddr      string        // YS_PPROF_ADDR: where to serve net/http/pprof; empty: nowhere
	MetricsAddr    string        // YS_METRICS_ADDR: listen address serving only /metrics
	MetricsToken   string        // YS_METRICS_TOKEN: bearer token for /metrics on the main address
	RankingMin     int           // YS_RANKING_MIN_SAMPLE: fewest orders a department needs to be ranked publicly
	CreditLimit    int           // YS_CREDIT_PUBLIC_LIMIT: anonymous credit queries per address per window
	CreditWindow   time.Duration // YS_CREDIT_PUBLIC_WINDOW: the window of that limit
	VisitPublish   int           // YS_VISIT_PUBLISH_DAYS: working days to publish an inspection's results

	envErr error // an environment variable that could not be read
}

// flags registers the configuration flags on fs, with defaults taken from the
// environment.
func (c *Config) flags(fs *flag.FlagSet, defaultAddr, defaultDataDir string) {
	fs.StringVar(&c.DatabaseURL, "database-url", env("YS_DATABASE_URL", ""), "database URL: postgres://… or a SQLite file path (env YS_DATABASE_URL; default: DATA-DIR/yingshang.db)")
	fs.StringVar(&c.Addr, "addr", env("YS_ADDR", defaultAddr), "listen address (env YS_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("YS_DATA_DIR", defaultDataDir), "data directory for the SQLite file, uploads and the generated key (env YS_DATA_DIR)")
	fs.StringVar(&c.SecretKey, "secret-key", env("YS_SECRET_KEY", ""), "secret for encrypting personal numbers (env YS_SECRET_KEY; default: a key file generated in DATA-DIR)")
	fs.StringVar(&c.LogLevel, "log-level", env("YS_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env YS_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("YS_LOG_FORMAT", "text"), "log format: text or json (env YS_LOG_FORMAT)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", env("YS_SECURE_COOKIES", "") == "true", "mark cookies Secure; set when served over HTTPS (env YS_SECURE_COOKIES)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("YS_TRUSTED_PROXIES", ""), "comma-separated CIDR list of load balancers and proxies whose X-Forwarded-For / X-Real-IP name the client; empty trusts none (env YS_TRUSTED_PROXIES)")
	fs.StringVar(&c.RootRegion, "root-region", env("YS_ROOT_REGION", ""), "GB/T 2260 code of the region this deployment serves; its administrators manage the calendar and workflows (env YS_ROOT_REGION; default: the top-most region stored)")
	fs.StringVar(&c.BaseURL, "base-url", env("YS_BASE_URL", ""), "public address of the platform, written into QR codes and links (env YS_BASE_URL)")
	fs.StringVar(&c.CertKey, "cert-key", env("YS_CERT_KEY", ""), "hex seed of the Ed25519 key signing e-certificates (env YS_CERT_KEY; default: a key file generated in DATA-DIR)")
	fs.StringVar(&c.AuditKey, "audit-key", env("YS_AUDIT_KEY", ""), "hex seed of the Ed25519 key signing audit tree heads (env YS_AUDIT_KEY; default: a key file generated in DATA-DIR)")
	interval, err := time.ParseDuration(env("YS_AUDIT_HEAD_INTERVAL", "10m"))
	if err != nil {
		c.envErr = fmt.Errorf("YS_AUDIT_HEAD_INTERVAL: %w", err)
	}
	fs.DurationVar(&c.AuditInterval, "audit-head-interval", interval, "how often the audit tree head is signed when the log grew; 0 signs only on stop and on demand (env YS_AUDIT_HEAD_INTERVAL)")
	fs.StringVar(&c.SMSURL, "sms-url", env("YS_SMS_URL", ""), "SMS gateway URL for notifications; empty logs SMS instead (env YS_SMS_URL)")
	fs.StringVar(&c.SMSSecret, "sms-secret", env("YS_SMS_SECRET", ""), "HMAC key shared with the SMS gateway (env YS_SMS_SECRET)")
	fs.StringVar(&c.Webhook110, "webhook-110", env("YS_WEBHOOK_110", ""), "URL receiving hotline orders transferred to 110 (env YS_WEBHOOK_110)")
	fs.StringVar(&c.Webhook110Key, "webhook-110-secret", env("YS_WEBHOOK_110_SECRET", ""), "HMAC key shared with 110 (env YS_WEBHOOK_110_SECRET)")
	fs.StringVar(&c.RelayURL, "relay-url", env("YS_RELAY_URL", ""), "privacy-number (隐私号) service through which handlers call callers back without seeing their numbers; empty offers no call (the demo uses a stand-in) (env YS_RELAY_URL)")
	fs.StringVar(&c.RelaySecret, "relay-secret", env("YS_RELAY_SECRET", ""), "HMAC key shared with the privacy-number service (env YS_RELAY_SECRET)")
	fs.StringVar(&c.MapTiles, "map-tiles", env("YS_MAP_TILES", ""), "tile URL template ({z}/{x}/{y}) of the map on the public 12345 form; empty shows no map and the form asks for district and address only (env YS_MAP_TILES)")
	fs.StringVar(&c.MapAttribution, "map-attribution", env("YS_MAP_ATTRIBUTION", ""), "attribution shown on that map, as the tile provider requires (env YS_MAP_ATTRIBUTION)")
	fs.StringVar(&c.MapCentre, "map-centre", env("YS_MAP_CENTRE", ""), "where that map opens, as lat,lng,zoom (env YS_MAP_CENTRE)")
	fs.StringVar(&c.FairRules, "fairscreen-rules", env("YS_FAIRSCREEN_RULES", ""), "JSON file of a city's fair-competition screening rule library, stored as its first version (default: the national library; env YS_FAIRSCREEN_RULES)")
	fs.StringVar(&c.DiscretionConf, "discretion-lists", env("YS_DISCRETION_LISTS", ""), "JSON file of the published 包容审慎 lists and discretion benchmarks replacing the national default (env YS_DISCRETION_LISTS)")
	fs.StringVar(&c.ReportRules, "credit-report-rules", env("YS_CREDIT_REPORT_RULES", ""), "JSON file of the credit reports a 共享 material accepts in place of a certificate, {\"CT-XYBG\": {\"period_months\": 12, \"max_age_days\": 30}} (the default) (env YS_CREDIT_REPORT_RULES)")
	fs.StringVar(&c.InspectionConf, "inspection-ratios", env("YS_INSPECTION_RATIOS", ""), "JSON file of the province's inspection ratios per risk class, {\"ratios\": {\"A\": 0.05, …}}, each in [0,1] (env YS_INSPECTION_RATIOS)")
	fs.StringVar(&c.MonitoringConf, "monitoring-rules", env("YS_MONITORING_RULES", ""), "JSON file of the province's monitoring rules (thresholds, rates, gaps; grades 提醒/约谈/检查), validated strictly at start (default: the national rules; env YS_MONITORING_RULES)")
	fs.StringVar(&c.WarningConf, "warning-rules", env("YS_WARNING_RULES", ""), "JSON file of the province's early-warning (预警) rules over the national default, {\"rules\": [{\"id\": …, \"limit_working_days\": …}, …]}: a known id changes the fields it sets, a new id adds a rule; checked at start (env YS_WARNING_RULES)")
	fs.StringVar(&c.HotlineConf, "hotline-settings", env("YS_HOTLINE_SETTINGS", ""), "JSON file of the province's hotline settings over the national default: co_handle_days, send_back_reasons (env YS_HOTLINE_SETTINGS)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("YS_METRICS_ADDR", ""), "listen address serving only /metrics, for scrapers; keep it private (env YS_METRICS_ADDR; default: none)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("YS_METRICS_TOKEN", ""), "bearer token letting scrapers read /metrics on the main address (env YS_METRICS_TOKEN; default: /metrics not served there)")
	limit, err := strconv.Atoi(env("YS_CREDIT_PUBLIC_LIMIT", "30"))
	if err != nil || limit <= 0 {
		c.envErr = fmt.Errorf("YS_CREDIT_PUBLIC_LIMIT: a positive number is required")
	}
	fs.IntVar(&c.CreditLimit, "credit-public-limit", limit, "anonymous credit queries (信用公示) one client address may make per --credit-public-window (env YS_CREDIT_PUBLIC_LIMIT)")
	window, err := time.ParseDuration(env("YS_CREDIT_PUBLIC_WINDOW", "1m"))
	if err != nil || window <= 0 {
		c.envErr = fmt.Errorf("YS_CREDIT_PUBLIC_WINDOW: a positive duration is required")
	}
	fs.DurationVar(&c.CreditWindow, "credit-public-window", window, "the window of --credit-public-limit (env YS_CREDIT_PUBLIC_WINDOW)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", env("YS_PPROF_ADDR", ""), "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060, for profiling under load; never expose it (env YS_PPROF_ADDR)")
	minSample, err := strconv.Atoi(env("YS_RANKING_MIN_SAMPLE", "5"))
	if err != nil || minSample < 1 {
		c.envErr = fmt.Errorf("YS_RANKING_MIN_SAMPLE: want a whole number of at least 1")
	}
	fs.IntVar(&c.RankingMin, "ranking-min-sample", minSample, "fewest orders a department must have taken in a month to be ranked in the public 12345 ranking (env YS_RANKING_MIN_SAMPLE)")
	fs.BoolVar(&c.Workers, "workers", env("YS_WORKERS", "true") != "false", "run the timer and outbox workers in this process (env YS_WORKERS)")
	publish, err := strconv.Atoi(env("YS_VISIT_PUBLISH_DAYS", "20"))
	if err != nil || publish < 1 {
		c.envErr = fmt.Errorf("YS_VISIT_PUBLISH_DAYS: want a whole number of at least 1")
	}
	fs.IntVar(&c.VisitPublish, "visit-publish-days", publish, "working days within which an inspection's results must be published after completion (env YS_VISIT_PUBLISH_DAYS)")
}

// databaseURL returns the configured URL, or the SQLite file in the data
// directory when none is set.
func (c *Config) databaseURL() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "yingshang.db")
}

func (c *Config) validate() error {
	if c.envErr != nil {
		return c.envErr
	}
	if c.AuditInterval < 0 {
		return fmt.Errorf("audit head interval %s: want 0 or more", c.AuditInterval)
	}
	if _, err := web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return err
	}
	switch strings.ToLower(c.LogFormat) {
	case "text", "json":
	default:
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
