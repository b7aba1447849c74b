package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/web"
)

// auditPageSize is the audit list's page size.
const auditPageSize = 50

// maxExportRows bounds one CSV export; narrower filters export the rest.
const maxExportRows = 100_000

// auditQuery is the audit filter as typed.
type auditQuery struct {
	Action, ObjectType, ObjectID, Actor, From, To string
}

func auditQueryOf(q url.Values) auditQuery {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return auditQuery{Action: get("action"), ObjectType: get("object_type"), ObjectID: get("object_id"),
		Actor: get("actor"), From: get("from"), To: get("to")}
}

// actionFilter reads the action field: a bare word ("user") or one ending
// in "." or ".*" is a prefix; anything else ("user.create") is exact.
func actionFilter(s string) string {
	switch {
	case s == "":
		return ""
	case strings.HasSuffix(s, ".*"):
		return s
	case strings.HasSuffix(s, "."), strings.HasSuffix(s, "*"):
		return strings.TrimRight(s, ".*") + ".*"
	case !strings.Contains(s, "."):
		return s + ".*"
	}
	return s
}

// filter turns the typed filter into an audit.Filter within region. The
// actor may be given by user id or username; dates are days in CST, both
// inclusive.
func (m *Module) auditFilter(ctx context.Context, q auditQuery, region string) (audit.Filter, error) {
	f := audit.Filter{Action: actionFilter(q.Action), ObjectType: q.ObjectType, ObjectID: q.ObjectID, RegionCode: region}
	var errs []error
	if q.ObjectID != "" && q.ObjectType == "" {
		errs = append(errs, &FieldError{Name: "object_type", Message: "按对象编号筛选时须选择对象类型 (an object id needs an object type)"})
	}
	if q.Actor != "" {
		if id, err := strconv.ParseInt(q.Actor, 10, 64); err == nil && id > 0 {
			f.ActorID = id
		} else if u, err := m.d.Org.GetUserByUsername(ctx, q.Actor); err == nil {
			f.ActorID = u.ID
		} else if errors.Is(err, org.ErrNotFound) {
			errs = append(errs, &FieldError{Name: "actor", Message: "找不到该用户 (no such user)"})
		} else {
			return f, err
		}
	}
	day := func(name, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(calendar.DateLayout, s, calendar.CST)
		if err != nil {
			errs = append(errs, &FieldError{Name: name, Message: "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)"})
		}
		return t
	}
	f.Since = day("from", q.From)
	if to := day("to", q.To); !to.IsZero() {
		f.Until = to.AddDate(0, 0, 1)
	}
	return f, errors.Join(errs...)
}

// auditRow is a record as the list shows it.
type auditRow struct {
	audit.Record
	DetailText string
}

type verifyResult struct {
	Intact   bool
	Checked  int64
	BrokenAt int64
	Reason   string
}

type auditData struct {
	base
	Query     auditQuery
	Rows      []auditRow
	Pager     pager
	ExportURL string
	Errors    map[string]string
	Verify    *verifyResult
	CanVerify bool
}

func (m *Module) auditPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	m.renderAudit(w, r, a, nil)
}

