package app

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The language test reads the text a reader sees on a Chinese page.
var (
	// Scripts, styles, code and form fields' contents are not messages:
	// what an editor holds is data (a rule, a model), and code is code.
	notMessages = regexp.MustCompile(`(?is)<(script|style|code|pre|kbd|samp|textarea)\b.*?</(?:script|style|code|pre|kbd|samp|textarea)>`)
	// An element marked as English, or as not to be translated (names,
	// identifiers, user agents), is not a Chinese message.
	markedElem = regexp.MustCompile(`(?is)<(\w+)\b[^>]*\b(?:lang="en"|translate="no")[^>]*>.*?</\w+>`)
	anyTag     = regexp.MustCompile(`(?s)<[^>]*>`)
	token      = regexp.MustCompile(`[A-Za-z0-9_\-.@/:+#%=&?]+`)
	pureWord   = regexp.MustCompile(`^[A-Za-z]{3,}$`)
)

// latinAllowed are the Latin words a Chinese page may show: names of file
// formats, units and standards that Chinese writing uses as they are.
var latinAllowed = map[string]bool{
	"PNG": true, "JPEG": true, "JPG": true, "PDF": true, "MiB": true, "KiB": true, "CSV": true,
	"Excel": true, "xlsx": true, "CEL": true, "FAQ": true, "App": true, "API": true, "URL": true,
	"SMS": true, "WebP": true, "HTML": true, "JSON": true, "SHA": true, "Ed": true, "QR": true,
	"OpenAPI": true, "GeoReport": true, "Open": true, "HEIC": true, "Ctrl": true,
}

// latinSyntax are the Latin words of input syntaxes that an administrator's
// page explains (they are typed as they are), by page.
var latinSyntax = map[string][]string{
	"/admin/calendar":     {"holiday", "workday"},
	"/admin/audit":        {"user", "flow"},
	"/hotline/categories": {"XXYYZZ"},
	"/risk/models":        {"key", "name", "weight", "count", "exists", "listed", "related", "fact", "attr", "bands", "map"},
}

// syntaxAllowed reports whether w is a word of the input syntax explained
// on the page at path.
func syntaxAllowed(path, w string) bool {
	for p, ws := range latinSyntax {
		if strings.HasPrefix(path, p) && slices.Contains(ws, w) {
			return true
		}
	}
	return false
}

// latinWords returns the Latin words outside latinAllowed in the text a
// reader of a Chinese page sees.
func latinContext(page, w string) string {
	page = notMessages.ReplaceAllString(page, " ")
	page = markedElem.ReplaceAllString(page, " ")
	page = anyTag.ReplaceAllString(page, " ")
	page = html.UnescapeString(page)
	i := strings.Index(page, w)
	if i < 0 {
		return ""
	}
	r := []rune(page[max(0, i-60):min(len(page), i+60)])
	return strings.Join(strings.Fields(string(r)), " ")
}

func latinWords(page string) []string {
	page = notMessages.ReplaceAllString(page, " ")
	page = markedElem.ReplaceAllString(page, " ")
	page = anyTag.ReplaceAllString(page, " ")
	page = html.UnescapeString(page)
	var out []string
	for _, t := range token.FindAllString(page, -1) {
		if strings.HasPrefix(t, ".") {
			continue // a file name's extension: 申请书.pdf
		}
		t = strings.Trim(t, ":/?&=#%+-.")
		if pureWord.MatchString(t) && !latinAllowed[t] {
			out = append(out, t)
		}
	}
	return out
}

// The reader's view: a Latin word in a message is found; code, English
// marked as such, file names and allowed format names are not.
func TestLatinWords(t *testing.T) {
	page := `<p>规则判定符合条件 (the rule approved)</p><code>form.area</code><small lang="en">yingshang</small>` +
		`<p>申请书.pdf 上传 PDF 文件</p><script>var x = "hidden";</script><td translate="no">zhangsan</td>`
	got := latinWords(page)
	if !slices.Equal(got, []string{"the", "rule", "approved"}) {
		t.Errorf("latinWords = %q, want the three words of the English reason only", got)
	}
}
