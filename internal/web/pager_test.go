package web

import (
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
