package xlsx

import (
	"bufio"
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// cst is China Standard Time. A fixed zone, so exports do not depend on the
// machine's time-zone database; China has kept UTC+8 without daylight saving
// since 1991.
var cst = time.FixedZone("CST", 8*60*60)

// sheetWriter writes the rows of one sheet, remembering the first error so
// that the row code stays readable.
type sheetWriter struct {
	w    *bufio.Writer
	sst  *sharedStrings
	rows int
	ref  []byte // scratch for cell references
	num  []byte // scratch for numbers
	err  error
}

func (sw *sheetWriter) str(s string) {
	if sw.err == nil {
		_, sw.err = sw.w.WriteString(s)
	}
}

func (sw *sheetWriter) bytes(b []byte) {
	if sw.err == nil {
		_, sw.err = sw.w.Write(b)
	}
}

// row writes one row; style applies to every cell that has no style of its
// own (the header's bold).
func (sw *sheetWriter) row(cells []any, style int) error {
	if sw.err != nil {
		return sw.err
	}
	if sw.rows >= MaxRows {
		return fmt.Errorf("%w: more than %d rows", ErrTooManyRows, MaxRows)
	}
	if len(cells) > MaxColumns {
		return fmt.Errorf("%w: row %d has %d cells, limit %d", ErrTooManyRows, sw.rows+1, len(cells), MaxColumns)
	}
	sw.rows++
	sw.num = strconv.AppendInt(sw.num[:0], int64(sw.rows), 10)
	sw.str(`<row r="`)
	sw.bytes(sw.num)
	sw.str(`">`)
	for i, v := range cells {
		sw.cell(i, v, style)
	}
	sw.str(`</row>`)
	return sw.err
}

// cell writes one cell; nil and other empty values write nothing.
func (sw *sheetWriter) cell(col int, v any, style int) {
	v = normalize(v)
	if v == nil {
		return
	}
	sw.ref = appendColumn(sw.ref[:0], col)
	sw.ref = strconv.AppendInt(sw.ref, int64(sw.rows), 10)
	open := func(typ string, style int) {
		sw.str(`<c r="`)
		sw.bytes(sw.ref)
		sw.str(`"`)
		if style != styleDefault {
			sw.str(` s="` + strconv.Itoa(style) + `"`)
		}
		if typ != "" {
			sw.str(` t="` + typ + `"`)
		}
		sw.str(`>`)
	}
	number := func(b []byte, st int) {
		if st == styleDefault {
			st = style
		}
		open("", st)
		sw.str(`<v>`)
		sw.bytes(b)
		sw.str(`</v></c>`)
	}
	switch v := v.(type) {
	case string:
		v = clean(v)
		if i, ok := sw.sst.index(v); ok {
			open("s", style)
			sw.num = strconv.AppendInt(sw.num[:0], int64(i), 10)
			sw.str(`<v>`)
			sw.bytes(sw.num)
			sw.str(`</v></c>`)
			return
		}
		open("inlineStr", style)
		sw.str(`<is>`)
		sw.text(v)
		sw.str(`</is></c>`)
	case bool:
		open("b", style)
		if v {
			sw.str(`<v>1</v></c>`)
		} else {
			sw.str(`<v>0</v></c>`)
		}
	case int64:
		sw.num = strconv.AppendInt(sw.num[:0], v, 10)
		if v > maxExact || v < -maxExact {
			sw.cell(col, string(sw.num), style)
			return
		}
		number(sw.num, styleDefault)
	case uint64:
		sw.num = strconv.AppendUint(sw.num[:0], v, 10)
		if v > maxExact {
			sw.cell(col, string(sw.num), style)
			return
		}
		number(sw.num, styleDefault)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			open("e", style)
			sw.str(`<v>#NUM!</v></c>`)
			return
		}
		number(strconv.AppendFloat(sw.num[:0], v, 'g', -1, 64), styleDefault)
	case time.Time:
		if s, ok := serial(v, true); ok {
			number(strconv.AppendFloat(sw.num[:0], s, 'f', -1, 64), styleDateTime)
			return
		}
		sw.cell(col, v.In(cst).Format("2006-01-02 15:04:05"), style)
	case Date:
		if s, ok := serial(time.Time(v), false); ok {
			number(strconv.AppendFloat(sw.num[:0], s, 'f', -1, 64), styleDate)
			return
		}
		sw.cell(col, time.Time(v).In(cst).Format("2006-01-02"), style)
	}
}

