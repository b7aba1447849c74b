// Package metrics is a small registry of counters, gauges and histograms
// written in the Prometheus text exposition format (version 0.0.4).
//
// It covers what the platform needs — request counts and latencies, queue
// depths, pool statistics — without a client library. Metrics are
// registered once at start-up; registering a name twice panics, as it is a
// programming error.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ContentType is the media type of the exposition format written by WriteTo.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// DefaultBuckets suit HTTP request durations in seconds.
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

var (
	nameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Registry holds metric families. The zero value is not usable; call
// NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{families: make(map[string]*family)}
}

type kind string

const (
	kindCounter   kind = "counter"
	kindGauge     kind = "gauge"
	kindHistogram kind = "histogram"
)

type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64      // histograms only
	fn         func() float64 // callback metrics only

	mu     sync.Mutex
	series map[string]*series // key: label values joined by 0xff
}

type series struct {
	values []string
	value  float64  // counter, gauge; histogram sum
	counts []uint64 // histogram: per bucket, not cumulative
	count  uint64   // histogram: observations
}

func (r *Registry) register(f *family) *family {
	if !nameRE.MatchString(f.name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", f.name))
	}
	for _, l := range f.labels {
		if !labelRE.MatchString(l) || strings.HasPrefix(l, "__") || (f.kind == kindHistogram && l == "le") {
			panic(fmt.Sprintf("metrics: %s: invalid label name %q", f.name, l))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.families[f.name]; dup {
		panic(fmt.Sprintf("metrics: %s registered twice", f.name))
	}
	f.series = make(map[string]*series)
	r.families[f.name] = f
	return f
}

func (f *family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s: got %d label values, want %d (%v)", f.name, len(values), len(f.labels), f.labels))
	}
	key := strings.Join(values, "\xff")
	s, ok := f.series[key]
	if !ok {
		s = &series{values: slices.Clone(values)}
		if f.kind == kindHistogram {
			s.counts = make([]uint64, len(f.buckets))
		}
		f.series[key] = s
	}
	return s
}

// Counter is a value that only goes up, such as requests served.
type Counter struct{ f *family }

// Counter registers a counter. By convention its name ends in "_total".
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	return &Counter{r.register(&family{name: name, help: help, kind: kindCounter, labels: labels})}
}

// Inc adds one to the series with the given label values.
func (c *Counter) Inc(labelValues ...string) { c.Add(1, labelValues...) }

// Add adds v, which must not be negative, to the series.
func (c *Counter) Add(v float64, labelValues ...string) {
	if v < 0 {
		panic(fmt.Sprintf("metrics: %s: counter decreased by %v", c.f.name, v))
	}
	c.f.mu.Lock()
	c.f.get(labelValues).value += v
	c.f.mu.Unlock()
}

// Gauge is a value that goes up and down, such as requests in flight.
type Gauge struct{ f *family }

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string, labels ...string) *Gauge {
	return &Gauge{r.register(&family{name: name, help: help, kind: kindGauge, labels: labels})}
}

// Set sets the series to v.
func (g *Gauge) Set(v float64, labelValues ...string) {
	g.f.mu.Lock()
	g.f.get(labelValues).value = v
	g.f.mu.Unlock()
}

// Add adds v (possibly negative) to the series.
func (g *Gauge) Add(v float64, labelValues ...string) {
	g.f.mu.Lock()
	g.f.get(labelValues).value += v
	g.f.mu.Unlock()
}

// GaugeFunc registers a gauge whose value is read from fn each time the
// registry is written, for values owned elsewhere: outbox rows pending,
// database connections in use. fn must be safe for concurrent use and fast.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.register(&family{name: name, help: help, kind: kindGauge, fn: fn})
}

// CounterFunc registers a counter read from fn, for totals kept elsewhere,
// such as sql.DBStats.WaitCount.
func (r *Registry) CounterFunc(name, help string, fn func() float64) {
	r.register(&family{name: name, help: help, kind: kindCounter, fn: fn})
}

// Histogram counts observations, such as request durations, in buckets.
type Histogram struct{ f *family }

// Histogram registers a histogram with the given upper bucket bounds (nil
// for DefaultBuckets); the +Inf bucket is implied.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *Histogram {
	if buckets == nil {
		buckets = DefaultBuckets
	}
	b := slices.Clone(buckets)
	if !slices.IsSorted(b) || len(slices.Compact(slices.Clone(b))) != len(b) {
		panic(fmt.Sprintf("metrics: %s: buckets must increase strictly: %v", name, buckets))
	}
	if len(b) > 0 && math.IsInf(b[len(b)-1], +1) {
		b = b[:len(b)-1]
	}
	return &Histogram{r.register(&family{name: name, help: help, kind: kindHistogram, labels: labels, buckets: b})}
}

// Observe records v in the series with the given label values.
func (h *Histogram) Observe(v float64, labelValues ...string) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	s := h.f.get(labelValues)
	s.value += v
	s.count++
	if i := sort.SearchFloat64s(h.f.buckets, v); i < len(h.f.buckets) {
		s.counts[i]++
	}
}

// WriteTo writes every family, sorted by name, in the text exposition
// format 0.0.4: a HELP and a TYPE line, then one line per series sorted by
// label values.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	sort.Slice(fams, func(i, j int) bool { return fams[i].name < fams[j].name })

	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	for _, f := range fams {
		f.write(bw)
	}
	err := bw.Flush()
	return cw.n, err
}

// Handler serves the registry for a Prometheus scraper.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		r.WriteTo(w)
	})
}

func (f *family) write(w *bufio.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
	if f.fn != nil {
		fmt.Fprintf(w, "%s %s\n", f.name, formatFloat(f.fn()))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	all := make([]*series, 0, len(f.series))
	for _, s := range f.series {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool { return slices.Compare(all[i].values, all[j].values) < 0 })
	for _, s := range all {
		if f.kind != kindHistogram {
			fmt.Fprintf(w, "%s%s %s\n", f.name, labelPairs(f.labels, s.values, ""), formatFloat(s.value))
			continue
		}
		var cum uint64
		for i, ub := range f.buckets {
			cum += s.counts[i]
			fmt.Fprintf(w, "%s_bucket%s %d\n", f.name, labelPairs(f.labels, s.values, formatFloat(ub)), cum)
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", f.name, labelPairs(f.labels, s.values, "+Inf"), s.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", f.name, labelPairs(f.labels, s.values, ""), formatFloat(s.value))
		fmt.Fprintf(w, "%s_count%s %d\n", f.name, labelPairs(f.labels, s.values, ""), s.count)
	}
}

// labelPairs formats {a="1",b="2"}, adding le when it is not empty.
func labelPairs(names, values []string, le string) string {
	if len(names) == 0 && le == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(values[i]))
		b.WriteByte('"')
	}
	if le != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`le="`)
		b.WriteString(le)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
