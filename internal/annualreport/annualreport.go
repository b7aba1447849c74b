// Package annualreport is the annual report (年度报告) of businesses under
// 企业信息公示暂行条例: a business files its report for the previous year
// in the window (1 January to 30 June by default) and may correct it; the
// fields of 第九条 第一至六项 are public, those of 第七项 (employees,
// assets, revenue, tax, …) public only where the business chooses. A
// business that has not filed is reminded before the deadline, and on the
// day after it every business of the register that owed a report and did
// not file is listed on the 经营异常名录 (reason annual_report) through
// the credit module, each with its decision number; a business that files
// afterwards applies for removal, which the listing department decides.
package annualreport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of annual reports.
const ObjectKind = "annual_report"

// Outbox topics the module writes.
const (
	// TopicFiled: a report was filed (not on corrections); the app writes
	// the credit record of kind annual_report from it.
	TopicFiled = "annualreport.filed"
	// TopicReminder: remind the business's users to file.
	TopicReminder = "annualreport.reminder"
)

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	ErrState    = stateError{"annualreport: not allowed in the current state (当前状态不允许此操作)"}
	// ErrClosed: outside the filing window and not listed for the year.
	ErrClosed = stateError{"annualreport: the filing window is closed (不在年度报告报送期内)"}
	// ErrFiled: the year's report exists; correct it instead.
	ErrFiled = stateError{"annualreport: the report for this year is already filed (该年度报告已报送，请更正)"}
)

type notFound struct{}

func (notFound) Error() string  { return "annualreport: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type stateError struct{ msg string }

func (e stateError) Error() string { return e.msg }
func (stateError) Conflict() bool  { return true }

// Register is what the module needs from the register of businesses.
type Register interface {
	Get(ctx context.Context, a *auth.Actor, uscc string) (*entity.Entity, error)
	Roster(ctx context.Context, statuses []string, establishedBy calendar.Date, after string, limit int) ([]entity.Brief, error)
}

// Credit is what the module needs from the credit module.
type Credit interface {
	ListAsAbnormal(ctx context.Context, a *auth.Actor, in credit.AbnormalInput) (*credit.Abnormal, error)
	RemoveAbnormal(ctx context.Context, a *auth.Actor, id int64, on, decisionNo string) (*credit.Abnormal, error)
	StateOf(ctx context.Context, a *auth.Actor, uscc string, asOf calendar.Date) (*credit.State, error)
	Keepers(ctx context.Context, kind string) ([]int64, error)
}

// Deps are the services the module uses.
type Deps struct {
	DB       *store.DB
	Box      *pii.Box
	Policy   *auth.Policy
	Audit    *audit.Log
	Org      *org.Service
	Register Register
	Credit   Credit
	// Rules are the province's rules; nil means the national defaults.
	Rules *Rules
	Now   func() time.Time
}

// Module is the annual-report service, its pages and API.
type Module struct {
	d Deps
	s *web.Server
}

// New checks d and returns the module, registering its kind.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Box == nil || d.Policy == nil || d.Audit == nil || d.Register == nil || d.Credit == nil || d.Org == nil {
		return nil, errors.New("annualreport: DB, Box, Policy, Audit, Org, Register and Credit are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rules == nil {
		d.Rules = DefaultRules()
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("annualreport: %w", err)
	}
	return &Module{d: d}, nil
}

// PolicyRules: a business files and reads its own reports; staff of every
// department read them (supervision shares them); handlers and approvers
// of the department that listed a business decide its removal.
func PolicyRules() auth.KindRules {
	all := auth.ScopeAll
	return auth.KindRules{
		auth.ActRead: {auth.RoleClerk: all, auth.RoleHandler: all, auth.RoleApprover: all, auth.RoleSupervisor: all,
			auth.RoleAdmin: all, auth.RoleEnterprise: auth.ScopeOwn},
		auth.ActCreate: {auth.RoleEnterprise: auth.ScopeOwn},
		auth.ActAct:    {auth.RoleHandler: auth.ScopeDepartment, auth.RoleApprover: auth.ScopeDepartment},
	}
}

// Rules returns the rules in force.
func (m *Module) Rules() *Rules { return m.d.Rules }

func (m *Module) today() calendar.Date { return calendar.DateOf(m.d.Now()) }

// Figures are the 第七项 figures, by name: a business chooses which are
// public. Employees is a count; the others are money in fen.
var Figures = []string{"employees", "assets", "liabilities", "guarantees", "equity", "revenue", "main_revenue",
	"profit", "net_profit", "tax"}

