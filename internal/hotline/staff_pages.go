package hotline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// exportLimit bounds an export of the order list: past it the workbook
// ends with a row saying so, and the filters narrow it.
const exportLimit = 10000

// mountStaff registers the staff pages of issue 13: the extension queue,
// the order list's export, co-handling contributions and their files.
func (m *Module) mountStaff(s *web.Server) {
	s.Handle("GET /hotline/extensions", s.Require(auth.RoleDispatcher)(http.HandlerFunc(m.extensionsPage)))
	s.Handle("GET /hotline/disputes", s.Require(auth.RoleDispatcher, auth.RoleOperator, auth.RoleSupervisor)(http.HandlerFunc(m.disputesPage)))
	s.Handle("GET /hotline/orders.xlsx", s.Require(staffRoles...)(http.HandlerFunc(m.ordersExport)))
	s.Handle("POST /hotline/orders/{id}/contribute", s.Require(auth.RoleHandler)(web.MaxBytes(maxFiles*maxFileSize+1<<20)(http.HandlerFunc(m.contributeSubmit))))
	s.Handle("GET /hotline/orders/{id}/files/{fid}", s.RequireActor(http.HandlerFunc(m.fileDownload)))
}

// LeftText says time left on o's deadline the one way every hotline page
// says it (flow.Left.Text): working days where the limit is in working
// days, hours or minutes where it is on the wall clock, 已暂停 when paused,
// the working days waited while an order waits for dispatch.
func LeftText(l flow.Left, lang string) string { return l.Text(lang) }

// queueRow is one order of a queue page, with what the dispatcher needs to
// see at a glance.
type queueRow struct {
	Order
	Left     flow.Left
	Dept     string // lead department
	SentBy   string // the department that sent it back
	Suggest  string // the department it suggested
	SentWhy  string // standard reason and the sender's words
	DueLabel string // for citizens: the date an answer is due
}

// rowsOf resolves the orders of a page for display.
func (m *Module) rowsOf(ctx context.Context, a *auth.Actor, orders []Order) []queueRow {
	out := make([]queueRow, 0, len(orders))
	citizen := a != nil && a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) && !a.HasAny(staffRoles...)
	ids := make([]int64, len(orders))
	for i, o := range orders {
		ids[i] = o.InstanceID
	}
	ins, err := m.d.Flow.Instances(ctx, ids)
	if err != nil {
		m.s.Logger().ErrorContext(ctx, "hotline: instances of a page", "err", err)
	}
	for _, o := range orders {
		r := queueRow{Order: o, Dept: m.departmentName(ctx, o.LeadDept)}
		if in, ok := ins[o.InstanceID]; ok {
			r.Left = m.d.Flow.Left(ctx, in)
			if citizen {
				if due := m.answerDue(ctx, &o, in); !due.IsZero() {
					r.DueLabel = due.In(cst).Format("2006-01-02")
				}
			}
		} else {
			r.Left = flow.Left{Done: true}
		}
		if o.Status == StatusNew && !o.SentBackAt.IsZero() {
			r.SentBy, r.Suggest, r.SentWhy = m.departmentName(ctx, o.SentBackBy), m.departmentName(ctx, o.SentBackSuggest), m.sentBackWhy(&o)
		}
		out = append(out, r)
	}
	return out
}

// sentBackWhy is the standard reason of a send-back and the sender's words.
func (m *Module) sentBackWhy(o *Order) string {
	why := o.SentBackReason
	if r, ok := m.set.Reason(o.SentBackCode); ok {
		why = strings.TrimSuffix(r.Name+"。"+o.SentBackReason, "。")
	}
	return why
}

// answerDue is the date the citizen's answer is due: the reply deadline
// once the order is signed for, before that the sign-for deadline (or
// today, waiting for dispatch) plus the type's handling limit. It is what
// a citizen sees, never the internal sign-for limit.
func (m *Module) answerDue(ctx context.Context, o *Order, in *flow.Instance) time.Time {
	if !o.Open() || o.Status == StatusReplied {
		return time.Time{}
	}
	if o.Status == StatusHandling {
		return in.StateDueAt
	}
	ls, err := m.AllLimits(ctx)
	if err != nil {
		return time.Time{}
	}
	for _, l := range ls {
		if l.Type != o.Type || l.Handle.Unit != flow.WorkDays {
			continue
		}
		from := m.d.Now()
		if o.Status == StatusDispatched && !in.StateDueAt.IsZero() {
			from = in.StateDueAt
		} else {
			from = m.d.Flow.Calendar().AddWorkingDays(from, 1)
		}
		return m.d.Flow.Calendar().AddWorkingDays(from, l.Handle.N)
	}
	return time.Time{}
}

