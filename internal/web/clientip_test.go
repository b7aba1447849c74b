package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7 ,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		peer    string
		xff     []string
		realIP  string
		trusted bool
		want    string
	}{
		{name: "no proxies trusted: headers ignored", peer: "10.1.2.3:5000", xff: []string{"198.51.100.1"}, want: "10.1.2.3"},
		{name: "untrusted peer: headers ignored", peer: "203.0.113.5:5000", xff: []string{"198.51.100.1"}, realIP: "198.51.100.2", trusted: true, want: "203.0.113.5"},
		{name: "trusted peer, one hop", peer: "10.1.2.3:5000", xff: []string{"198.51.100.1"}, trusted: true, want: "198.51.100.1"},
		{name: "right-most untrusted wins over a forged left part", peer: "10.1.2.3:5000",
			xff: []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, trusted: true, want: "198.51.100.1"},
		{name: "several headers are one list", peer: "192.0.2.7:443", xff: []string{"6.6.6.6", "198.51.100.1"}, trusted: true, want: "198.51.100.1"},
		{name: "every hop trusted: the left-most", peer: "10.1.2.3:5000", xff: []string{"10.5.5.5, 10.6.6.6"}, trusted: true, want: "10.5.5.5"},
		{name: "garbage stops at the last good hop", peer: "10.1.2.3:5000", xff: []string{"198.51.100.1, nonsense"}, trusted: true, want: "10.1.2.3"},
		{name: "hop with a port", peer: "10.1.2.3:5000", xff: []string{"198.51.100.1:4711"}, trusted: true, want: "198.51.100.1"},
		{name: "IPv6 hop in brackets", peer: "[2001:db8::1]:443", xff: []string{"[2001:db9::5]"}, trusted: true, want: "2001:db9::5"},
		{name: "X-Real-IP without X-Forwarded-For", peer: "10.1.2.3:5000", realIP: "198.51.100.9", trusted: true, want: "198.51.100.9"},
		{name: "bad X-Real-IP: the peer", peer: "10.1.2.3:5000", realIP: "localhost", trusted: true, want: "10.1.2.3"},
		{name: "IPv4-mapped peer is trusted as IPv4", peer: "[::ffff:10.1.2.3]:5000", xff: []string{"198.51.100.1"}, trusted: true, want: "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			list := trusted
			if !tc.trusted {
				list = nil
			}
			if got := ClientIP(r, list); got != tc.want {
				t.Errorf("ClientIP = %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.1/8/2"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
	if ps, err := ParseTrustedProxies(" , "); err != nil || len(ps) != 0 {
		t.Errorf("empty list = %v, %v", ps, err)
	}
}

// The access log, audit and throttling all read the address the server
// determined once per request.
func TestClientAddrFromTrustedProxy(t *testing.T) {
	proxies, _ := ParseTrustedProxies("10.0.0.0/8")
	fs := newFakeSessions()
	s, err := New(Config{Sessions: fs, TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	r := signinPost(map[string][]string{"username": {"lihua"}, "password": {"secret-1"}})
	r.RemoteAddr = "10.0.0.2:1234"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.1")
	do(s, r)
	if fs.lastMeta.IP != "198.51.100.1" {
		t.Errorf("sign-in saw client %q, want 198.51.100.1", fs.lastMeta.IP)
	}
}