// OperatingStatuses are the 存续状态 of 第九条 第二项.
var OperatingStatuses = []string{"开业", "歇业", "清算"}

// ContributionMethods are the forms of a shareholder's contribution.
var ContributionMethods = []string{"货币", "实物", "知识产权", "土地使用权", "股权", "其他"}

// Investment is a business the reporting one set up or bought into (第三项).
type Investment struct {
	Name string `json:"name" maxLength:"200"`
	USCC string `json:"uscc,omitempty" maxLength:"18"`
}

// Contribution is one shareholder's subscribed and paid-in capital (第四项).
type Contribution struct {
	Shareholder   string `json:"shareholder" maxLength:"200"`
	SubscribedFen int64  `json:"subscribed_fen" minimum:"0"`
	SubscribedOn  string `json:"subscribed_on,omitempty" doc:"YYYY-MM-DD"`
	PaidFen       int64  `json:"paid_fen" minimum:"0"`
	PaidOn        string `json:"paid_on,omitempty" doc:"YYYY-MM-DD"`
	Method        string `json:"method" maxLength:"10"`
}

// Transfer is a change of a shareholder's equity (第五项).
type Transfer struct {
	Shareholder string `json:"shareholder" maxLength:"200"`
	BeforePct   string `json:"before_pct" maxLength:"10"`
	AfterPct    string `json:"after_pct" maxLength:"10"`
	On          string `json:"on" doc:"YYYY-MM-DD"`
}

// Website is a website or an online shop (第六项).
type Website struct {
	Kind string `json:"kind" enum:"website,shop"`
	Name string `json:"name" maxLength:"100"`
	URL  string `json:"url" maxLength:"300"`
}

// Content is what a report says.
type Content struct {
	// 第一项: contact.
	Address  string `json:"address" maxLength:"300"`
	Postcode string `json:"postcode" pattern:"^[0-9]{6}$"`
	Phone    string `json:"phone" maxLength:"20" doc:"Stored sealed; shown masked to the public"`
	Email    string `json:"email,omitempty" maxLength:"100"`
	// 第二项.
	OperatingStatus string `json:"operating_status" enum:"开业,歇业,清算"`
	// 第三至六项.
	Investments   []Investment   `json:"investments" maxItems:"50"`
	Contributions []Contribution `json:"contributions" maxItems:"200"`
	Transfers     []Transfer     `json:"transfers" maxItems:"200"`
	Websites      []Website      `json:"websites" maxItems:"50"`
	// 第七项: every figure is required; PublicFigures names those the
	// business makes public.
	Figures       map[string]int64 `json:"figures" doc:"employees (count), assets, liabilities, guarantees, equity, revenue, main_revenue, profit, net_profit, tax (fen)"`
	PublicFigures []string         `json:"public_figures" maxItems:"10"`
}

// Report is a filed report.
type Report struct {
	ID          int64     `json:"id"`
	USCC        string    `json:"uscc"`
	Year        int       `json:"year"`
	Name        string    `json:"name"`
	RegionCode  string    `json:"region_code"`
	FiledOn     string    `json:"filed_on"`
	Late        bool      `json:"late" doc:"Filed after the window (补报)"`
	FiledAt     time.Time `json:"filed_at"`
	CorrectedAt time.Time `json:"corrected_at,omitzero"`
	Corrections int       `json:"corrections"`
	Version     int64     `json:"version"`
	Content     Content   `json:"content"`
}

// PublicReport is what the public sees: 第一至六项, and of 第七项 only the
// figures the business made public; the phone masked.
type PublicReport struct {
	USCC            string           `json:"uscc"`
	Year            int              `json:"year"`
	Name            string           `json:"name"`
	FiledOn         string           `json:"filed_on"`
	Late            bool             `json:"late"`
	Corrections     int              `json:"corrections"`
	Address         string           `json:"address"`
	Postcode        string           `json:"postcode"`
	Phone           string           `json:"phone" doc:"Masked"`
	Email           string           `json:"email,omitempty"`
	OperatingStatus string           `json:"operating_status"`
	Investments     []Investment     `json:"investments"`
	Contributions   []Contribution   `json:"contributions"`
	Transfers       []Transfer       `json:"transfers"`
	Websites        []Website        `json:"websites"`
	Figures         map[string]int64 `json:"figures" doc:"Only the figures the business made public"`
}

