package xlsx

import (
	"archive/zip"
	"fmt"
	"strconv"
)

// Bounds of the shared string table. Repeated text (statuses, department
// names) is stored once in the table, which keeps files small; once the table
// is full, further new text is written inline in the sheet, so a sheet of
// many distinct strings does not hold them all in memory.
const (
	maxSharedStrings = 1 << 16
	maxSharedBytes   = 4 << 20
)

// sharedStrings is the workbook's shared string table, in first-use order.
type sharedStrings struct {
	idx   map[string]int
	list  []string
	bytes int
}

func newSharedStrings() *sharedStrings {
	return &sharedStrings{idx: map[string]int{}}
}

// index returns the table index of s, adding it while there is room; ok is
// false when s must be written inline.
func (t *sharedStrings) index(s string) (int, bool) {
	if i, ok := t.idx[s]; ok {
		return i, true
	}
	if len(t.list) >= maxSharedStrings || t.bytes+len(s) > maxSharedBytes {
		return 0, false
	}
	i := len(t.list)
	t.idx[s] = i
	t.list = append(t.list, s)
	t.bytes += len(s)
	return i, true
}

func writeSharedStrings(zw *zip.Writer, t *sharedStrings) error {
	const name = "xl/sharedStrings.xml"
	bw, err := part(zw, name)
	if err != nil {
		return err
	}
	sw := &sheetWriter{w: bw}
	n := strconv.Itoa(len(t.list))
	sw.str(xmlHeader + `<sst xmlns="` + nsMain + `" count="` + n + `" uniqueCount="` + n + `">`)
	for _, s := range t.list {
		sw.str(`<si>`)
		sw.text(s)
		sw.str(`</si>`)
	}
	sw.str(`</sst>`)
	if sw.err == nil {
		sw.err = bw.Flush()
	}
	if sw.err != nil {
		return fmt.Errorf("xlsx: write %s: %w", name, sw.err)
	}
	return nil
}
