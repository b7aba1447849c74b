package knowledge

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/web"
)

// Status is where an article is in its life.
type Status string

// The statuses. A published article may carry unpublished edits in its
// working copy (Article.Changed); what the public see is its latest version.
const (
	StatusDraft     Status = "draft"     // never published
	StatusPublished Status = "published" // its latest version is shown
	StatusArchived  Status = "archived"  // withdrawn; the history stays
)

// Limits on a draft's fields.
const (
	MaxTitle     = 200   // runes
	MaxAnswer    = 20000 // runes
	MaxQuestions = 20
	MaxQuestion  = 200 // runes
	MaxTags      = 20
	MaxTag       = 32 // runes
)

// Draft is what staff write: the content of an article's working copy.
type Draft struct {
	Title string `json:"title" doc:"The question as staff would put it"`
	// Questions are other ways callers put the same question; they are
	// searched as strongly as the title.
	Questions []string `json:"questions,omitempty"`
	// Answer is plain text; blank lines separate paragraphs.
	Answer       string `json:"answer"`
	CategoryCode string `json:"category_code" doc:"Six-digit category code in the style of GB/T 39666 (as the hotline uses)"`
	DepartmentID int64  `json:"department_id" doc:"Owning department"`
	RegionCode   string `json:"region_code,omitempty" doc:"GB/T 2260 region the answer applies to; the department's region when empty"`
	// ValidFrom and ValidUntil bound when the answer may be given; zero
	// means unbounded. ValidUntil is exclusive.
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero" doc:"First instant at which the answer is no longer valid"`
	Tags       []string  `json:"tags,omitempty"`
}

