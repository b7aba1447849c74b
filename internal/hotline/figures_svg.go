package hotline

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// The charts are drawn on the server as inline SVG: no script, printable,
// and readable by screen readers through <title>, <desc> and text labels
// (the pages also put a data table beside each chart). Colours are never
// the only carrier of meaning: each line has its own dash pattern and a
// text label at its end.

// barChart draws one horizontal bar per row: its name, a bar as long as
// its score (0–100) and the score as text.
func barChart(id, title, desc string, rows []Rates) template.HTML {
	const labelW, barW, rowH, top = 220.0, 360.0, 26.0, 10.0
	n := 0
	for _, r := range rows {
		if r.Scored {
			n++
		}
	}
	h := top*2 + rowH*float64(max(n, 1))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="%s-t %s-d">`,
		labelW+barW+70, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	y := top
	for _, r := range rows {
		if !r.Scored {
			continue
		}
		w := barW * r.Score / 100
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" font-size="13">%s</text>`, labelW-8, y+17, esc(r.Name))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="#1f5fa8"><title>%s %s</title></rect>`,
			labelW, y+4, w, rowH-8, esc(r.Name), r.ScoreText())
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13">%s</text>`, labelW+w+6, y+17, r.ScoreText())
		y += rowH
	}
	if n == 0 {
		fmt.Fprintf(&b, `<text x="10" y="%.0f" font-size="13">暂无数据 (no data)</text>`, top+17)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// series is one line of a line chart.
type series struct {
	Name  string
	Dash  string // stroke-dasharray
	Color string
	Value func(MonthRates) Rate
}

var trendSeries = []series{
	{"响应率", "", "#1f5fa8", func(m MonthRates) Rate { return m.Response }},
	{"解决率", "8 4", "#b5540b", func(m MonthRates) Rate { return m.Resolution }},
	{"满意率", "2 3", "#2d7a2d", func(m MonthRates) Rate { return m.Satisfaction }},
}

// lineChart draws the three rates over the months, 0–100%, each line with
// its own dash pattern and its name written at its last point.
func lineChart(id, title, desc string, months []MonthRates) template.HTML {
	const left, top, w, h = 48.0, 16.0, 560.0, 220.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="%s-t %s-d">`,
		left+w+80, top+h+40, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	for _, p := range []int{0, 25, 50, 75, 100} {
		y := top + h - h*float64(p)/100
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ccc"/>`, left, y, left+w, y)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" font-size="11">%d%%</text>`, left-4, y+4, p)
	}
	step := w
	if len(months) > 1 {
		step = w / float64(len(months)-1)
	}
	x := func(i int) float64 { return left + step*float64(i) }
	for i, m := range months {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="10">%s</text>`, x(i), top+h+16, esc(m.Month[2:]))
	}
	for _, s := range trendSeries {
		var pts []string
		lastX, lastY := -1.0, 0.0
		for i, m := range months {
			r := s.Value(m)
			if !r.Defined() {
				continue
			}
			y := top + h - h*r.Value()
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s %s %s</title></circle>`, x(i), y, s.Color,
				esc(m.Month), esc(s.Name), r.String())
			lastX, lastY = x(i), y
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`,
				s.Color, s.Dash, strings.Join(pts, " "))
		}
		if lastX >= 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="%s">%s</text>`, lastX+6, lastY+4, s.Color, esc(s.Name))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func esc(s string) string { return html.EscapeString(s) }
