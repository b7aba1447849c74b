package entity

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Columns are the import file's columns: each field by its Chinese
// heading as registration exports name it, or its English key.
var Columns = []struct{ Key, Heading string }{
	{"uscc", "统一社会信用代码"}, {"name", "名称"}, {"type", "类型"}, {"legal_representative", "法定代表人"},
	{"legal_representative_id", "法定代表人身份证号"}, {"address", "住所"}, {"region_code", "行政区划代码"},
	{"industry", "行业代码"}, {"capital", "注册资本（万元）"}, {"established_on", "成立日期"}, {"status", "登记状态"},
	{"scope", "经营范围"},
}

// optionalColumns may be absent from a file.
var optionalColumns = map[string]bool{"legal_representative_id": true, "scope": true}

// Rejected is one rejected row of an import: its row number in the file
// (the heading is row 1), the field, and why.
type Rejected struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Report is the outcome of an import.
type Report struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// RejectedRows counts the rows refused; Rejected lists the first
	// MaxRejected of their problems.
	RejectedRows int        `json:"rejected_rows"`
	Rejected     []Rejected `json:"rejected"`
	// Applied is false when nothing was stored: the import was strict and
	// a row was refused, or it failed.
	Applied  bool          `json:"applied"`
	Duration time.Duration `json:"duration_ns"`
}

// MaxRejected bounds the problems a report lists.
const MaxRejected = 1000

// ImportOptions tune an import.
type ImportOptions struct {
	// Format is "csv" or "xlsx".
	Format string
	// SkipInvalid stores the valid rows and reports the others; without it
	// one refused row stores nothing.
	SkipInvalid bool
	// Source names the file in the history of changes.
	Source string
	// Progress, when set, is called every ProgressEvery rows and at the end.
	Progress      func(rows int)
	ProgressEvery int
}

// MayImport reports whether a may import the register: administrators,
// and the handlers of a department that keeps it (Deps.Registrars).
func (s *Service) MayImport(ctx context.Context, a *auth.Actor) (bool, error) {
	switch {
	case a == nil:
		return false, nil
	case a.HasAny(auth.RoleSystem, auth.RoleAdmin):
		return true, nil
	case !a.Has(auth.RoleHandler) || s.d.Registrars == nil:
		return false, nil
	}
	keepers, err := s.d.Registrars(ctx)
	if err != nil {
		return false, fmt.Errorf("entity: registrars: %w", err)
	}
	for _, d := range a.DepartmentIDs {
		if slices.Contains(keepers, d) {
			return true, nil
		}
	}
	return false, nil
}

// mayImportRow reports whether a may write business in: an
// administrator as the policy allows, a registrar's handler within their
// own region.
func (s *Service) mayImportRow(a *auth.Actor, in Input) bool {
	switch {
	case a.Has(auth.RoleSystem):
		return true
	case a.Has(auth.RoleAdmin):
		return s.d.Policy.Authorize(a, auth.ActAdminister, object(in.USCC, in.RegionCode)) == nil
	}
	return a.RegionCode != "" && ids.RegionContains(a.RegionCode, in.RegionCode)
}

// rowReader yields the rows of a file, the heading first.
type rowReader interface {
	next() ([]string, error) // io.EOF at the end
	close()
}

type csvRows struct{ r *csv.Reader }

func (c csvRows) next() ([]string, error) { return c.r.Read() }
func (csvRows) close()                    {}

type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
}

func (x *xlsxRows) next() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	// Raw values: a date cell is its serial day, which normalDate reads,
	// whatever display format the workbook gave it.
	return x.rows.Columns(excelize.Options{RawCellValue: true})
}

func (x *xlsxRows) close() {
	x.rows.Close()
	x.f.Close()
}

func openRows(r io.Reader, format string) (rowReader, error) {
	switch format {
	case "csv":
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		return csvRows{cr}, nil
	case "xlsx":
		f, err := excelize.OpenReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: not an xlsx workbook: %v", ErrInvalid, err)
		}
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			f.Close()
			return nil, fmt.Errorf("%w: the workbook has no sheet", ErrInvalid)
		}
		rows, err := f.Rows(sheets[0])
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("entity: read workbook: %w", err)
		}
		return &xlsxRows{f: f, rows: rows}, nil
	}
	return nil, &valid.FieldError{Path: "format", Message: "文件格式为 csv 或 xlsx (format must be csv or xlsx)"}
}