// listFilter reads the order list's filters from q onto f: status, type,
// category, department, district, date range (created, China time) and
// urgency. A value that is not one the form offers is a FieldError.
func (m *Module) listFilter(q url.Values, f *Filter) error {
	var p problems
	f.Q = strings.TrimSpace(q.Get("q"))
	if len([]rune(f.Q)) > 100 {
		p.add("q", "搜索词不超过100字 (at most 100 characters)")
	}
	if st := q.Get("status"); st != "" {
		if Status(st).Name() == "" {
			p.add("status", "状态无效 (unknown status)")
		}
		f.Status = []Status{Status(st)}
	}
	if t := q.Get("type"); t != "" {
		if !Type(t).Valid() {
			p.add("type", "诉求类型无效 (unknown request type)")
		}
		f.Type = Type(t)
	}
	if c := strings.TrimSpace(q.Get("category")); c != "" {
		if _, ok := m.Category(c); !ok {
			p.add("category", "诉求分类无效 (unknown category)")
		}
		f.CategoryCode = c
	}
	if d := q.Get("dept"); d != "" {
		id, err := strconv.ParseInt(d, 10, 64)
		if err != nil || id <= 0 {
			p.add("dept", "部门无效 (unknown department)")
		}
		f.DepartmentID = id
	}
	if r := strings.TrimSpace(q.Get("region")); r != "" {
		if ids.ValidateRegionCode(r) != nil {
			p.add("region", "行政区划代码须为6位数字 (region code must be 6 digits)")
		}
		f.RegionCode = r
	}
	for _, k := range []struct {
		name string
		dst  *time.Time
		next bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		if v := q.Get(k.name); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, cst)
			if err != nil {
				p.add(k.name, "日期格式须为 YYYY-MM-DD (date must be YYYY-MM-DD)")
				continue
			}
			if k.next {
				t = t.AddDate(0, 0, 1) // the whole "to" day
			}
			*k.dst = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		p.add("to", "结束日期不能早于开始日期 (the end is before the start)")
	}
	switch q.Get("urgent") {
	case "", "0":
	case "1":
		f.Urgent = true
	default:
		p.add("urgent", "紧急程度无效 (unknown urgency)")
	}
	return p.err()
}

// filterQuery is the query string of the list's filters, for the export
// link and the pager.
func filterQuery(q url.Values) string {
	v := url.Values{}
	for _, k := range []string{"q", "status", "type", "category", "dept", "region", "from", "to", "urgent"} {
		if x := q.Get(k); x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

// ordersExport streams the filtered order list as a workbook: at most
// exportLimit rows, read page by page by keyset, phone numbers masked.
func (m *Module) ordersExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	var f Filter
	if err := m.listFilter(r.URL.Query(), &f); err != nil {
		m.fail(w, r, err)
		return
	}
	lang := i18n.LangFrom(ctx)
	header := []string{"工单编号", "标题", "诉求类型", "诉求分类", "状态", "紧急程度", "主办部门", "行政区划", "剩余时限", "来电人", "联系电话", "受理时间"}
	if lang == i18n.EN {
		header = []string{"Number", "Title", "Type", "Category", "Status", "Urgency", "Lead department", "Region", "Time left", "Caller", "Phone", "Taken at"}
	}
	sheet := xlsx.Sheet{Name: "工单", Header: header, Stream: func(emit func([]any) error) error {
		f.Limit, f.After = 500, store.Cursor{}
		n := 0
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			orders, pg, err := m.List(ctx, a, f)
			if err != nil {
				return err
			}
			for _, row := range m.rowsOf(ctx, a, orders) {
				if n == exportLimit {
					return emit([]any{fmt.Sprintf("仅导出前%d条，请缩小筛选范围 (only the first %d rows; narrow the filters)", exportLimit, exportLimit)})
				}
				urgency := "一般"
				if row.Urgent {
					urgency = "紧急"
				}
				if err := emit([]any{row.Number, row.Title, row.Type.Name(), m.CategoryPath(row.CategoryCode), row.Status.Name(),
					urgency, row.Dept, m.regionName(ctx, row.RegionCode), row.Left.Text(lang), row.CallerName, row.CallerPhone, row.CreatedAt}); err != nil {
					return err
				}
				n++
			}
			if pg.Next.ID == 0 {
				return nil
			}
			f.After = pg.Next
		}
	}}
	if err := xlsx.Serve(w, "12345工单-"+m.d.Now().In(cst).Format("20060102")+".xlsx", sheet); err != nil {
		m.s.Logger().ErrorContext(ctx, "hotline: orders export", "err", err)
	}
}

// regionName returns the name of region code, the code when unknown.
func (m *Module) regionName(ctx context.Context, code string) string {
	if r, err := m.d.Org.GetRegion(ctx, code); err == nil && r.Name != "" {
		return r.Name
	}
	return code
}

// extensionsData is what the extension queue renders.
type extensionsData struct {
	Items []PendingExtension
	Pager web.Pager
}

func (m *Module) extensionsPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	after, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	items, pg, err := m.PendingExtensions(r.Context(), a, after, 20)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "hotline/extensions.html", extensionsData{Items: items, Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String())})
}

func (m *Module) contributeSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if web.IsTooLarge(err) {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		}
		if err2 := r.ParseForm(); err2 != nil {
			m.s.Error(w, r, http.StatusBadRequest, "")
			return
		}
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return
	}
	in := ContributionInput{Opinion: r.PostForm.Get("opinion"), ReplyPart: r.PostForm.Get("reply_part")}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				m.fail(w, r, err)
				return
			}
			data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
			f.Close()
			if err != nil {
				m.fail(w, r, err)
				return
			}
			in.Files = append(in.Files, FileInput{Name: fh.Filename, Data: data})
		}
	}
	_, err = m.Contribute(ctx, a, id, in)
	m.afterAction(w, r, id, err)
}

func (m *Module) fileDownload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	fid, err2 := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	if err1 != nil || err2 != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	f, data, err := m.ContributionFileData(ctx, auth.FromContext(ctx), id, fid)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(data)
}

// disputesData is what the jurisdiction-dispute queue renders.
type disputesData struct {
	Items []Dispute
	Days  int
}

// disputesPage lists the open jurisdiction disputes of the caller's
// region, the one due first first.
func (m *Module) disputesPage(w http.ResponseWriter, r *http.Request) {
	items, err := m.Disputes(r.Context(), auth.FromContext(r.Context()))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "hotline/disputes.html", disputesData{Items: items, Days: m.set.DisputeDays})
}
