// Package i18n holds the platform's user-facing messages in Chinese (zh-CN,
// the default) and English, and chooses the language of a request.
//
// Messages live in JSON catalogs, one flat object per locale named after it
// ("zh-CN.json", "en.json"). The core catalog is embedded here; each module
// adds its own at start-up with [Bundle.Add], using keys prefixed with the
// module name ("hotline.order.title") so catalogs never collide.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
)

// The supported locales. Chinese comes first: it is the default and the
// language every message is written in first.
const (
	ZH = "zh-CN"
	EN = "en"
	// Default is the language used when a request states no preference we
	// support.
	Default = ZH
)

// Locales returns the supported locales in display order.
func Locales() []string { return []string{ZH, EN} }

//go:embed locales/*.json
var core embed.FS

// Args carries named arguments for a message: "{n} 个工作日" with
// Args{"n": 3} reads "3 个工作日".
type Args map[string]any

// Bundle is a set of catalogs. It is safe for concurrent use; catalogs are
// normally added at start-up and only read afterwards.
type Bundle struct {
	mu     sync.RWMutex
	msgs   map[string]map[string]string // locale → key → message
	origin map[string]string            // key → catalog that defined it
	missed map[string]bool              // keys asked for but not found
}

// New returns a bundle holding the core catalog.
func New() *Bundle {
	b := &Bundle{
		msgs:   make(map[string]map[string]string),
		origin: make(map[string]string),
		missed: make(map[string]bool),
	}
	sub, err := fs.Sub(core, "locales")
	if err == nil {
		err = b.Add("core", sub)
	}
	if err != nil {
		// The core catalog is embedded and tested; failing here is a
		// build defect, not a run-time condition.
		panic(err)
	}
	return b
}

// Add reads the catalogs "<locale>.json" at the root of fsys for every
// supported locale. name identifies the catalog in errors. A key already
// defined by another catalog is an error, so two modules cannot silently
// override each other's text.
func (b *Bundle) Add(name string, fsys fs.FS) error {
	found := false
	for _, loc := range Locales() {
		data, err := fs.ReadFile(fsys, loc+".json")
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("i18n: catalog %s: %w", name, err)
		}
		found = true
		if err := b.AddJSON(name, loc, data); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("i18n: catalog %s: no %s.json or %s.json", name, ZH, EN)
	}
	return nil
}

// AddJSON adds the messages of one locale, given as a flat JSON object of
// key → message.
func (b *Bundle) AddJSON(name, locale string, data []byte) error {
	if !slices.Contains(Locales(), locale) {
		return fmt.Errorf("i18n: catalog %s: unsupported locale %q", name, locale)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("i18n: catalog %s %s: %w", name, locale, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range m {
		if o, ok := b.origin[k]; ok && o != name {
			return fmt.Errorf("i18n: catalog %s %s: key %q already defined by catalog %s", name, locale, k, o)
		}
	}
	if b.msgs[locale] == nil {
		b.msgs[locale] = make(map[string]string)
	}
	for k, v := range m {
		b.origin[k] = name
		b.msgs[locale][k] = v
	}
	return nil
}

// T returns the message key in lang. With one Args argument, "{name}"
// placeholders are replaced; with other arguments, the message is a
// fmt.Sprintf format. A key missing in lang falls back to the default
// locale; a key missing everywhere returns the key itself, and is recorded
// so that tests can find it with [Bundle.Missed].
func (b *Bundle) T(lang, key string, args ...any) string {
	b.mu.RLock()
	msg, ok := b.msgs[lang][key]
	if !ok {
		msg, ok = b.msgs[Default][key]
	}
	b.mu.RUnlock()
	if !ok {
		b.mu.Lock()
		b.missed[key] = true
		b.mu.Unlock()
		return key
	}
	if len(args) == 0 {
		return msg
	}
	if named, ok := args[0].(Args); ok && len(args) == 1 {
		return replaceNamed(msg, named)
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether key is defined in lang.
func (b *Bundle) Has(lang, key string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.msgs[lang][key]
	return ok
}

// Missed returns, sorted, the keys asked for with T that no catalog defines.
func (b *Bundle) Missed() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	keys := make([]string, 0, len(b.missed))
	for k := range b.missed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Check reports every key that is defined in one locale but not in another,
// or whose message is empty. Each module's tests should call it after
// adding the module's catalog.
func (b *Bundle) Check() error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var problems []string
	keys := make([]string, 0, len(b.origin))
	for k := range b.origin {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, loc := range Locales() {
			msg, ok := b.msgs[loc][k]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: %q (catalog %s) missing", loc, k, b.origin[k]))
			case strings.TrimSpace(msg) == "":
				problems = append(problems, fmt.Sprintf("%s: %q (catalog %s) empty", loc, k, b.origin[k]))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("i18n: incomplete catalogs:\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

func replaceNamed(msg string, args Args) string {
	pairs := make([]string, 0, 2*len(args))
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", fmt.Sprint(v))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

type ctxKey struct{}

// WithLang returns ctx carrying the request's language.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxKey{}, lang)
}

// LangFrom returns the language carried by ctx, or Default.
func LangFrom(ctx context.Context) string {
	if l, ok := ctx.Value(ctxKey{}).(string); ok {
		return l
	}
	return Default
}