func (m *Module) renderAudit(w http.ResponseWriter, r *http.Request, a *auth.Actor, v *verifyResult) {
	ctx := r.Context()
	region, err := m.auditScope(ctx, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := &auditData{Query: auditQueryOf(r.URL.Query()), Verify: v}
	q := r.URL.Query()
	q.Del("page")
	d.ExportURL = "/admin/audit/export.csv?" + q.Encode()
	status := http.StatusOK
	f, err := m.auditFilter(ctx, d.Query, region)
	page, size := pageParams(r, auditPageSize)
	if err == nil {
		f.Limit, f.Offset = size, (page-1)*size
		var recs []audit.Record
		var total int
		if recs, total, err = audit.List(ctx, m.d.DB, f); err == nil {
			for _, rec := range recs {
				d.Rows = append(d.Rows, auditRow{Record: rec, DetailText: string(rec.Detail)})
			}
			d.Pager = newPager(r.URL, page, size, total)
		}
	}
	if err != nil {
		if d.Errors = formErrors(err); d.Errors == nil {
			m.fail(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
		d.Pager = newPager(r.URL, 1, size, 0)
	}
	m.render(w, r, status, "admin/audit.html", d)
}

// verifyChain recomputes the whole chain for a reader of the audit log
// and, when the module has the head signer, checks it against the signed
// tree heads in the database and in the node's head file.
func (m *Module) verifyChain(ctx context.Context, a *auth.Actor) (*verifyResult, error) {
	if _, err := m.auditScope(ctx, a); err != nil {
		return nil, err
	}
	var checked int64
	var err error
	if h := m.d.Heads; h != nil {
		var sources []audit.HeadSource
		if hs, ferr := audit.ReadHeadFile(h.File); ferr == nil {
			sources = append(sources, audit.HeadSource{Name: filepath.Base(h.File), Heads: hs})
		} else if !errors.Is(ferr, fs.ErrNotExist) {
			return &verifyResult{Reason: ferr.Error()}, nil
		}
		var sum audit.Summary
		sum, err = audit.VerifySigned(ctx, m.d.DB, audit.NewKeys(h.PublicKey()), sources...)
		checked = sum.Entries
	} else {
		checked, err = audit.Verify(ctx, m.d.DB)
	}
	var be *audit.BrokenError
	switch {
	case err == nil:
		return &verifyResult{Intact: true, Checked: checked}, nil
	case errors.As(err, &be):
		return &verifyResult{Checked: checked, BrokenAt: be.Seq, Reason: be.Reason}, nil
	case errors.Is(err, audit.ErrBadHead):
		return &verifyResult{Checked: checked, Reason: err.Error()}, nil
	}
	return nil, err
}

// auditVerify answers the "verify chain" button. Verifying changes
// nothing, so the result is shown at once rather than after a redirect.
func (m *Module) auditVerify(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	v, err := m.verifyChain(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderAudit(w, r, a, v)
}

// csvBOM makes Excel read the file as UTF-8, so Chinese text shows.
const csvBOM = "\uFEFF"

// cell guards a CSV cell against formula injection: a spreadsheet would
// run text starting with = + - @ as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (m *Module) auditExport(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	ctx := r.Context()
	region, err := m.auditScope(ctx, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	f, err := m.auditFilter(ctx, auditQueryOf(r.URL.Query()), region)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	// Read the first page before writing anything, so that a failure
	// still gets a proper error response.
	f.Limit = audit.MaxLimit
	recs, total, err := audit.List(ctx, m.d.DB, f)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	name := "audit-" + m.d.Now().In(web.CST).Format("20060102-150405") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(csvBOM))
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what Excel writes and expects
	cw.Write([]string{m.t(r, "admin.audit.seq"), m.t(r, "admin.audit.at"), m.t(r, "admin.audit.actor_id"),
		m.t(r, "admin.audit.actor"), m.t(r, "admin.audit.action"), m.t(r, "admin.audit.object_type"),
		m.t(r, "admin.audit.object_id"), m.t(r, "admin.audit.region"), m.t(r, "admin.audit.detail"),
		m.t(r, "admin.audit.hash")})
	written := 0
	for {
		for _, rec := range recs {
			cw.Write([]string{strconv.FormatInt(rec.Seq, 10), rec.At.In(web.CST).Format("2006-01-02 15:04:05"),
				strconv.FormatInt(rec.ActorID, 10), cell(rec.ActorName), cell(rec.Action), cell(rec.ObjectType),
				cell(rec.ObjectID), rec.RegionCode, cell(string(rec.Detail)), rec.Hash})
		}
		written += len(recs)
		if len(recs) == 0 || written >= total || written >= maxExportRows {
			break
		}
		f.Offset = written
		if recs, _, err = audit.List(ctx, m.d.DB, f); err != nil {
			// Too late for an error page; the log says why the file is short.
			m.s.Logger().ErrorContext(ctx, "admin: audit export", "request_id", web.RequestID(ctx), "err", err)
			break
		}
	}
	cw.Flush()
}
