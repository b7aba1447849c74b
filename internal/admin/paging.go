package admin

import (
	"net/http"
	"net/url"
	"strconv"
)

// Page sizes of the console's lists.
const (
	defaultPageSize = 20
	maxPageSize     = 200
)

// pager is the pagination bar of a list: where we are and the links to
// the neighbouring pages, keeping the list's other query parameters.
type pager struct {
	Page, Size, Total, Pages int
	From, To                 int // 1-based positions of the rows shown
	Prev, Next               string
}

// pageParams reads ?page= and ?page_size= leniently: a page list should
// never fail over a mistyped number, so bad values fall back to defaults.
func pageParams(r *http.Request, size int) (page, pageSize int) {
	page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	pageSize, _ = strconv.Atoi(r.URL.Query().Get("page_size"))
	if pageSize <= 0 {
		pageSize = size
	}
	return page, min(pageSize, maxPageSize)
}

func newPager(u *url.URL, page, size, total int) pager {
	p := pager{Page: page, Size: size, Total: total}
	p.Pages = max((total+size-1)/size, 1)
	if total > 0 {
		p.From = (page-1)*size + 1
		p.To = min(page*size, total)
	}
	link := func(n int) string {
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		return u.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(min(page-1, p.Pages))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// slicePage returns page of items (counted from 1) for lists filtered in
// memory (regions, workflow definitions).
func slicePage[T any](items []T, page, size int) []T {
	lo := min((page-1)*size, len(items))
	hi := min(lo+size, len(items))
	return items[lo:hi]
}