// maxExact is the largest integer Excel shows and keeps exactly: it holds 15
// significant digits. Larger integers (ID-like numbers) are written as text.
const maxExact = 999_999_999_999_999

// text writes a <t> element holding s, which clean has already made valid.
func (sw *sheetWriter) text(s string) {
	if needsPreserve(s) {
		sw.str(`<t xml:space="preserve">`)
	} else {
		sw.str(`<t>`)
	}
	if sw.err == nil {
		sw.err = writeEscaped(sw.w, s)
	}
	sw.str(`</t>`)
}

// normalize reduces a cell value to nil, string, bool, int64, uint64,
// float64, time.Time or Date.
func normalize(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string, bool, int64, uint64, float64, Date:
		return v
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return v
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	case driver.Valuer: // sql.NullString, sql.NullTime…
		dv, err := x.Value()
		if err != nil {
			return fmt.Sprint(v)
		}
		return normalize(dv)
	case fmt.Stringer:
		return x.String()
	case error:
		return x.Error()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return normalize(rv.Elem().Interface())
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	}
	return fmt.Sprint(v)
}

// serial converts t to an Excel serial date-time: days since 1899-12-30 with
// the time of day as the fraction, on the wall clock of China Standard Time.
// Excel's serial numbers wrongly count 29 February 1900, so dates before
// 1 March 1900 are refused (ok false) and written as text instead.
func serial(t time.Time, withTime bool) (float64, bool) {
	t = t.In(cst)
	y, m, d := t.Date()
	if y < 1900 || y == 1900 && m < time.March || y > 9999 {
		return 0, false
	}
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400 + 25569
	if !withTime {
		return float64(days), true
	}
	// Milliseconds are all Excel shows; rounding there keeps 12:00:00 from
	// printing as 11:59:59.
	ms := (int64(t.Hour())*3600+int64(t.Minute())*60+int64(t.Second()))*1000 + int64(t.Nanosecond())/1e6
	return float64(days) + float64(ms)/86_400_000, true
}

// appendColumn appends the letters naming column col (0 → A, 26 → AA).
func appendColumn(b []byte, col int) []byte {
	var buf [4]byte
	i := len(buf)
	for col++; col > 0; col = (col - 1) / 26 {
		i--
		buf[i] = byte('A' + (col-1)%26)
	}
	return append(b, buf[i:]...)
}

// clean makes s safe for a cell: invalid UTF-8 becomes U+FFFD, characters
// XML 1.0 cannot hold (most control characters) are dropped, and text longer
// than MaxCellLen characters is cut.
func clean(s string) string {
	ok := true
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !xmlChar(r) {
			ok = false
			break
		}
		i += size
		n++
	}
	if ok && n <= MaxCellLen {
		return s
	}
	out := make([]rune, 0, min(len(s), MaxCellLen))
	for _, r := range s { // range yields U+FFFD for invalid bytes
		if !xmlChar(r) {
			continue
		}
		if len(out) == MaxCellLen {
			break
		}
		out = append(out, r)
	}
	return string(out)
}

func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func needsPreserve(s string) bool {
	if s == "" {
		return false
	}
	isSpace := func(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
	return isSpace(s[0]) || isSpace(s[len(s)-1])
}

// writeEscaped writes s as XML character data or attribute text. Besides
// the XML escapes it protects Excel's own: a literal "_x0041_" would be read
// back as "A", so its underscore is written as "_x005F_". A carriage return
// is written as a character reference, which XML parsers do not fold into a
// newline.
func writeEscaped(w *bufio.Writer, s string) error {
	last := 0
	flush := func(i int, rep string) {
		w.WriteString(s[last:i])
		w.WriteString(rep)
		last = i + 1
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&':
			flush(i, "&amp;")
		case '<':
			flush(i, "&lt;")
		case '>':
			flush(i, "&gt;")
		case '"':
			flush(i, "&quot;")
		case '\r':
			flush(i, "&#xD;")
		case '_':
			if excelEscape(s[i:]) {
				flush(i, "_x005F_")
			}
		}
	}
	_, err := w.WriteString(s[last:])
	return err
}

// excelEscape reports whether s begins with an Excel escape, _xHHHH_.
func excelEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// escapeString is writeEscaped for the short strings of the package parts.
func escapeString(s string) string {
	var b strings.Builder
	bw := bufio.NewWriter(&b)
	writeEscaped(bw, s)
	bw.Flush()
	return b.String()
}
