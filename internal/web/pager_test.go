package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestPaginate(t *testing.T) {
	r := httptest.NewRequest("GET", "/work?q=%E6%89%A7%E7%85%A7&page=2", nil)
	p := Paginate(r, 45, 20)
	if p.Page != 2 || p.Pages != 3 || p.Total != 45 || Offset(r, 20) != 20 {
		t.Fatalf("pager %+v, offset %d", p, Offset(r, 20))
	}
	for _, link := range []string{p.Prev, p.Next} {
		u, err := url.Parse(link)
		if err != nil || u.Path != "/work" || u.Query().Get("q") != "执照" {
			t.Errorf("link %q loses the path or search", link)
		}
	}
	if u, _ := url.Parse(p.Next); u.Query().Get("page") != "3" {
		t.Errorf("next = %q", p.Next)
	}
	last := Paginate(httptest.NewRequest("GET", "/work?page=3", nil), 45, 20)
	if last.Next != "" || last.Prev == "" {
		t.Errorf("last page: %+v", last)
	}
	for q, want := range map[string]int{"": 1, "page=0": 1, "page=-3": 1, "page=x": 1, "page=99999999": maxPage} {
		if got := PageNumber(httptest.NewRequest("GET", "/l?"+q, nil)); got != want {
			t.Errorf("PageNumber(%q) = %d, want %d", q, got, want)
		}
	}
	if one := Paginate(httptest.NewRequest("GET", "/l", nil), 0, 20); one.Pages != 0 || one.Prev != "" || one.Next != "" {
		t.Errorf("empty list: %+v", one)
	}
}

func TestRequestLevel(t *testing.T) {
	for _, c := range []struct {
		method string
		status int
		want   slog.Level
	}{
		{http.MethodGet, 200, slog.LevelDebug},
		{http.MethodHead, 304, slog.LevelDebug},
		{http.MethodGet, 303, slog.LevelDebug},
		{http.MethodGet, 404, slog.LevelInfo},
		{http.MethodPost, 200, slog.LevelInfo},
		{http.MethodPost, 303, slog.LevelInfo},
		{http.MethodPost, 422, slog.LevelInfo},
		{http.MethodGet, 500, slog.LevelError},
		{http.MethodPost, 503, slog.LevelError},
	} {
		if got := requestLevel(c.method, c.status); got != c.want {
			t.Errorf("%s %d logged at %v, want %v", c.method, c.status, got, c.want)
		}
	}
}

func TestKeysetPager(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/work?q=%E8%B7%AF&after=123.4", nil)
	p := KeysetPager(r, "after", 1001, "456.7")
	if p.TotalText != "1,000+" {
		t.Errorf("count shown %q, want 1,000+", p.TotalText)
	}
	if p.First != "/work?q=%E8%B7%AF" {
		t.Errorf("first = %q", p.First)
	}
	if p.Next != "/work?after=456.7&q=%E8%B7%AF" {
		t.Errorf("next = %q", p.Next)
	}
	p = KeysetPager(httptest.NewRequest(http.MethodGet, "/work", nil), "after", 7, "")
	if p.First != "" || p.Next != "" || p.TotalText != "7" {
		t.Errorf("one page: %+v", p)
	}
}
