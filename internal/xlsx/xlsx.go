// Package xlsx writes Excel workbooks (.xlsx, Office Open XML
// SpreadsheetML) with the standard library only. It covers what list and
// figure exports need and no more: typed cells (text, numbers, booleans,
// date-times in China Standard Time), a bold frozen header row, column
// widths and several sheets. It does not read workbooks, and writes no
// formulas, merged cells or charts.
//
// Rows are written as they come, straight into the compressed archive, so a
// sheet of a hundred thousand rows fed through Sheet.Stream is written in
// memory that does not grow with the row count.
package xlsx

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Limits of the format that Write enforces.
const (
	MaxRows    = 1 << 20 // rows per sheet, the header included
	MaxColumns = 1 << 14 // columns per sheet
	MaxCellLen = 32767   // characters in one cell; longer text is cut
)

// Errors returned (wrapped) by Write. ErrSheetName and ErrNoSheets are found
// before anything is written.
var (
	ErrSheetName   = errors.New("xlsx: invalid sheet name (工作表名称无效)")
	ErrNoSheets    = errors.New("xlsx: a workbook needs at least one sheet")
	ErrTooManyRows = errors.New("xlsx: too many rows or columns for one sheet (超出工作表行列上限)")
)

// Sheet is one worksheet.
//
// A cell value may be a string, any integer or float type, a bool, a
// time.Time (written as a date-time in China Standard Time; the zero time is
// an empty cell), a Date, nil (an empty cell), a pointer to any of these
// (nil is empty), a database/sql Null* value, or anything with a String
// method; other values are written as fmt.Sprint would print them. Integers
// beyond 15 digits, which Excel would round, are written as text.
type Sheet struct {
	// Name is the tab's name: at most 31 characters, none of []:*?/\, not
	// beginning or ending with an apostrophe. Empty means "Sheet1",
	// "Sheet2"…; a name already used in the workbook (ignoring case) gets a
	// " (2)" suffix.
	Name string
	// Header, when not empty, is the first row: bold, and frozen so it stays
	// in view while scrolling.
	Header []string
	Rows   [][]any
	// Stream, when set, supplies further rows after Rows without holding
	// them all in memory: it calls emit once per row, in order, stops when
	// emit returns an error and returns that error (or its own, such as a
	// database cursor's).
	Stream func(emit func(row []any) error) error
	// ColWidths sets column widths in characters; a missing or zero entry is
	// estimated from the header and the first rows of Rows.
	ColWidths []float64
}

// Date is a calendar date, written with a date-only format. The day is the
// one the time falls on in China Standard Time.
type Date time.Time

