package xlsx

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Parsed forms of the parts the tests read back.
type xWorksheet struct {
	Views []struct {
		Pane *struct {
			YSplit string `xml:"ySplit,attr"`
			State  string `xml:"state,attr"`
		} `xml:"pane"`
	} `xml:"sheetViews>sheetView"`
	Cols []struct {
		Min   int     `xml:"min,attr"`
		Width float64 `xml:"width,attr"`
	} `xml:"cols>col"`
	Rows []struct {
		R     int     `xml:"r,attr"`
		Cells []xCell `xml:"c"`
	} `xml:"sheetData>row"`
}

type xCell struct {
	R  string `xml:"r,attr"`
	T  string `xml:"t,attr"`
	S  int    `xml:"s,attr"`
	V  string `xml:"v"`
	IS string `xml:"is>t"`
}

type xSST struct {
	Count int      `xml:"uniqueCount,attr"`
	SI    []string `xml:"si>t"`
}

// excelUnescape decodes the _xHHHH_ escapes Excel applies to text after XML
// parsing, as Excel reads it.
func excelUnescape(s string) string {
	return regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`).ReplaceAllStringFunc(s, func(m string) string {
		r, _ := strconv.ParseUint(m[2:6], 16, 32)
		return string(rune(r))
	})
}

type xWorkbook struct {
	Sheets []struct {
		Name string `xml:"name,attr"`
	} `xml:"sheets>sheet"`
}

func readPart(t *testing.T, zr *zip.Reader, name string, v any) {
	t.Helper()
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	if err := xml.NewDecoder(f).Decode(v); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
}

func openWorkbook(t *testing.T, b []byte) *zip.Reader {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("reopen archive: %v", err)
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
		"xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/sharedStrings.xml"} {
		var any struct{}
		readPart(t, zr, name, &any) // every part is well-formed XML
	}
	return zr
}

type status string

func TestWriteCells(t *testing.T) {
	at := time.Date(2024, 5, 1, 6, 30, 0, 0, time.UTC) // 14:30 in Beijing
	big := int64(110101199003074578)
	name := "张三"
	var nilPtr *string
	sheets := []Sheet{{
		Name:   "工单",
		Header: []string{"编号", "标题", "数量", "金额", "已办结", "受理时间", "期限", "备注"},
		Rows: [][]any{
			{int64(1), "营业执照办理指南", 3, 12.5, true, at, Date(at), nil},
			{2, "食品经营许可", int32(-7), float32(0.25), false, time.Time{}, nil, "  前后空格 "},
			{big, "控制\x00字符\x1f去掉\ufffe", uint8(9), math.NaN(), &name, nilPtr, status("已受理"), "_x0041_ <b>&amp;\"\r\n"},
			{sql.NullString{String: "有值", Valid: true}, sql.NullInt64{}, "营业执照办理指南"},
		},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, sheets...); err != nil {
		t.Fatal(err)
	}
	zr := openWorkbook(t, buf.Bytes())
	var sst xSST
	readPart(t, zr, "xl/sharedStrings.xml", &sst)
	var ws xWorksheet
	readPart(t, zr, "xl/worksheets/sheet1.xml", &ws)

	// value resolves a cell to (type, text), following shared strings.
	cells := map[string]xCell{}
	for _, r := range ws.Rows {
		for _, c := range r.Cells {
			cells[c.R] = c
		}
	}
	value := func(ref string) (string, string) {
		c, ok := cells[ref]
		if !ok {
			return "empty", ""
		}
		switch c.T {
		case "s":
			i, err := strconv.Atoi(c.V)
			if err != nil || i >= len(sst.SI) {
				t.Fatalf("%s: bad shared string index %q", ref, c.V)
			}
			return "str", excelUnescape(sst.SI[i])
		case "inlineStr":
			return "str", excelUnescape(c.IS)
		case "":
			return "n", c.V
		}
		return c.T, c.V
	}
	tests := []struct {
		ref, typ, text string
		style          int
	}{
		{"A1", "str", "编号", styleHeader},
		{"H1", "str", "备注", styleHeader},
		{"A2", "n", "1", 0},
		{"B2", "str", "营业执照办理指南", 0},
		{"C2", "n", "3", 0},
		{"D2", "n", "12.5", 0},
		{"E2", "b", "1", 0},
		{"F2", "n", "45413.604166666664", styleDateTime}, // 2024-05-01 14:30 CST
		{"G2", "n", "45413", styleDate},
		{"H2", "empty", "", 0},
		{"B3", "str", "食品经营许可", 0},
		{"C3", "n", "-7", 0},
		{"D3", "n", "0.25", 0},
		{"E3", "b", "0", 0},
		{"F3", "empty", "", 0}, // zero time
		{"G3", "empty", "", 0},
		{"H3", "str", "  前后空格 ", 0},
		{"A4", "str", "110101199003074578", 0}, // beyond 15 digits: text, not rounded
		{"B4", "str", "控制字符去掉", 0},
		{"C4", "n", "9", 0},
		{"D4", "e", "#NUM!", 0},
		{"E4", "str", "张三", 0},
		{"F4", "empty", "", 0},
		{"G4", "str", "已受理", 0},
		{"H4", "str", "_x0041_ <b>&amp;\"\r\n", 0},
		{"A5", "str", "有值", 0},
		{"B5", "empty", "", 0},
		{"C5", "str", "营业执照办理指南", 0},
	}
	for _, tt := range tests {
		typ, text := value(tt.ref)
		if typ != tt.typ || text != tt.text {
			t.Errorf("%s = %s %q, want %s %q", tt.ref, typ, text, tt.typ, tt.text)
		}
		if c := cells[tt.ref]; typ != "empty" && c.S != tt.style {
			t.Errorf("%s style = %d, want %d", tt.ref, c.S, tt.style)
		}
	}
	// Repeated text is stored once.
	if n := strings.Count(strings.Join(sst.SI, "\n"), "营业执照办理指南"); n != 1 || sst.Count != len(sst.SI) {
		t.Errorf("shared strings hold 营业执照办理指南 %d times (uniqueCount %d of %d)", n, sst.Count, len(sst.SI))
	}
	if len(ws.Views) != 1 || ws.Views[0].Pane == nil || ws.Views[0].Pane.YSplit != "1" || ws.Views[0].Pane.State != "frozen" {
		t.Errorf("header row is not frozen: %+v", ws.Views)
	}
	if len(ws.Cols) != 8 || ws.Cols[1].Width < 16 {
		t.Errorf("cols = %+v, want 8 with 标题 at least 16 wide", ws.Cols)
	}
	var styles struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmt int `xml:"numFmtId,attr"`
			Font   int `xml:"fontId,attr"`
		} `xml:"cellXfs>xf"`
		Fonts []struct {
			Bold *struct{} `xml:"b"`
		} `xml:"fonts>font"`
	}
	readPart(t, zr, "xl/styles.xml", &styles)
	if styles.Fonts[styles.Xfs[styleHeader].Font].Bold == nil {
		t.Error("header style is not bold")
	}
	codes := map[int]string{}
	for _, f := range styles.NumFmts {
		codes[f.ID] = f.Code
	}
	if c := codes[styles.Xfs[styleDateTime].NumFmt]; !strings.Contains(c, "hh:mm") {
		t.Errorf("date-time style format = %q", c)
	}
	if c := codes[styles.Xfs[styleDate].NumFmt]; c != "yyyy-mm-dd" {
		t.Errorf("date style format = %q", c)
	}
}

func TestSheetNames(t *testing.T) {
	long := strings.Repeat("长", 31)
	tests := []struct {
		names []string
		want  []string // nil: ErrSheetName
	}{
		{[]string{"工单", "", "工单", "工单", "WORK", "work"}, []string{"工单", "Sheet2", "工单 (2)", "工单 (3)", "WORK", "work (2)"}},
		{[]string{long, long}, []string{long, strings.Repeat("长", 27) + " (2)"}},
		{[]string{long + "长"}, nil},
		{[]string{"a/b"}, nil},
		{[]string{"a[1]"}, nil},
		{[]string{"问题?"}, nil},
		{[]string{"a:b"}, nil},
		{[]string{`a\b`}, nil},
		{[]string{"*"}, nil},
		{[]string{"'quoted'"}, nil},
		{[]string{"tab\there"}, nil},
		{[]string{"history"}, nil},
	}
	for _, tt := range tests {
		sheets := make([]Sheet, len(tt.names))
		for i, n := range tt.names {
			sheets[i].Name = n
		}
		var buf bytes.Buffer
		err := Write(&buf, sheets...)
		if tt.want == nil {
			if !errors.Is(err, ErrSheetName) {
				t.Errorf("Write(%q) error = %v, want ErrSheetName", tt.names, err)
			}
			if buf.Len() != 0 {
				t.Errorf("Write(%q) wrote %d bytes before refusing", tt.names, buf.Len())
			}
			continue
		}
		if err != nil {
			t.Errorf("Write(%q): %v", tt.names, err)
			continue
		}
		var wb xWorkbook
		readPart(t, openWorkbook(t, buf.Bytes()), "xl/workbook.xml", &wb)
		var got []string
		for _, s := range wb.Sheets {
			got = append(got, s.Name)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Write(%q) sheets = %q, want %q", tt.names, got, tt.want)
		}
	}
	if err := Write(io.Discard); !errors.Is(err, ErrNoSheets) {
		t.Errorf("Write with no sheets: %v, want ErrNoSheets", err)
	}
}

func TestStreamErrorsAndLimits(t *testing.T) {
	boom := errors.New("cursor failed")
	err := Write(io.Discard, Sheet{Stream: func(emit func([]any) error) error {
		if err := emit([]any{"a"}); err != nil {
			return err
		}
		return boom
	}})
	if !errors.Is(err, boom) {
		t.Errorf("Write with failing Stream = %v, want it wrapped", err)
	}
	err = Write(io.Discard, Sheet{Rows: [][]any{make([]any, MaxColumns+1)}})
	if !errors.Is(err, ErrTooManyRows) {
		t.Errorf("Write with %d columns = %v, want ErrTooManyRows", MaxColumns+1, err)
	}
}

func TestAppendColumn(t *testing.T) {
	for col, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA", MaxColumns - 1: "XFD"} {
		if got := string(appendColumn(nil, col)); got != want {
			t.Errorf("appendColumn(%d) = %s, want %s", col, got, want)
		}
	}
}

// bigSheet streams n rows, each with distinct text, so neither the caller
// nor the shared string table can hold them all.
func bigSheet(n int, observe func(i int)) Sheet {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return Sheet{
		Name:   "明细",
		Header: []string{"编号", "标题", "区", "受理时间", "金额"},
		Stream: func(emit func([]any) error) error {
			row := make([]any, 5)
			for i := range n {
				row[0] = i + 1
				row[1] = "市民反映噪音扰民问题第" + strconv.Itoa(i) + "号"
				row[2] = "临江区"
				row[3] = at.Add(time.Duration(i) * time.Minute)
				row[4] = float64(i) / 3
				if err := emit(row); err != nil {
					return err
				}
				if observe != nil {
					observe(i)
				}
			}
			return nil
		},
	}
}

// A 100 000-row sheet is written without holding the rows: live heap stays
// bounded by the shared-string cap and buffers, not by the row count.
func TestLargeSheetBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 000 rows")
	}
	const n = 100_000
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, uint64(0)
	var buf bytes.Buffer
	var samples []uint64 // live heap beyond the output buffer, every 10 000 rows
	err := Write(&buf, bigSheet(n, func(i int) {
		if i%10_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			live := ms.HeapAlloc - min(ms.HeapAlloc, base+uint64(buf.Cap()))
			samples = append(samples, live)
			peak = max(peak, live)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if peak > 24<<20 {
		t.Errorf("live heap grew by %d MiB while writing", peak>>20)
	}
	// Once the shared string table is full (65 536 strings, by row 70 000)
	// the heap must stop growing with the rows.
	if grow := int64(samples[9]) - int64(samples[7]); grow > 1<<20 {
		t.Errorf("live heap grew %d KiB between rows 70 000 and 90 000; samples %v", grow>>10, samples)
	}
	zr := openWorkbook(t, buf.Bytes())
	f, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tail, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprintf(`<row r="%d">`, n+1)
	if !bytes.Contains(tail, []byte(last)) || bytes.Contains(tail, []byte(fmt.Sprintf(`<row r="%d">`, n+2))) {
		t.Errorf("sheet does not end at row %d", n+1)
	}
	if !bytes.Contains(tail, []byte(`t="inlineStr"`)) {
		t.Error("no inline strings: the shared string table was not bounded")
	}
	t.Logf("%d rows: %.1f MiB archive, %.1f MiB sheet XML, peak live heap growth %.1f MiB",
		n, float64(buf.Len())/(1<<20), float64(len(tail))/(1<<20), float64(peak)/(1<<20))
}

func TestServe(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := Serve(rec, "工单列表 2024", Sheet{Header: []string{"编号"}, Rows: [][]any{{1}}}); err != nil {
		t.Fatal(err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type = %q", ct)
	}
	want := `attachment; filename="____ 2024.xlsx"; filename*=UTF-8''%E5%B7%A5%E5%8D%95%E5%88%97%E8%A1%A8%202024.xlsx`
	if cd := rec.Header().Get("Content-Disposition"); cd != want {
		t.Errorf("Content-Disposition = %s\nwant %s", cd, want)
	}
	openWorkbook(t, rec.Body.Bytes())

	for in, want := range map[string]string{
		"工单.xlsx":      `attachment; filename="export.xlsx"; filename*=UTF-8''%E5%B7%A5%E5%8D%95.xlsx`,
		"a\"b;c/d\r\n": `attachment; filename="a_b_cd.xlsx"; filename*=UTF-8''a%22b%3Bcd.xlsx`,
		"":             `attachment; filename="export.xlsx"; filename*=UTF-8''export.xlsx`,
	} {
		if got := ContentDisposition(in); got != want {
			t.Errorf("ContentDisposition(%q) = %s\nwant %s", in, got, want)
		}
	}

	rec = httptest.NewRecorder()
	if err := Serve(rec, "x", Sheet{Name: "a/b"}); !errors.Is(err, ErrSheetName) {
		t.Errorf("Serve with a bad sheet name = %v", err)
	}
	if rec.Header().Get("Content-Type") != "" || rec.Body.Len() != 0 {
		t.Error("Serve wrote a response before refusing")
	}
}

// BenchmarkWrite100k writes 100 000 rows as .xlsx next to the baseline of
// encoding/csv writing the same rows.
func BenchmarkWrite100k(b *testing.B) {
	const n = 100_000
	b.Run("xlsx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var cw countWriter
			if err := Write(&cw, bigSheet(n, nil)); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cw)/(1<<20), "MiB/file")
		}
	})
	b.Run("csv-baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var cw countWriter
			w := csv.NewWriter(&cw)
			s := bigSheet(n, nil)
			w.Write(s.Header)
			rec := make([]string, 5)
			s.Stream(func(row []any) error {
				for i, v := range row {
					switch v := v.(type) {
					case time.Time:
						rec[i] = v.In(cst).Format("2006-01-02 15:04:05")
					default:
						rec[i] = fmt.Sprint(v)
					}
				}
				return w.Write(rec)
			})
			w.Flush()
			b.ReportMetric(float64(cw)/(1<<20), "MiB/file")
		}
	})
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
