package i18n

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// CookieName is the cookie that remembers a visitor's chosen language.
const CookieName = "ys_lang"

// Match maps a language tag to a supported locale: "zh", "zh-cn",
// "zh-Hans-CN" → zh-CN; "en", "en-GB" → en. Traditional Chinese tags
// (zh-TW, zh-HK, zh-Hant) also map to zh-CN, the only Chinese we have.
func Match(tag string) (string, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	primary, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	switch primary {
	case "zh":
		return ZH, true
	case "en":
		return EN, true
	}
	return "", false
}

// Pick chooses the language of r: the ?lang= query parameter first, then
// the ys_lang cookie, then the Accept-Language header, then Default.
// fromQuery reports that the choice came from the query, so the caller
// should remember it in the cookie.
func Pick(r *http.Request) (lang string, fromQuery bool) {
	if q := r.URL.Query().Get("lang"); q != "" {
		if l, ok := Match(q); ok {
			return l, true
		}
	}
	if c, err := r.Cookie(CookieName); err == nil {
		if l, ok := Match(c.Value); ok {
			return l, false
		}
	}
	if l, ok := FromAcceptLanguage(r.Header.Get("Accept-Language")); ok {
		return l, false
	}
	return Default, false
}

// FromAcceptLanguage returns the supported locale the header prefers most,
// honouring q-values (RFC 9110 §12.5.4).
func FromAcceptLanguage(header string) (string, bool) {
	type choice struct {
		tag string
		q   float64
	}
	var cs []choice
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if tag == "" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		if q <= 0 {
			continue
		}
		cs = append(cs, choice{tag, q})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].q > cs[j].q })
	for _, c := range cs {
		if l, ok := Match(c.tag); ok {
			return l, true
		}
	}
	return "", false
}
