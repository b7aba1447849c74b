package xlsx

import (
	"strconv"
	"time"
	"unicode"
)

// sampleRows is how many rows of Sheet.Rows are measured to estimate column
// widths that ColWidths leaves open.
const sampleRows = 200

const (
	minWidth = 6
	maxWidth = 60
)

// colWidths returns the width of every column: the one given in ColWidths,
// or an estimate that fits the header and the first rows of Rows (Stream's
// rows are not seen in advance). Han characters count double, as they are
// drawn twice as wide.
func colWidths(s Sheet) []float64 {
	n := len(s.Header)
	for _, r := range s.Rows[:min(len(s.Rows), sampleRows)] {
		n = max(n, len(r))
	}
	n = max(n, len(s.ColWidths))
	if n > MaxColumns {
		n = MaxColumns
	}
	widths := make([]float64, n)
	fit := func(col int, w float64) {
		widths[col] = max(widths[col], min(max(w+2, minWidth), maxWidth))
	}
	for i, h := range s.Header {
		if i < n {
			fit(i, displayWidth(h)*1.2) // bold
		}
	}
	for _, r := range s.Rows[:min(len(s.Rows), sampleRows)] {
		for i, v := range r {
			if i < n {
				fit(i, valueWidth(v))
			}
		}
	}
	for i, w := range s.ColWidths {
		if i < n && w > 0 {
			widths[i] = w
		}
	}
	return widths
}

func valueWidth(v any) float64 {
	switch v := normalize(v).(type) {
	case nil:
		return 0
	case string:
		return displayWidth(v)
	case time.Time:
		return 19
	case Date:
		return 10
	case bool:
		return 5
	case int64:
		return float64(len(strconv.FormatInt(v, 10)))
	case uint64:
		return float64(len(strconv.FormatUint(v, 10)))
	case float64:
		return float64(min(len(strconv.FormatFloat(v, 'g', -1, 64)), 12))
	}
	return 10
}

// displayWidth estimates the width of s in Excel's character units: wide
// East Asian characters count as two, and only the longest line counts.
func displayWidth(s string) float64 {
	best, cur := 0.0, 0.0
	for _, r := range s {
		switch {
		case r == '\n':
			best, cur = max(best, cur), 0
		case unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x30FF || r >= 0xFF00 && r <= 0xFF60 || unicode.Is(unicode.Hangul, r):
			cur += 2
		default:
			cur++
		}
	}
	return max(best, cur)
}