// Public returns the public view of r.
func (r *Report) Public() PublicReport {
	c := r.Content
	p := PublicReport{USCC: r.USCC, Year: r.Year, Name: r.Name, FiledOn: r.FiledOn, Late: r.Late, Corrections: r.Corrections,
		Address: c.Address, Postcode: c.Postcode, Phone: pii.MaskPhone(c.Phone), Email: c.Email, OperatingStatus: c.OperatingStatus,
		Investments: c.Investments, Contributions: c.Contributions, Transfers: c.Transfers, Websites: c.Websites,
		Figures: map[string]int64{}}
	for _, f := range c.PublicFigures {
		if v, ok := c.Figures[f]; ok {
			p.Figures[f] = v
		}
	}
	return p
}

var (
	postcodePattern = regexp.MustCompile(`^[0-9]{6}$`)
	phonePattern    = regexp.MustCompile(`^[0-9+\-() ]{7,20}$`)
	pctPattern      = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,2})?$`)
)

// check validates c, every problem at once, naming the field.
func check(c *Content, today calendar.Date) error {
	var p valid.Problems
	text := func(path string, v *string, max int, required bool) {
		*v = strings.TrimSpace(*v)
		switch {
		case *v == "" && required:
			p.Add(path, "必填 (required)")
		case utf8.RuneCountInString(*v) > max:
			p.Add(path, "不超过%d字 (at most %d characters)", max, max)
		case valid.Text(path, *v) != nil:
			p.Add(path, "含有不允许的控制字符 (control characters are not allowed)")
		}
	}
	date := func(path string, v *string, required bool) {
		*v = strings.TrimSpace(*v)
		if *v == "" {
			if required {
				p.Add(path, "必填 (required)")
			}
			return
		}
		d, err := calendar.ParseDate(*v)
		switch {
		case err != nil:
			p.Add(path, "日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)")
		case d.After(today):
			p.Add(path, "日期不能晚于今天 (cannot be in the future)")
		}
	}
	text("address", &c.Address, 300, true)
	if c.Postcode = strings.TrimSpace(c.Postcode); !postcodePattern.MatchString(c.Postcode) {
		p.Add("postcode", "邮政编码为6位数字 (six-digit postcode)")
	}
	if c.Phone = strings.TrimSpace(c.Phone); !phonePattern.MatchString(c.Phone) {
		p.Add("phone", "联系电话不正确 (invalid phone number)")
	}
	if c.Email = strings.TrimSpace(c.Email); c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 100 {
			p.Add("email", "电子邮箱不正确 (invalid e-mail address)")
		}
	}
	if !slices.Contains(OperatingStatuses, c.OperatingStatus) {
		p.Add("operating_status", "存续状态为 开业、歇业 或 清算 (operating status)")
	}
	for i := range c.Investments {
		x := &c.Investments[i]
		text(fmt.Sprintf("investments[%d].name", i), &x.Name, 200, true)
		if x.USCC = ids.NormalizeUSCC(x.USCC); x.USCC != "" && ids.ValidateUSCC(x.USCC) != nil {
			p.Add(fmt.Sprintf("investments[%d].uscc", i), "统一社会信用代码不正确 (invalid unified social credit code)")
		}
	}
	for i := range c.Contributions {
		x := &c.Contributions[i]
		path := fmt.Sprintf("contributions[%d]", i)
		text(path+".shareholder", &x.Shareholder, 200, true)
		if x.SubscribedFen < 0 || x.PaidFen < 0 {
			p.Add(path+".paid_fen", "出资额不能为负 (amounts may not be negative)")
		}
		if x.PaidFen > x.SubscribedFen {
			p.Add(path+".paid_fen", "实缴不能超过认缴 (paid-in may not exceed subscribed)")
		}
		date(path+".subscribed_on", &x.SubscribedOn, false)
		date(path+".paid_on", &x.PaidOn, x.PaidFen > 0)
		if !slices.Contains(ContributionMethods, x.Method) {
			p.Add(path+".method", "出资方式为 %s 之一 (method of contribution)", strings.Join(ContributionMethods, "、"))
		}
	}
	for i := range c.Transfers {
		x := &c.Transfers[i]
		path := fmt.Sprintf("transfers[%d]", i)
		text(path+".shareholder", &x.Shareholder, 200, true)
		for _, f := range []struct {
			n string
			v *string
		}{{"before_pct", &x.BeforePct}, {"after_pct", &x.AfterPct}} {
			*f.v = strings.TrimSuffix(strings.TrimSpace(*f.v), "%")
			if n, err := strconv.ParseFloat(*f.v, 64); !pctPattern.MatchString(*f.v) || err != nil || n > 100 {
				p.Add(path+"."+f.n, "持股比例为0至100 (a percentage from 0 to 100)")
			}
		}
		date(path+".on", &x.On, true)
	}
	for i := range c.Websites {
		x := &c.Websites[i]
		path := fmt.Sprintf("websites[%d]", i)
		if x.Kind != "website" && x.Kind != "shop" {
			p.Add(path+".kind", "类型为网站(website)或网店(shop)")
		}
		text(path+".name", &x.Name, 100, true)
		x.URL = strings.TrimSpace(x.URL)
		if u, err := url.Parse(x.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(x.URL) > 300 {
			p.Add(path+".url", "网址须以 http:// 或 https:// 开头 (an http or https address)")
		}
	}
	for _, f := range Figures {
		v, ok := c.Figures[f]
		switch {
		case !ok:
			p.Add("figures."+f, "必填 (required)")
		case v < 0 && f != "profit" && f != "net_profit" && f != "equity":
			p.Add("figures."+f, "不能为负 (may not be negative)")
		}
	}
	for k := range c.Figures {
		if !slices.Contains(Figures, k) {
			p.Add("figures."+k, "未知的项目 (unknown figure)")
		}
	}
	pub := slices.Clone(c.PublicFigures)
	slices.Sort(pub)
	c.PublicFigures = slices.Compact(pub)
	for _, f := range c.PublicFigures {
		if !slices.Contains(Figures, f) {
			p.Add("public_figures", "未知的项目 %s (unknown figure)", f)
		}
	}
	if c.Investments == nil {
		c.Investments = []Investment{}
	}
	if c.Contributions == nil {
		c.Contributions = []Contribution{}
	}
	if c.Transfers == nil {
		c.Transfers = []Transfer{}
	}
	if c.Websites == nil {
		c.Websites = []Website{}
	}
	if c.PublicFigures == nil {
		c.PublicFigures = []string{}
	}
	if len(p) > 0 {
		return p.Err()
	}
	return nil
}

// object describes the reports of business uscc in region.
func object(uscc, region string) auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: region, OwnerUSCC: uscc}
}

// sealed returns c's JSON with the phone taken out, and the sealed phone.
func (m *Module) sealed(c Content) (string, string, error) {
	phone := m.d.Box.Seal(c.Phone)
	c.Phone = ""
	b, err := json.Marshal(c)
	if err != nil {
		return "", "", fmt.Errorf("annualreport: encode: %w", err)
	}
	return string(b), phone, nil
}

// File files business uscc's report for year. On time within the window;
// after it only while the business is listed as abnormal for that year
// (补报, the first step to removal). One report per business and year:
// afterwards it is corrected.
func (m *Module) File(ctx context.Context, a *auth.Actor, uscc string, year int, c Content) (*Report, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	e, err := m.d.Register.Get(ctx, auth.System(), uscc)
	if errors.Is(err, entity.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActCreate, object(e.USCC, e.RegionCode)) != nil {
		return nil, ErrNotFound
	}
	today := m.today()
	if err := check(&c, today); err != nil {
		return nil, err
	}
	from, to := m.d.Rules.Window(year)
	late := false
	switch {
	case year < 1900 || year >= today.Year():
		return nil, &valid.FieldError{Path: "year", Message: "只能报送以前年度的报告 (only a past year)"}
	case today.Before(from):
		return nil, ErrClosed
	case today.After(to):
		listed, err := m.listing(ctx, m.d.DB, e.USCC, year)
		if err != nil {
			return nil, err
		}
		if listed == nil {
			return nil, ErrClosed
		}
		late = true
	}
	content, phone, err := m.sealed(c)
	if err != nil {
		return nil, err
	}
	pub, _ := json.Marshal(c.PublicFigures)
	var id int64
	now := m.d.Now()
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM annual_reports WHERE uscc = ? AND year = ?", e.USCC, year).Scan(&n); err != nil {
			return fmt.Errorf("annualreport: file: %w", err)
		}
		if n > 0 {
			return ErrFiled
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO annual_reports (uscc, year, name, region_code, content, phone_enc, public_fields,
			filed_on, late, filed_at, filed_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
			e.USCC, year, e.Name, e.RegionCode, content, phone, string(pub), today.String(), late, store.Time(now), a.UserID).Scan(&id)
		if store.IsUniqueViolation(err) {
			return ErrFiled
		}
		if err != nil {
			return fmt.Errorf("annualreport: file: %w", err)
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "annualreport.file",
			ObjectType: "annual_report", ObjectID: strconv.FormatInt(id, 10), RegionCode: e.RegionCode,
			Detail: map[string]any{"uscc": e.USCC, "year": year, "late": late, "public_figures": c.PublicFigures}}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, now, TopicFiled, map[string]any{"id": id, "uscc": e.USCC, "year": year,
			"filed_on": today.String(), "late": late})
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, e.USCC, year)
}

// Correct replaces the content of a filed report (更正), keeping the count
// of corrections; version, when not 0, must be the version read.
func (m *Module) Correct(ctx context.Context, a *auth.Actor, uscc string, year int, c Content, version int64) (*Report, error) {
	r, err := m.Get(ctx, a, uscc, year)
	if err != nil {
		return nil, err
	}
	if !a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActCreate, object(r.USCC, r.RegionCode)) != nil {
		return nil, ErrNotFound
	}
	if err := check(&c, m.today()); err != nil {
		return nil, err
	}
	content, phone, err := m.sealed(c)
	if err != nil {
		return nil, err
	}
	pub, _ := json.Marshal(c.PublicFigures)
	now := store.Time(m.d.Now())
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		q := `UPDATE annual_reports SET content = ?, phone_enc = ?, public_fields = ?, corrected_at = ?, corrections = corrections + 1,
			version = version + 1 WHERE id = ?`
		args := []any{content, phone, string(pub), now, r.ID}
		if version != 0 {
			q += " AND version = ?"
			args = append(args, version)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("annualreport: correct: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "annualreport.correct",
			ObjectType: "annual_report", ObjectID: strconv.FormatInt(r.ID, 10), RegionCode: r.RegionCode,
			Detail: map[string]any{"uscc": r.USCC, "year": year, "public_figures": c.PublicFigures}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, uscc, year)
}

const reportCols = `id, uscc, year, name, region_code, content, phone_enc, filed_on, late, filed_at, corrected_at, corrections, version`

func (m *Module) scan(r interface{ Scan(...any) error }) (*Report, error) {
	var rep Report
	var content, phone string
	var corrected sql.NullTime
	if err := r.Scan(&rep.ID, &rep.USCC, &rep.Year, &rep.Name, &rep.RegionCode, &content, &phone, &rep.FiledOn, &rep.Late,
		&rep.FiledAt, &corrected, &rep.Corrections, &rep.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(content), &rep.Content); err != nil {
		return nil, fmt.Errorf("annualreport: report %d: %w", rep.ID, err)
	}
	p, err := m.d.Box.Open(phone)
	if err != nil {
		return nil, fmt.Errorf("annualreport: report %d: phone: %w", rep.ID, err)
	}
	rep.Content.Phone = p
	rep.FiledAt = rep.FiledAt.UTC()
	if corrected.Valid {
		rep.CorrectedAt = corrected.Time.UTC()
	}
	return &rep, nil
}

// Get returns business uscc's report for year, if a may read it.
func (m *Module) Get(ctx context.Context, a *auth.Actor, uscc string, year int) (*Report, error) {
	r, err := m.scan(m.d.DB.QueryRowContext(ctx, "SELECT "+reportCols+" FROM annual_reports WHERE uscc = ? AND year = ?",
		ids.NormalizeUSCC(uscc), year))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("annualreport: get %s %d: %w", uscc, year, err)
	}
	if a == nil || (!a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object(r.USCC, r.RegionCode)) != nil) {
		return nil, ErrNotFound
	}
	// The phone is shown whole only to the business itself.
	if !a.Has(auth.RoleSystem) && (!a.Has(auth.RoleEnterprise) || a.USCC != r.USCC) {
		r.Content.Phone = pii.MaskPhone(r.Content.Phone)
	}
	return r, nil
}

// GetPublic returns the public view of a report: anyone may read it.
func (m *Module) GetPublic(ctx context.Context, uscc string, year int) (*PublicReport, error) {
	r, err := m.Get(ctx, auth.System(), uscc, year)
	if err != nil {
		return nil, err
	}
	p := r.Public()
	return &p, nil
}

// Mine returns the reports of a's business, newest year first.
func (m *Module) Mine(ctx context.Context, a *auth.Actor) ([]Report, error) {
	if a == nil || !a.Has(auth.RoleEnterprise) || a.USCC == "" {
		return nil, auth.ErrForbidden
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+reportCols+" FROM annual_reports WHERE uscc = ? ORDER BY year DESC LIMIT 50", a.USCC)
	if err != nil {
		return nil, fmt.Errorf("annualreport: mine: %w", err)
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := m.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}
