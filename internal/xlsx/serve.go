package xlsx

import (
	"net/http"
	"net/url"
	"strings"
)

// ContentType is the media type of an .xlsx workbook.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Serve writes sheets to w as a download named filename (".xlsx" is added
// when missing). Chinese names survive through the RFC 5987 filename*
// parameter, with an ASCII fallback for old clients. Sheet names are checked
// before any header is written, so on ErrSheetName or ErrNoSheets the caller
// can still answer with an error page; a later error can only cut the
// download short, and is returned for logging.
func Serve(w http.ResponseWriter, filename string, sheets ...Sheet) error {
	if _, err := sheetNames(sheets); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Disposition", ContentDisposition(filename))
	h.Set("X-Content-Type-Options", "nosniff")
	// Exports are lists of cases and people: never kept by shared caches.
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	return Write(w, sheets...)
}

// ContentDisposition returns an attachment Content-Disposition header value
// for filename, with ".xlsx" added when missing: an ASCII filename for old
// clients and the exact UTF-8 name as RFC 5987 filename*.
func ContentDisposition(filename string) string {
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, strings.TrimSpace(filename))
	name = strings.TrimSuffix(name, ".xlsx")
	name = strings.TrimSpace(name)
	if name == "" {
		name = "export"
	}
	name += ".xlsx"

	ascii := strings.Map(func(r rune) rune {
		switch {
		case r >= 0x7F, r == '"', r == ';', r == '%':
			return '_'
		}
		return r
	}, name)
	if strings.Trim(strings.TrimSuffix(ascii, ".xlsx"), "_ ") == "" {
		ascii = "export.xlsx"
	}
	// url.PathEscape leaves a few characters RFC 5987's attr-char forbids.
	enc := strings.NewReplacer("'", "%27", "(", "%28", ")", "%29", "*", "%2A",
		",", "%2C", ";", "%3B", "=", "%3D", "@", "%40", ":", "%3A").Replace(url.PathEscape(name))
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + enc
}
