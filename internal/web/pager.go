package web

import (
	"net/http"
	"strconv"
)

// maxPage bounds the page number a request may ask for, so a crafted URL
// cannot make the database skip millions of rows.
const maxPage = 10000

// Pager describes one page of a long list: its number, the number of
// pages, the total, and links to the previous and next pages (empty when
// there is none). Templates show it with {{template "pager" ($.Pager .Data.Pager)}}.
type Pager struct {
	Page, Pages, Total, Size int
	Prev, Next               string
}

// Paginate returns the pager of the list at r's URL holding total entries
// shown size to a page. The page number comes from the "page" query
// parameter; the links keep every other parameter (search, filters).
func Paginate(r *http.Request, total, size int) Pager {
	p := Pager{Page: PageNumber(r), Total: total, Size: size, Pages: (total + size - 1) / size}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	return p
}

// PageNumber returns the page asked for by r's "page" parameter: 1 when
// absent or invalid, at most maxPage.
func PageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}

// Offset returns the number of entries before page PageNumber(r) of size.
func Offset(r *http.Request, size int) int { return (PageNumber(r) - 1) * size }

// PagerView is what the "pager" template renders: the page (for its
// language) and the pager.
type PagerView struct {
	P *Page
	Pager
}

// Pager pairs pg with the page for the "pager" template.
func (p *Page) Pager(pg Pager) PagerView { return PagerView{P: p, Pager: pg} }
