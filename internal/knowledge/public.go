package knowledge

import (
	"github.com/yingshang/yingshang/internal/web"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/hotline"
)

// maxSuggestText bounds the text the suggestion endpoint reads: a caller's
// account typed by an operator, not a document.
const maxSuggestText = 2000

// faqData is what the public FAQ list renders.
type faqData struct {
	Q          string
	Category   string
	Result     *PublicResult
	Categories []CategoryCount
	Pager      web.Pager
}

func (m *Module) faqPage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	cat := r.URL.Query().Get("category")
	if !categoryCode.MatchString(cat) {
		cat = ""
	}
	res, err := m.PublicList(r.Context(), PublicQuery{Q: q, CategoryCode: cat, Limit: pageSize,
		Offset: web.Offset(r, pageSize)})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	cats, err := m.PublicCategories(r.Context())
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := faqData{Q: q, Category: cat, Result: res, Categories: cats}
	if !res.Related {
		d.Pager = web.Paginate(r, res.Total, pageSize)
	}
	m.s.Render(w, r, "knowledge/faq.html", d)
}

// faqArticleData is what the public article page renders.
type faqArticleData struct {
	V       *Version
	Related []hotline.KnowledgeHit
}

func (m *Module) faqArticlePage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		m.fail(w, r, ErrNotFound)
		return
	}
	v, err := m.PublicArticle(r.Context(), id, true)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := faqArticleData{V: v}
	// Related questions: the article's own title ranked against the rest.
	if hits, err := m.Suggest(r.Context(), v.Title+" "+strings.Join(v.Tags, " ")); err == nil {
		for _, h := range hits {
			if h.ID != id && len(d.Related) < 4 {
				d.Related = append(d.Related, h)
			}
		}
	}
	m.s.Render(w, r, "knowledge/faq_article.html", d)
}

// suggestData is what the suggestion fragment renders.
type suggestData struct {
	Q    string
	Hits []hotline.KnowledgeHit
}

// suggestFragment answers GET /knowledge/suggest with the best answers as
// an HTML fragment (template "suggest_results"), for htmx to swap into any
// page while someone types. The text is q, or title and content (so the
// hotline's intake form can include its own fields as they are):
//
//	<input name="q" hx-get="/knowledge/suggest" hx-trigger="keyup changed delay:300ms"
//	       hx-target="#kb-suggest" hx-swap="innerHTML">
//	<div id="kb-suggest" aria-live="polite"></div>
//
// It is public: it shows only published, valid answers.
func (m *Module) suggestFragment(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	text := strings.TrimSpace(strings.Join([]string{v.Get("q"), v.Get("title"), v.Get("content")}, " "))
	if rs := []rune(text); len(rs) > maxSuggestText {
		text = string(rs[:maxSuggestText])
	}
	d := suggestData{Q: text}
	if text != "" {
		hits, err := m.Suggest(r.Context(), text)
		if err != nil {
			m.s.Logger().ErrorContext(r.Context(), "knowledge suggest", "err", err)
			http.Error(w, "", http.StatusInternalServerError)
			return
		}
		for i := range hits {
			hits[i].Answer = Excerpt(hits[i].Answer, 80)
		}
		d.Hits = hits
	}
	m.s.RenderFragment(w, r, "knowledge/faq.html", "suggest_results", d)
}