// Write writes sheets as one workbook to w. Invalid sheet names are
// reported before anything is written; an error met later (a failing
// Stream, too many rows, a write error) leaves w holding a truncated
// archive, so callers serving over HTTP should not have sent a success page
// they cannot take back (Serve only sets headers).
func Write(w io.Writer, sheets ...Sheet) error {
	names, err := sheetNames(sheets)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	sst := newSharedStrings()
	if err := writePackage(zw, names); err != nil {
		return err
	}
	for i, s := range sheets {
		if err := writeSheet(zw, i, s, sst); err != nil {
			return fmt.Errorf("xlsx: sheet %q: %w", names[i], err)
		}
	}
	if err := writeSharedStrings(zw, sst); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// part opens one file of the archive behind a buffer; the caller flushes it.
func part(zw *zip.Writer, name string) (*bufio.Writer, error) {
	f, err := zw.Create(name)
	if err != nil {
		return nil, fmt.Errorf("xlsx: create %s: %w", name, err)
	}
	return bufio.NewWriterSize(f, 64<<10), nil
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

const (
	nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	ctBase = "application/vnd.openxmlformats-officedocument.spreadsheetml."
)

// Style indexes into cellXfs in styles.xml.
const (
	styleDefault  = 0
	styleHeader   = 1
	styleDateTime = 2
	styleDate     = 3
)

const stylesXML = xmlHeader + `<styleSheet xmlns="` + nsMain + `">` +
	`<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="4">` +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`</cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`

// writePackage writes the parts that depend only on the sheet names: the
// content types, the relationships, the workbook and the styles.
func writePackage(zw *zip.Writer, names []string) error {
	var files []struct{ name, body string }
	add := func(name, body string) { files = append(files, struct{ name, body string }{name, body}) }

	ct := xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="` + ctBase + `sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="` + ctBase + `styles+xml"/>` +
		`<Override PartName="/xl/sharedStrings.xml" ContentType="` + ctBase + `sharedStrings+xml"/>`
	for i := range names {
		ct += `<Override PartName="/xl/worksheets/sheet` + strconv.Itoa(i+1) + `.xml" ContentType="` + ctBase + `worksheet+xml"/>`
	}
	add("[Content_Types].xml", ct+`</Types>`)

	add("_rels/.rels", xmlHeader+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="`+nsRel+`/officeDocument" Target="xl/workbook.xml"/></Relationships>`)

	wb := xmlHeader + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><bookViews><workbookView/></bookViews><sheets>`
	rels := xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	for i, n := range names {
		id := strconv.Itoa(i + 1)
		wb += `<sheet name="` + escapeString(n) + `" sheetId="` + id + `" r:id="rId` + id + `"/>`
		rels += `<Relationship Id="rId` + id + `" Type="` + nsRel + `/worksheet" Target="worksheets/sheet` + id + `.xml"/>`
	}
	n := len(names)
	rels += `<Relationship Id="rId` + strconv.Itoa(n+1) + `" Type="` + nsRel + `/styles" Target="styles.xml"/>` +
		`<Relationship Id="rId` + strconv.Itoa(n+2) + `" Type="` + nsRel + `/sharedStrings" Target="sharedStrings.xml"/>`
	add("xl/workbook.xml", wb+`</sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", rels+`</Relationships>`)
	add("xl/styles.xml", stylesXML)

	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			return fmt.Errorf("xlsx: create %s: %w", f.name, err)
		}
		if _, err := io.WriteString(w, f.body); err != nil {
			return fmt.Errorf("xlsx: write %s: %w", f.name, err)
		}
	}
	return nil
}

// writeSheet streams one worksheet.
func writeSheet(zw *zip.Writer, index int, s Sheet, sst *sharedStrings) error {
	name := "xl/worksheets/sheet" + strconv.Itoa(index+1) + ".xml"
	bw, err := part(zw, name)
	if err != nil {
		return err
	}
	sw := &sheetWriter{w: bw, sst: sst}
	sw.str(xmlHeader + `<worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheetViews><sheetView workbookViewId="0"`)
	if index == 0 {
		sw.str(` tabSelected="1"`)
	}
	if len(s.Header) > 0 {
		sw.str(`><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
			`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>`)
	} else {
		sw.str(`/>`)
	}
	sw.str(`</sheetViews><sheetFormatPr defaultRowHeight="15"/>`)
	if widths := colWidths(s); len(widths) > 0 {
		sw.str(`<cols>`)
		for i, wd := range widths {
			if wd <= 0 {
				continue
			}
			c := strconv.Itoa(i + 1)
			sw.str(`<col min="` + c + `" max="` + c + `" width="` + strconv.FormatFloat(wd, 'f', 2, 64) + `" customWidth="1"/>`)
		}
		sw.str(`</cols>`)
	}
	sw.str(`<sheetData>`)
	if len(s.Header) > 0 {
		row := make([]any, len(s.Header))
		for i, h := range s.Header {
			row[i] = h
		}
		if err := sw.row(row, styleHeader); err != nil {
			return err
		}
	}
	for _, r := range s.Rows {
		if err := sw.row(r, styleDefault); err != nil {
			return err
		}
	}
	if s.Stream != nil {
		if err := s.Stream(func(r []any) error { return sw.row(r, styleDefault) }); err != nil {
			return err
		}
	}
	sw.str(`</sheetData></worksheet>`)
	if sw.err != nil {
		return fmt.Errorf("write %s: %w", name, sw.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
