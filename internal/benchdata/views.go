package benchdata

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/demo"
)

// ViewOptions say what the view benchmark measures and how long.
type ViewOptions struct {
	URL    string        // the running server, e.g. http://127.0.0.1:8080
	PID    int           // the server's process, for its memory (0: not measured)
	Rounds int           // alternating rounds of baseline and view
	Each   int           // requests per round
	Memory time.Duration // length of the concurrent supervision run (0: skipped)
}

// A view is one staff page (or API list) read as one demo account.
type view struct {
	name, account, path string
}

// Views measures every staff list over HTTP, as the demo accounts, against
// a baseline measured in the same run and alternating with it: the API read
// of one work order by its id (a primary-key read through the same stack:
// session, policy, encoding). It then runs eight concurrent clients on
// /supervision and reports the server's peak resident memory, read from
// /proc outside the server. The server runs on a database that
// yingshang bench seed filled (so the demo accounts exist).
func Views(ctx context.Context, o ViewOptions, w io.Writer) error {
	clients := map[string]*http.Client{}
	for _, acct := range []string{"dispatcher", "handler_cgj", "supervisor", "clerk_lj", "approver_scj", "operator", "zhangsan", "yunlan_food"} {
		c, err := signIn(ctx, o.URL, acct)
		if err != nil {
			return err
		}
		clients[acct] = c
	}
	// The baseline's order, and the cursor of page 1,000 of the order list
	// (order ids are dense: page n starts below the top id less 20(n−1)).
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if err := getJSON(ctx, clients["dispatcher"], o.URL+"/api/v1/hotline/orders?limit=1", &list); err != nil {
		return err
	}
	if len(list.Items) == 0 {
		return fmt.Errorf("bench views: no orders; seed the database first (yingshang bench seed)")
	}
	top := list.Items[0].ID
	base := view{"baseline: GET /api/v1/hotline/orders/{id}", "dispatcher", "/api/v1/hotline/orders/" + strconv.FormatInt(top/2, 10)}
	views := []view{
		{"inbox /work (department handler, 2 departments)", "handler_cgj", "/work"},
		{"inbox /work (dispatcher, city)", "dispatcher", "/work"},
		{"inbox /work overdue only (dispatcher)", "dispatcher", "/work?overdue=1"},
		{"supervision /supervision (city)", "supervisor", "/supervision"},
		{"hotline overdue /hotline/overdue (city)", "supervisor", "/hotline/overdue"},
		{"hotline orders /hotline/orders page 1", "dispatcher", "/hotline/orders"},
		{"hotline orders page 1,000", "dispatcher", "/hotline/orders?after=" + strconv.FormatInt(max(top-999*20, 1), 10)},
		{"hotline handling queue (handler)", "handler_cgj", "/hotline/handling"},
		{"applications /applications (window clerk, county)", "clerk_lj", "/applications"},
		{"applications /applications (approver, department)", "approver_scj", "/applications"},
		{"knowledge search /knowledge?q=停车", "operator", "/knowledge?q=" + url.QueryEscape("停车")},
		{"API inbox /api/v1/inbox (handler)", "handler_cgj", "/api/v1/inbox?limit=20"},
		{"API supervision /api/v1/supervision/overdue", "supervisor", "/api/v1/supervision/overdue?limit=20"},
		// The lists that page by keyset since the second pass.
		{"certificates /certificates (approver, department)", "approver_scj", "/certificates"},
		{"messages /messages (handler)", "handler_cgj", "/messages"},
		{"catalogue /catalog/manage (approver)", "approver_scj", "/catalog/manage"},
		{"bundle applications /bundle-applications (clerk)", "clerk_lj", "/bundle-applications"},
		{"cross-region /cross-region (clerk)", "clerk_lj", "/cross-region"},
		{"own cases /my (citizen)", "zhangsan", "/my"},
		{"own cases /my (enterprise)", "yunlan_food", "/my"},
		{"own certificates /my/certificates (enterprise)", "yunlan_food", "/my/certificates"},
	}
	fmt.Fprintf(w, "%-55s %10s %10s %8s %9s\n", "view", "median", "p90", "ratio", "bytes")
	var bAll []time.Duration
	for _, v := range views {
		var bs, vs []time.Duration
		var size int64
		// One read first, untimed: the first read of a page after the
		// server starts warms the database's cache.
		if _, _, err := measure(ctx, clients[v.account], o.URL+v.path, 1); err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		for range o.Rounds {
			b, _, err := measure(ctx, clients[base.account], o.URL+base.path, o.Each)
			if err != nil {
				return fmt.Errorf("%s: %w", base.name, err)
			}
			m, n, err := measure(ctx, clients[v.account], o.URL+v.path, o.Each)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			bs, vs, size = append(bs, b...), append(vs, m...), n
		}
		bAll = append(bAll, bs...)
		fmt.Fprintf(w, "%-55s %10s %10s %7.1f× %9d\n", v.name, ms(quantile(vs, 0.5)), ms(quantile(vs, 0.9)),
			float64(quantile(vs, 0.5))/float64(quantile(bs, 0.5)), size)
	}
	fmt.Fprintf(w, "%-55s %10s %10s %8s\n", base.name, ms(quantile(bAll, 0.5)), ms(quantile(bAll, 0.9)), "1.0×")
	if o.Memory > 0 {
		return concurrent(ctx, o, clients["supervisor"], w)
	}
	return nil
}

