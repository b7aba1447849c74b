package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteTo(t *testing.T) {
	r := NewRegistry()
	req := r.Counter("ys_http_requests_total", "HTTP requests served.", "method", "status")
	inflight := r.Gauge("ys_inflight", "Requests in flight.")
	dur := r.Histogram("ys_duration_seconds", "Request duration.\nIn seconds.", []float64{0.1, 0.5, 1}, "route")
	pending := 7.0
	r.GaugeFunc("ys_outbox_pending", `Outbox rows not yet sent (path C:\q).`, func() float64 { return pending })
	r.CounterFunc("ys_db_wait_total", "Waits for a connection.", func() float64 { return 3 })

	req.Inc("POST", "201")
	req.Inc("GET", "200")
	req.Add(2, "GET", "200")
	inflight.Add(2)
	inflight.Add(-1)
	dur.Observe(0.05, `/a "b"`)
	dur.Observe(0.1, `/a "b"`) // on the bound: counts in le="0.1"
	dur.Observe(0.7, `/a "b"`)
	dur.Observe(3, `/a "b"`)

	var b strings.Builder
	n, err := r.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP ys_db_wait_total Waits for a connection.
# TYPE ys_db_wait_total counter
ys_db_wait_total 3
# HELP ys_duration_seconds Request duration.\nIn seconds.
# TYPE ys_duration_seconds histogram
ys_duration_seconds_bucket{route="/a \"b\"",le="0.1"} 2
ys_duration_seconds_bucket{route="/a \"b\"",le="0.5"} 2
ys_duration_seconds_bucket{route="/a \"b\"",le="1"} 3
ys_duration_seconds_bucket{route="/a \"b\"",le="+Inf"} 4
ys_duration_seconds_sum{route="/a \"b\""} 3.85
ys_duration_seconds_count{route="/a \"b\""} 4
# HELP ys_http_requests_total HTTP requests served.
# TYPE ys_http_requests_total counter
ys_http_requests_total{method="GET",status="200"} 3
ys_http_requests_total{method="POST",status="201"} 1
# HELP ys_inflight Requests in flight.
# TYPE ys_inflight gauge
ys_inflight 1
# HELP ys_outbox_pending Outbox rows not yet sent (path C:\\q).
# TYPE ys_outbox_pending gauge
ys_outbox_pending 7
`
	if got := b.String(); got != want {
		t.Errorf("WriteTo wrote:\n%s\nwant:\n%s", got, want)
	}
	if n != int64(len(want)) {
		t.Errorf("WriteTo returned n = %d, want %d", n, len(want))
	}

	pending = 0
	b.Reset()
	r.WriteTo(&b)
	if !strings.Contains(b.String(), "\nys_outbox_pending 0\n") {
		t.Errorf("gauge callback not re-read:\n%s", b.String())
	}
}

func TestHandler(t *testing.T) {
	r := NewRegistry()
	r.Counter("x_total", "X.").Inc()
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if ct := w.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(w.Body.String(), "x_total 1\n") {
		t.Errorf("body = %q", w.Body.String())
	}
}

func TestMisuse(t *testing.T) {
	tests := []struct {
		name string
		fn   func(r *Registry)
	}{
		{"duplicate name", func(r *Registry) { r.Gauge("a", ""); r.Counter("a", "") }},
		{"bad name", func(r *Registry) { r.Gauge("a-b", "") }},
		{"bad label", func(r *Registry) { r.Gauge("a", "", "x-y") }},
		{"le label on histogram", func(r *Registry) { r.Histogram("a", "", nil, "le") }},
		{"unsorted buckets", func(r *Registry) { r.Histogram("a", "", []float64{1, 0.5}) }},
		{"wrong label count", func(r *Registry) { r.Counter("a", "", "x").Inc() }},
		{"counter decrease", func(r *Registry) { r.Counter("a", "").Add(-1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.fn(NewRegistry())
		})
	}
}
