// Command ingest loads the monitoring ingest API from outside the process:
// several connections, each posting batches of readings for its own device
// (POST /api/v1/monitoring/readings with the device's bearer token), as a
// city's fuel-station gauges would. It prints readings per second and the
// batch latency. Against e2e/hello (which reads and drops the body) it
// gives the baseline of HTTP alone. e2e/ingest.sh runs both.
//
//	go run ./e2e/ingest -url http://127.0.0.1:18220 -tokens tokens.txt -conns 4 -batches 10
//
// tokens.txt holds one "device_id token" per line, one line per connection.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type reading struct {
	DeviceID int64     `json:"device_id"`
	Time     time.Time `json:"time"`
	Metric   string    `json:"metric"`
	Value    float64   `json:"value"`
}

type device struct {
	id    int64
	token string
}

func main() {
	url := flag.String("url", "http://127.0.0.1:18220", "base URL of the platform (or of e2e/hello)")
	tokens := flag.String("tokens", "", `file of "device_id token" lines, one per connection`)
	conns := flag.Int("conns", 4, "connections, each posting for its own device")
	batches := flag.Int("batches", 10, "batches per connection")
	size := flag.Int("batch", 5000, "readings per batch")
	metric := flag.String("metric", "error_pct", "metric posted (one the device's rules do not fire on)")
	label := flag.String("label", "platform", "name printed on the result line")
	flag.Parse()
	devs, err := readTokens(*tokens, *conns)
	if err != nil {
		log.Fatal(err)
	}
	// Times lie in the past, 1 ms apart, and grow across batches, so that
	// every batch is new to the engine and none is in the future.
	start := time.Now().Add(-time.Duration(*batches**size) * time.Millisecond).Add(-time.Minute)
	bodies := make([][][]byte, len(devs))
	for c, d := range devs {
		for b := 0; b < *batches; b++ {
			items := make([]reading, *size)
			for i := range items {
				items[i] = reading{d.id, start.Add(time.Duration(b**size+i) * time.Millisecond).UTC(), *metric, 0.1}
			}
			body, _ := json.Marshal(map[string]any{"items": items})
			bodies[c] = append(bodies[c], body)
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	failures := map[int]int{}
	var wg sync.WaitGroup
	t0 := time.Now()
	for c, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}, Timeout: time.Minute}
			for _, body := range bodies[c] {
				req, _ := http.NewRequest(http.MethodPost, *url+"/api/v1/monitoring/readings", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+d.token)
				req.Header.Set("Content-Type", "application/json")
				s := time.Now()
				res, err := client.Do(req)
				el := time.Since(s)
				code := 0
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					code = res.StatusCode
				}
				mu.Lock()
				lat = append(lat, el)
				if code != http.StatusOK {
					failures[code]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	slices.Sort(lat)
	n := len(devs) * *batches * *size
	fmt.Printf("%-10s %d conns × %d batches × %d readings: %.0f readings/s, %.1f batches/s, p50 %v, p99 %v, failures %v\n",
		*label, len(devs), *batches, *size, float64(n)/elapsed.Seconds(), float64(len(lat))/elapsed.Seconds(),
		lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*99/100].Round(time.Millisecond), failures)
	if len(failures) > 0 {
		os.Exit(1)
	}
}

func readTokens(path string, conns int) ([]device, error) {
	if path == "" {
		// e2e/hello ignores tokens: fake devices.
		out := make([]device, conns)
		for i := range out {
			out[i] = device{int64(i + 1), "ysdev_hello"}
		}
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []device
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(out) < conns {
		id, tok, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		out = append(out, device{n, tok})
	}
	if len(out) < conns {
		return nil, fmt.Errorf("%s: %d devices for %d connections", path, len(out), conns)
	}
	return out, sc.Err()
}
