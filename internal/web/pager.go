package web

import (
	"net/http"
	"strconv"

	"github.com/yingshang/yingshang/internal/store"
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
	// TotalText is Total as shown: "1,000+" past store.CountBound for a
	// list whose count is bounded.
	TotalText string
	// Keyset marks a pager of a list read by keyset (see KeysetPager): it
	// has no page numbers, First links back to the start.
	Keyset bool
	First  string
}

// Paginate returns the pager of the list at r's URL holding total entries
// shown size to a page. The page number comes from the "page" query
// parameter; the links keep every other parameter (search, filters).
func Paginate(r *http.Request, total, size int) Pager {
	p := Pager{Page: PageNumber(r), Total: total, Size: size, Pages: (total + size - 1) / size, TotalText: strconv.Itoa(total)}
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

// KeysetPager returns the pager of a list read by keyset (store.Cursor):
// count is the list's bounded count (store.CountUpTo), next the cursor of
// the next page ("" on the last). The cursor travels in r's query
// parameter param; the links keep every other parameter, and First (the
// start of the list) is set when r asked for a later page.
func KeysetPager(r *http.Request, param string, count int, next string) Pager {
	p := Pager{Keyset: true, Total: count, TotalText: CountText(count)}
	q := r.URL.Query()
	if q.Get(param) != "" {
		q.Del(param)
		q.Del("page")
		p.First = r.URL.Path
		if e := q.Encode(); e != "" {
			p.First += "?" + e
		}
	}
	if next != "" {
		q.Set(param, next)
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	return p
}

// CountText shows a bounded count: the number, or "1,000+" past
// store.CountBound.
func CountText(n int) string {
	if n > store.CountBound {
		return groupThousands(store.CountBound) + "+"
	}
	return strconv.Itoa(n)
}

func groupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Cursor returns the keyset cursor r carries in param, or
// store.ErrBadCursor for a malformed one.
func Cursor(r *http.Request, param string) (store.Cursor, error) {
	return store.ParseCursor(r.URL.Query().Get(param))
}