// Article is an article's working copy with its bookkeeping.
type Article struct {
	ID int64 `json:"id"`
	Draft
	DepartmentName string `json:"department_name,omitempty"`
	Status         Status `json:"status" enum:"draft,published,archived"`
	// Version is the number of the latest published version, 0 if none.
	Version int `json:"version"`
	// Rev counts changes to the working copy; send it back with an edit,
	// publish or archive so a concurrent change is not overwritten.
	Rev int64 `json:"rev"`
	// Changed says the working copy holds edits not yet published.
	Changed       bool      `json:"changed"`
	Views         int64     `json:"views"`
	Uses          int64     `json:"uses" doc:"How often operators used it to answer at intake"`
	CreatedBy     int64     `json:"created_by"`
	CreatedByName string    `json:"created_by_name"`
	UpdatedBy     int64     `json:"updated_by"`
	UpdatedByName string    `json:"updated_by_name"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Object describes the article to the authorisation policy.
func (a *Article) Object() auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: a.RegionCode, DepartmentIDs: []int64{a.DepartmentID}}
}

// ValidAt reports whether the article's validity window holds t.
func (d *Draft) ValidAt(t time.Time) bool {
	return (d.ValidFrom.IsZero() || !t.Before(d.ValidFrom)) && (d.ValidUntil.IsZero() || t.Before(d.ValidUntil))
}

// Version is one published snapshot of an article. It never changes.
type Version struct {
	ArticleID int64 `json:"article_id"`
	Version   int   `json:"version"`
	Draft
	DepartmentName  string    `json:"department_name,omitempty"`
	CategoryName    string    `json:"category_name,omitempty"`
	Note            string    `json:"note,omitempty" doc:"What changed, as the publisher put it"`
	PublishedBy     int64     `json:"published_by"`
	PublishedByName string    `json:"published_by_name"`
	PublishedAt     time.Time `json:"published_at"`
}

// Paragraphs splits the answer into paragraphs at blank lines, so templates
// can render plain text safely as <p> elements.
func (d *Draft) Paragraphs() []string { return paragraphs(d.Answer) }

func paragraphs(text string) []string {
	var out []string
	for _, p := range blankLine.Split(strings.ReplaceAll(text, "\r\n", "\n"), -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Excerpt returns the start of the answer, at most n runes, on one line.
func Excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return string(r[:n]) + "…"
}

// articleRow is a row of kb_articles.
type articleRow struct {
	bun.BaseModel `bun:"table:kb_articles,alias:a"`
	ID            int64     `bun:"id,pk,autoincrement"`
	Title         string    `bun:"title"`
	Questions     string    `bun:"questions"`
	Answer        string    `bun:"answer"`
	CategoryCode  string    `bun:"category_code"`
	DepartmentID  int64     `bun:"department_id"`
	RegionCode    string    `bun:"region_code"`
	ValidFrom     time.Time `bun:"valid_from,nullzero"`
	ValidUntil    time.Time `bun:"valid_until,nullzero"`
	Tags          string    `bun:"tags"`
	Status        Status    `bun:"status"`
	Version       int       `bun:"version"`
	Rev           int64     `bun:"rev"`
	Changed       bool      `bun:"changed"`
	Views         int64     `bun:"views"`
	Uses          int64     `bun:"uses"`
	CreatedBy     int64     `bun:"created_by"`
	CreatedByName string    `bun:"created_by_name"`
	UpdatedBy     int64     `bun:"updated_by"`
	UpdatedByName string    `bun:"updated_by_name"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r *articleRow) article() *Article {
	return &Article{ID: r.ID, Draft: Draft{Title: r.Title, Questions: strs(r.Questions), Answer: r.Answer,
		CategoryCode: r.CategoryCode, DepartmentID: r.DepartmentID, RegionCode: r.RegionCode,
		ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, Tags: strs(r.Tags)},
		Status: r.Status, Version: r.Version, Rev: r.Rev, Changed: r.Changed, Views: r.Views, Uses: r.Uses,
		CreatedBy: r.CreatedBy, CreatedByName: r.CreatedByName, UpdatedBy: r.UpdatedBy, UpdatedByName: r.UpdatedByName,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// setDraft copies d into the row.
func (r *articleRow) setDraft(d *Draft) {
	r.Title, r.Questions, r.Answer = d.Title, jsonStrs(d.Questions), d.Answer
	r.CategoryCode, r.DepartmentID, r.RegionCode = d.CategoryCode, d.DepartmentID, d.RegionCode
	r.ValidFrom, r.ValidUntil, r.Tags = d.ValidFrom, d.ValidUntil, jsonStrs(d.Tags)
}

// versionRow is a row of kb_versions.
type versionRow struct {
	bun.BaseModel   `bun:"table:kb_versions,alias:v"`
	ArticleID       int64     `bun:"article_id,pk"`
	Version         int       `bun:"version,pk"`
	Title           string    `bun:"title"`
	Questions       string    `bun:"questions"`
	Answer          string    `bun:"answer"`
	CategoryCode    string    `bun:"category_code"`
	DepartmentID    int64     `bun:"department_id"`
	RegionCode      string    `bun:"region_code"`
	ValidFrom       time.Time `bun:"valid_from,nullzero"`
	ValidUntil      time.Time `bun:"valid_until,nullzero"`
	Tags            string    `bun:"tags"`
	Note            string    `bun:"note"`
	PublishedBy     int64     `bun:"published_by"`
	PublishedByName string    `bun:"published_by_name"`
	PublishedAt     time.Time `bun:"published_at"`
}

func (r *versionRow) version() *Version {
	return &Version{ArticleID: r.ArticleID, Version: r.Version, Draft: Draft{Title: r.Title, Questions: strs(r.Questions),
		Answer: r.Answer, CategoryCode: r.CategoryCode, DepartmentID: r.DepartmentID, RegionCode: r.RegionCode,
		ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, Tags: strs(r.Tags)},
		CategoryName: CategoryName(r.CategoryCode), Note: r.Note,
		PublishedBy: r.PublishedBy, PublishedByName: r.PublishedByName, PublishedAt: r.PublishedAt}
}

func strs(s string) []string {
	var out []string
	if json.Unmarshal([]byte(s), &out) != nil {
		return nil
	}
	return out
}

func jsonStrs(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var (
	categoryCode = regexp.MustCompile(`^[0-9]{6}$`)
	blankLine    = regexp.MustCompile(`\n\s*\n`)
)

func itoa(i int) string { return strconv.Itoa(i) }

// clean normalises d in place (trimmed text, empty and repeated questions
// and tags dropped, the department's region by default) and checks it
// against the limits and the org data. It returns the owning department.
func (m *Module) clean(ctx context.Context, d *Draft) (*org.Department, error) {
	var p problems
	d.Title = strings.TrimSpace(d.Title)
	d.Answer = strings.TrimSpace(strings.ReplaceAll(d.Answer, "\r\n", "\n"))
	d.CategoryCode = strings.TrimSpace(d.CategoryCode)
	d.RegionCode = strings.TrimSpace(d.RegionCode)
	d.Questions = dedupe(d.Questions)
	d.Tags = dedupe(d.Tags)
	switch n := utf8.RuneCountInString(d.Title); {
	case n == 0:
		p.Add("title", "请填写标题 (title is required)")
	case n > MaxTitle:
		p.Add("title", "标题不超过 %d 字 (at most %d characters)", MaxTitle, MaxTitle)
	}
	switch n := utf8.RuneCountInString(d.Answer); {
	case n == 0:
		p.Add("answer", "请填写答复内容 (answer is required)")
	case n > MaxAnswer:
		p.Add("answer", "答复不超过 %d 字 (at most %d characters)", MaxAnswer, MaxAnswer)
	}
	if len(d.Questions) > MaxQuestions {
		p.Add("questions", "相似问法不超过 %d 条 (at most %d)", MaxQuestions, MaxQuestions)
	}
	for i, q := range d.Questions {
		if utf8.RuneCountInString(q) > MaxQuestion {
			p.Add("questions["+itoa(i)+"]", "每条问法不超过 %d 字 (at most %d characters)", MaxQuestion, MaxQuestion)
		}
	}
	if len(d.Tags) > MaxTags {
		p.Add("tags", "标签不超过 %d 个 (at most %d)", MaxTags, MaxTags)
	}
	for i, t := range d.Tags {
		if utf8.RuneCountInString(t) > MaxTag {
			p.Add("tags["+itoa(i)+"]", "每个标签不超过 %d 字 (at most %d characters)", MaxTag, MaxTag)
		}
	}
	if !categoryCode.MatchString(d.CategoryCode) || d.CategoryCode == "000000" {
		p.Add("category_code", "分类编码应为 6 位数字 (category code must be six digits)")
	}
	if !d.ValidFrom.IsZero() && !d.ValidUntil.IsZero() && !d.ValidUntil.After(d.ValidFrom) {
		p.Add("valid_until", "有效期止应晚于起始日期 (valid_until must be after valid_from)")
	}
	var dept *org.Department
	if d.DepartmentID <= 0 {
		p.Add("department_id", "请选择所属部门 (department is required)")
	} else {
		var err error
		dept, err = m.department(ctx, d.DepartmentID)
		switch {
		case errors.Is(err, org.ErrNotFound):
			p.Add("department_id", "部门不存在 (no such department)")
		case err != nil:
			return nil, err
		case !dept.Active:
			p.Add("department_id", "部门已停用 (department is inactive)")
		default:
			if d.RegionCode == "" {
				d.RegionCode = dept.RegionCode
			}
			if !ids.RegionContains(dept.RegionCode, d.RegionCode) {
				p.Add("region_code", "适用区域须在部门辖区内 (region must lie within the department's region %s)", dept.RegionCode)
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return dept, nil
}

// dedupe trims, drops empty and repeated entries, keeping the first order.
func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// Short is the start of the answer, for lists.
func (v *Version) Short() string { return Excerpt(v.Answer, 120) }

// FirstValidDay is the first day of validity in China Standard Time
// (YYYY-MM-DD), or "" when unbounded.
func (d *Draft) FirstValidDay() string {
	if d.ValidFrom.IsZero() {
		return ""
	}
	return d.ValidFrom.In(web.CST).Format("2006-01-02")
}

// LastValidDay is the last day of validity in China Standard Time, or ""
// when unbounded: ValidUntil is exclusive, so the day before it when it
// falls at midnight.
func (d *Draft) LastValidDay() string {
	if d.ValidUntil.IsZero() {
		return ""
	}
	return d.ValidUntil.Add(-time.Nanosecond).In(web.CST).Format("2006-01-02")
}

// ExpiredAt reports whether validity ended by t; ExpiresSoon whether it
// ends within ExpiringWithin after t.
func (d *Draft) ExpiredAt(t time.Time) bool { return !d.ValidUntil.IsZero() && !t.Before(d.ValidUntil) }

// ExpiresSoon reports whether validity ends within ExpiringWithin after t.
func (d *Draft) ExpiresSoon(t time.Time) bool {
	return !d.ValidUntil.IsZero() && t.Before(d.ValidUntil) && d.ValidUntil.Sub(t) <= ExpiringWithin
}
