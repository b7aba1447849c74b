package app

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

var (
	formTag   = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	attrRe    = regexp.MustCompile(`\b(action|method|enctype)="([^"]*)"`)
	fieldTag  = regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"[^>]*>`)
	hiddenVal = regexp.MustCompile(`type="hidden"[^>]*\bvalue="([^"]*)"|\bvalue="([^"]*)"[^>]*type="hidden"`)
	// An English message left beside Chinese: 须填写 (required).
	bilingual = regexp.MustCompile(`[\p{Han}。，、：；）]\s?\([A-Za-z][ -~]{2,}\)`)
)

// Every form the roles reach, sent back empty: the page that says what is
// wrong speaks the page's language only — Chinese on a Chinese page, with
// no "(English)" left beside it, and English on an English one — however
// the module wrote its messages ("中文 (English)"), and no form answers
// 5xx. Forms that sign out or end sessions are left alone.
func TestBadFormsSpeakThePageLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the demo's forms")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		tried, messages := 0, 0
		for _, user := range []string{"zhangsan", "yunlan_food", "clerk_lj", "handler_scj", "approver_scj",
			"operator", "dispatcher", "inspector_scj", "legal_scj", "policy_kjj", "supervisor", "admin"} {
			do := session(t, srv, user)
			forms := map[string]url.Values{}
			seen := map[string]bool{}
			queue := []string{a.Web.HomeFor(actorOf(seeded, user))}
			for len(queue) > 0 && len(seen) < 60 {
				p := queue[0]
				queue = queue[1:]
				if seen[p] {
					continue
				}
				seen[p] = true
				code, _, body := do(http.MethodGet, p, nil)
				if code != http.StatusOK {
					continue
				}
				for _, m := range formTag.FindAllStringSubmatch(body, -1) {
					attrs := map[string]string{}
					for _, at := range attrRe.FindAllStringSubmatch(m[1], -1) {
						attrs[at[1]] = html.UnescapeString(at[2])
					}
					action := attrs["action"]
					if !strings.EqualFold(attrs["method"], "post") || !strings.HasPrefix(action, "/") ||
						strings.Contains(action, "signout") || strings.Contains(action, "session") ||
						strings.Contains(attrs["enctype"], "multipart") || forms[action] != nil {
						continue
					}
					v := url.Values{}
					for _, f := range fieldTag.FindAllStringSubmatch(m[2], -1) {
						v.Set(f[1], "")
						if h := hiddenVal.FindStringSubmatch(f[0]); h != nil {
							v.Set(f[1], html.UnescapeString(h[1]+h[2]))
						}
					}
					forms[action] = v
				}
				for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
					target := html.UnescapeString(m[1])
					if strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//") && !skipped(target) && !seen[target] {
						queue = append(queue, target)
					}
				}
			}
			for action, v := range forms {
				for _, lang := range []string{"zh-CN", "en"} {
					sep := "?"
					if strings.Contains(action, "?") {
						sep = "&"
					}
					code, loc, body := do(http.MethodPost, action+sep+"lang="+lang, v)
					tried++
					if code >= 500 {
						t.Errorf("%s: an empty form to %s answers %d", user, action, code)
						continue
					}
					if code >= 300 && code < 400 && strings.HasPrefix(loc, "/") {
						code, _, body = do(http.MethodGet, loc, nil)
					}
					if !strings.Contains(body, `role="alert"`) {
						continue
					}
					messages++
					if lang == "zh-CN" {
						if m := bilingual.FindString(html.UnescapeString(body)); m != "" {
							t.Errorf("%s: the Chinese answer to an empty form to %s shows English: %q", user, action, m)
						}
					}
				}
			}
		}
		t.Logf("%d empty forms sent, %d answers with messages", tried, messages)
		if messages == 0 {
			t.Error("no form answered with a message")
		}
	})
}
