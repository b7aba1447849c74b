package fairreview

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// Rejected names a file of a stock import that was refused and why.
type Rejected struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// ImportError refuses a whole import: nothing is stored when any file is
// rejected.
type ImportError struct{ Rejected []Rejected }

// Field makes the refusal a 422 naming the upload.
func (e *ImportError) Field() string { return "file" }

func (e *ImportError) Error() string {
	names := make([]string, len(e.Rejected))
	for i, r := range e.Rejected {
		names[i] = r.Name + ": " + r.Reason
	}
	return "fairreview: import refused (导入被拒绝): " + strings.Join(names, "; ")
}

// Verdicts of the stock clean-up (存量清理).
const (
	VerdictKeep   = "keep"   // 保留
	VerdictAmend  = "amend"  // 修订
	VerdictRepeal = "repeal" // 废止
)

// StockItem is one existing document of a clean-up with its screening
// verdict and reasons.
type StockItem struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"`
}

// maxImport bounds one import.
const maxImport = 2000

// ImportStock reads a zip of .txt or .docx documents of the actor's department,
// screens each and registers it as an issued measure of the stock with a
// verdict: keep when nothing is found, amend when some clauses are flagged,
// repeal when most are. Any bad file (not .txt, not UTF-8, empty, control
// characters) refuses the whole import, naming every bad file; nothing is
// half-imported. progress, if not nil, is called after each file screened.
//
// .docx documents are read with DocxText.
func (m *Module) ImportStock(ctx context.Context, a Actor, zipData []byte, progress func(done, total int)) ([]StockItem, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
	if err != nil {
		return nil, &FieldError{"file", "不是有效的 zip 文件 (not a zip archive)"}
	}
	type doc struct{ name, text string }
	var docs []doc
	var bad []Rejected
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := f.Name
		ext := strings.ToLower(path.Ext(name))
		if ext != ".txt" && ext != ".docx" {
			bad = append(bad, Rejected{name, "仅接受 .txt 或 .docx (only .txt or .docx)"})
			continue
		}
		if f.UncompressedSize64 > 4<<20 {
			bad = append(bad, Rejected{name, "超过 4 MB (too large)"})
			continue
		}
		rc, err := f.Open()
		if err != nil {
			bad = append(bad, Rejected{name, "无法读取 (unreadable)"})
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, 4<<20+1))
		rc.Close()
		if err != nil {
			bad = append(bad, Rejected{name, "无法读取 (unreadable)"})
			continue
		}
		if ext == ".docx" {
			t, err := DocxText(b)
			if err != nil {
				bad = append(bad, Rejected{name, "无法读取 .docx (unreadable docx)"})
				continue
			}
			b = []byte(t)
		}
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(b) {
			bad = append(bad, Rejected{name, "不是 UTF-8 文本 (not UTF-8)"})
			continue
		}
		if err := checkText("body", string(b), 2000000, true); err != nil {
			bad = append(bad, Rejected{name, "空文件或含控制字符 (empty or control characters)"})
			continue
		}
		docs = append(docs, doc{name, string(b)})
	}
	if len(docs)+len(bad) > maxImport {
		return nil, &FieldError{"file", fmt.Sprintf("一次最多导入 %d 个文件 (too many files)", maxImport)}
	}
	if len(bad) > 0 {
		return nil, &ImportError{Rejected: bad}
	}
	if len(docs) == 0 {
		return nil, &FieldError{"file", "zip 中没有文件 (no files)"}
	}
	items := make([]StockItem, len(docs))
	screened := make([]string, len(docs))
	for i, d := range docs {
		clauses, err := m.d.Screener.Screen(ctx, d.text)
		if err != nil {
			return nil, fmt.Errorf("fairreview: screen %s: %w", d.name, err)
		}
		flagged := 0
		it := StockItem{Name: d.name, Reasons: []string{}}
		for _, c := range clauses {
			if len(c.Findings) > 0 {
				flagged++
				for _, f := range c.Findings {
					it.Reasons = append(it.Reasons, f.Article+"："+f.Explanation)
				}
			}
		}
		switch {
		case flagged == 0:
			it.Verdict = VerdictKeep
			it.Reasons = append(it.Reasons, "未发现违反审查标准的条款")
		case flagged*2 > len(clauses):
			it.Verdict = VerdictRepeal
		default:
			it.Verdict = VerdictAmend
		}
		items[i] = it
		screened[i] = d.text
		if progress != nil {
			progress(i+1, len(docs))
		}
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i, d := range docs {
			title := strings.TrimSuffix(path.Base(d.name), path.Ext(d.name))
			if err := store.QueryRow(ctx, tx, `INSERT INTO fr_measures (department_id, region_code, kind, title, body, touches,
				county_level, to_congress, status, conclusion, reviewed_body, issued_body, self_review, created_by, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				a.DepartmentID, a.Region, "其他政策措施", title, screened[i], true, false, false, StatusIssued,
				"stock:"+items[i].Verdict, screened[i], screened[i], strings.Join(items[i].Reasons, "\n"), a.UserID,
				m.d.Now().UTC()).Scan(&items[i].ID); err != nil {
				return fmt.Errorf("fairreview: import %s: %w", d.name, err)
			}
		}
		return m.audit(ctx, tx, a, "stock.import", "fr_measure", items[0].ID, a.Region, map[string]any{"files": len(docs)})
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// Figures are one department's yearly counts.
type Figures struct {
	DepartmentID int64 `json:"department_id"`
	Registered   int   `json:"registered"`
	NoReview     int   `json:"no_review"`
	Concluded    int   `json:"concluded"`
	Issued       int   `json:"issued"`
	Forbidden    int   `json:"forbidden"`
	Exceptions   int   `json:"exceptions"`
}

// YearFigures counts the measures registered in year per department of the
// actor's region (supervisors and the review office).
func (m *Module) YearFigures(ctx context.Context, a Actor, year int) ([]Figures, error) {
	if !a.Office && !a.Supervisor {
		return nil, ErrNotFound
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	rows, err := store.Query(ctx, m.d.DB, `SELECT department_id, status, conclusion FROM fr_measures
		WHERE region_code LIKE ? AND created_at >= ? AND created_at < ? ORDER BY department_id`,
		regionPrefix(a.Region)+"%", from, to)
	if err != nil {
		return nil, fmt.Errorf("fairreview: figures: %w", err)
	}
	defer rows.Close()
	var out []Figures
	for rows.Next() {
		var dept int64
		var status, conclusion string
		if err := rows.Scan(&dept, &status, &conclusion); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].DepartmentID != dept {
			out = append(out, Figures{DepartmentID: dept})
		}
		f := &out[len(out)-1]
		f.Registered++
		switch status {
		case StatusNoReview:
			f.NoReview++
		case StatusIssued:
			f.Issued++
		}
		if conclusion != "" {
			f.Concluded++
		}
		if conclusion == ConclusionForbid {
			f.Forbidden++
		}
		if conclusion == ConclusionException {
			f.Exceptions++
		}
	}
	return out, rows.Err()
}

// WriteFiguresXLSX writes figures as a workbook; name maps a department id
// to its name.
func WriteFiguresXLSX(w io.Writer, year int, figs []Figures, name func(int64) string) error {
	s := xlsx.Sheet{Name: fmt.Sprintf("%d年公平竞争审查", year),
		Header: []string{"部门", "登记", "无需审查", "出具结论", "已出台", "不得出台", "适用例外"}}
	for _, f := range figs {
		s.Rows = append(s.Rows, []any{name(f.DepartmentID), f.Registered, f.NoReview, f.Concluded, f.Issued, f.Forbidden, f.Exceptions})
	}
	return xlsx.Write(w, s)
}