// concurrent runs eight clients on /supervision for o.Memory and reports
// the latencies and the server's resident memory before and at its peak.
func concurrent(ctx context.Context, o ViewOptions, c *http.Client, w io.Writer) error {
	before := rss(o.PID)
	ctx, cancel := context.WithTimeout(ctx, o.Memory)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				d, _, err := measure(ctx, c, o.URL+"/supervision", 1)
				if err != nil {
					if ctx.Err() == nil {
						errc <- err
					}
					return
				}
				mu.Lock()
				lat = append(lat, d...)
				mu.Unlock()
			}
		}()
	}
	peak := before
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			peak = peak.max(rss(o.PID))
		}
	}
	wg.Wait()
	select {
	case err := <-errc:
		return fmt.Errorf("concurrent supervision: %w", err)
	default:
	}
	fmt.Fprintf(w, "8 concurrent /supervision for %s: %d requests, median %s, p90 %s", o.Memory, len(lat),
		ms(quantile(lat, 0.5)), ms(quantile(lat, 0.9)))
	if o.PID > 0 {
		fmt.Fprintf(w, "; server RSS %d MB before, %d MB peak (of which its own, RssAnon: %d MB before, %d MB peak)",
			before.rss>>20, peak.rss>>20, before.anon>>20, peak.anon>>20)
	}
	fmt.Fprintln(w)
	return nil
}

// memory is a process's resident memory in bytes: all of it (VmRSS), and
// its own (RssAnon: heap and stacks, without the pages of files it maps,
// such as SQLite's memory-mapped database, which the kernel may drop).
type memory struct{ rss, anon int64 }

func (m memory) max(o memory) memory { return memory{max(m.rss, o.rss), max(m.anon, o.anon)} }

// rss reads process pid's memory from /proc (zero if unknown).
func rss(pid int) memory {
	var m memory
	if pid <= 0 {
		return m
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.rss = kb << 10
		case "RssAnon":
			m.anon = kb << 10
		}
	}
	return m
}

// measure GETs u n times and returns each latency and the size of the
// last answer; an answer other than 200 is an error.
func measure(ctx context.Context, c *http.Client, u string, n int) ([]time.Duration, int64, error) {
	var out []time.Duration
	var size int64
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, 0, err
		}
		t := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return nil, 0, err
		}
		size, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if err != nil {
			return nil, 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, 0, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		out = append(out, d)
	}
	return out, size, nil
}

func signIn(ctx context.Context, base, user string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"username": {user}, "password": {demo.Password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign in %s: %w", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in %s: %s (is the server running on a seeded database?)", user, resp.Status)
	}
	return c, nil
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