// Import loads businesses from a registration export (CSV in UTF-8, or the
// first sheet of an xlsx workbook), one business per row under a heading
// row naming the Columns. Every row is checked as Put checks one; a row
// either is stored whole or is reported with its row number and field.
// The whole import is one transaction: an interruption stores nothing, and
// without SkipInvalid one refused row stores nothing either. Administrators
// import the businesses of their region (a row of another region is
// refused); the system actor imports any.
func (s *Service) Import(ctx context.Context, a *auth.Actor, r io.Reader, opt ImportOptions) (*Report, error) {
	start := time.Now()
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if ok, err := s.MayImport(ctx, a); err != nil || !ok {
		if err == nil {
			err = auth.ErrForbidden
		}
		return nil, err
	}
	rows, err := openRows(r, opt.Format)
	if err != nil {
		return nil, err
	}
	defer rows.close()
	at, err := heading(rows, Columns, optionalColumns)
	if err != nil {
		return nil, err
	}
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 10000
	}
	if opt.Source == "" {
		opt.Source = "import"
	}
	rep := &Report{Rejected: []Rejected{}}
	today := calendar.DateOf(s.d.Now())
	errStrict := errors.New("strict import refused")
	seen := map[[18]byte]int{}
	// The transaction's function may run without the caller's
	// cancellation (SQLite's group commit): watch the caller's context, so
	// that an import stopped half way rolls back and stores nothing.
	caller := ctx
	err = s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		w, err := s.newWriter(ctx, tx, a.UserID, opt.Source)
		if err != nil {
			return err
		}
		defer w.close()
		for n := 2; ; n++ {
			rec, err := rows.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					rep.reject(n, "file", "无法解析该行 (cannot parse the row): "+pe.Err.Error())
					rep.Rows++
					continue
				}
				return fmt.Errorf("entity: import row %d: %w", n, err)
			}
			if blank(rec) {
				continue
			}
			rep.Rows++
			if err := caller.Err(); err != nil {
				return err
			}
			in, probs := rowInput(rec, at)
			if len(probs) == 0 {
				if err := check(&in, today); err != nil {
					for _, fe := range valid.Fields(err) {
						probs = append(probs, Rejected{Field: fe.Path, Message: fe.Message})
					}
				}
			}
			if len(probs) == 0 && !s.mayImportRow(a, in) {
				probs = append(probs, Rejected{Field: "region_code", Message: "不在您管理的行政区划内 (outside your region)"})
			}
			if len(probs) == 0 {
				var key [18]byte
				copy(key[:], in.USCC)
				if first, dup := seen[key]; dup {
					probs = append(probs, Rejected{Field: "uscc", Message: "与第 " + strconv.Itoa(first) + " 行重复 (repeats an earlier row)"})
				} else {
					seen[key] = n
				}
			}
			if len(probs) > 0 {
				rep.RejectedRows++
				for _, p := range probs {
					rep.reject(n, p.Field, p.Message)
				}
				continue
			}
			out, err := w.write(ctx, &in)
			if err != nil {
				return err
			}
			switch out {
			case Created:
				rep.Created++
			case Updated:
				rep.Updated++
			default:
				rep.Unchanged++
			}
			if opt.Progress != nil && rep.Rows%opt.ProgressEvery == 0 {
				opt.Progress(rep.Rows)
			}
		}
		if rep.RejectedRows > 0 && !opt.SkipInvalid {
			return errStrict
		}
		return nil
	})
	if opt.Progress != nil {
		opt.Progress(rep.Rows)
	}
	rep.Duration = time.Since(start)
	switch {
	case errors.Is(err, errStrict):
		rep.Created, rep.Updated, rep.Unchanged = 0, 0, 0
		return rep, nil
	case err != nil:
		return nil, err
	}
	rep.Applied = true
	return rep, nil
}

// reject adds one problem, within MaxRejected.
func (r *Report) reject(row int, field, msg string) {
	if len(r.Rejected) < MaxRejected {
		r.Rejected = append(r.Rejected, Rejected{Row: row, Field: field, Message: msg})
	}
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// rowInput maps one row to an Input; capital and dates are read in the
// forms registers write them.
func rowInput(rec []string, at map[string]int) (Input, []Rejected) {
	get := func(k string) string {
		i, ok := at[k]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var probs []Rejected
	in := Input{USCC: get("uscc"), Name: get("name"), Type: get("type"), LegalRep: get("legal_representative"),
		LegalRepID: get("legal_representative_id"), Address: get("address"), RegionCode: get("region_code"),
		Industry: get("industry"), Status: get("status"), Scope: get("scope")}
	capital, err := ParseCapital(get("capital"))
	if err != nil {
		probs = append(probs, Rejected{Field: "capital", Message: "注册资本应为万元数额，如 50 或 1200.5 (capital in 10,000 yuan)"})
	}
	in.CapitalYuan = capital
	d, ok := normalDate(get("established_on"))
	if !ok {
		probs = append(probs, Rejected{Field: "established_on", Message: "成立日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)"})
	}
	in.EstablishedOn = d
	return in, probs
}

// normalDate reads a date as spreadsheets and registers write it:
// 2020-01-15, 2020/1/15, 2020年1月15日, 20200115, or an Excel serial day.
func normalDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 100000 {
		// Excel's day 1 is 1900-01-01 with the 1900 leap-year bug: day 60
		// does not exist, so count from 1899-12-30.
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(calendar.DateLayout), true
	}
	r := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-")
	s = r.Replace(s)
	if len(s) == 8 && !strings.Contains(s, "-") {
		s = s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	for _, layout := range []string{"2006-01-02", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(calendar.DateLayout), true
		}
	}
	return "", false
}

// heading reads the heading row of an import file and answers the column
// of each of cols, named by its key or its Chinese heading (a UTF-8 BOM
// before the first is ignored); a column neither found nor optional is
// refused, with every missing heading named.
func heading(r rowReader, cols []struct{ Key, Heading string }, optional map[string]bool) (map[string]int, error) {
	head, err := r.next()
	if err != nil {
		return nil, fmt.Errorf("%w: the file has no heading row", ErrInvalid)
	}
	at := map[string]int{}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		for _, c := range cols {
			if h == c.Key || h == c.Heading {
				at[c.Key] = i
			}
		}
	}
	var missing []string
	for _, c := range cols {
		if _, ok := at[c.Key]; !ok && !optional[c.Key] {
			missing = append(missing, c.Heading)
		}
	}
	if len(missing) > 0 {
		return nil, &valid.FieldError{Path: "file", Message: "缺少列 (missing columns): " + strings.Join(missing, "、")}
	}
	return at, nil
}
