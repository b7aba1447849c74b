package flow

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// SVG draws the definition as a self-contained SVG image: states in layers
// by their distance from the start state (start at the top), actions as
// labelled arrows, end states with a double border and pause states dashed.
// lang "en" uses the English names where given; anything else Chinese. All
// text is escaped, so the image is safe to embed in a page.
func (d *Definition) SVG(lang string) []byte {
	const (
		boxW, boxH = 150, 40
		gapX, gapY = 70, 80
		margin     = 30
	)
	name := func(zh, en string) string {
		if lang == "en" && en != "" {
			return en
		}
		return zh
	}
	// Layers by breadth-first distance from the start state.
	level := map[string]int{}
	var order []string
	if d.start != nil {
		level[d.start.Key] = 0
		order = append(order, d.start.Key)
		for i := 0; i < len(order); i++ {
			for _, a := range d.ActionsFrom(order[i]) {
				if _, seen := level[a.To]; !seen && d.states[a.To] != nil {
					level[a.To] = level[order[i]] + 1
					order = append(order, a.To)
				}
			}
		}
	}
	maxLevel := 0
	for _, l := range level {
		maxLevel = max(maxLevel, l)
	}
	for _, s := range d.States { // unreachable states (only in invalid definitions)
		if _, ok := level[s.Key]; !ok {
			maxLevel++
			level[s.Key] = maxLevel
			order = append(order, s.Key)
		}
	}
	rows := make([][]string, maxLevel+1)
	for _, k := range order {
		rows[level[k]] = append(rows[level[k]], k)
	}
	widest := 1
	for _, r := range rows {
		widest = max(widest, len(r))
	}
	width := 2*margin + widest*boxW + (widest-1)*gapX + 120 // room for loops on the right
	height := 2*margin + len(rows)*boxH + (len(rows)-1)*gapY
	type pt struct{ x, y float64 }
	pos := map[string]pt{} // box centres
	for li, r := range rows {
		rowW := len(r)*boxW + (len(r)-1)*gapX
		x0 := float64(width-120-rowW)/2 + boxW/2
		for i, k := range r {
			pos[k] = pt{x0 + float64(i*(boxW+gapX)), float64(margin + li*(boxH+gapY) + boxH/2)}
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="13">`,
		width, height, width, height)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(name(d.Name, d.NameEn)))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`)

	// Arrows first, so boxes cover their ends.
	pair := map[[2]string]int{}
	for i := range d.Actions {
		a := &d.Actions[i]
		for _, f := range a.From {
			p, okF := pos[f]
			q, okT := pos[a.To]
			if !okF || !okT {
				continue
			}
			label := html.EscapeString(name(a.Name, a.NameEn))
			n := pair[[2]string{f, a.To}]
			pair[[2]string{f, a.To}]++
			if f == a.To { // a loop on the right side of the box
				x, y := p.x+boxW/2, p.y
				r := 18 + 10*float64(n)
				fmt.Fprintf(&b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="#555" marker-end="url(#arrow)"/>`,
					x, y-8, x+2*r, y-2*r, x+2*r, y+2*r, x, y+8)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#333">%s</text>`, x+2*r+4, y+4, label)
				continue
			}
			// Leave from the bottom going down, the top going up; curve
			// sideways so opposite arrows and same-layer arrows stay apart.
			sy, ty := p.y+boxH/2, q.y-boxH/2
			if q.y < p.y {
				sy, ty = p.y-boxH/2, q.y+boxH/2
			} else if q.y == p.y {
				sy, ty = p.y-boxH/2, q.y-boxH/2
			}
			bend := 25.0 * float64(n+1)
			if q.y <= p.y {
				bend = -bend - 20
			}
			mx, my := (p.x+q.x)/2, (sy+ty)/2
			dx, dy := q.x-p.x, ty-sy
			l := math.Hypot(dx, dy)
			if l == 0 {
				l = 1
			}
			cx, cy := mx-dy/l*bend, my+dx/l*bend
			if q.y == p.y {
				cy = sy - 40 - 15*float64(n)
			}
			fmt.Fprintf(&b, `<path d="M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f" fill="none" stroke="#555" marker-end="url(#arrow)"/>`,
				p.x, sy, cx, cy, q.x, ty)
			lx, ly := 0.25*p.x+0.5*cx+0.25*q.x, 0.25*sy+0.5*cy+0.25*ty
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333" paint-order="stroke" stroke="#fff" stroke-width="3">%s</text>`,
				lx, ly+4, label)
		}
	}
	for _, k := range order {
		s, p := d.states[k], pos[k]
		if s == nil {
			continue
		}
		x, y := p.x-boxW/2, p.y-boxH/2
		fill, stroke, dash := "#eef4ff", "#2f5da8", ""
		switch {
		case s.Kind == StartState:
			fill = "#e6f6e9"
			stroke = "#2e7d32"
		case s.Kind == EndState:
			fill, stroke = "#f0f0f0", "#333"
		}
		if s.Clock == ClockPause {
			dash = ` stroke-dasharray="5,3"`
		}
		fmt.Fprintf(&b, `<g class="state state-%s"><rect x="%.1f" y="%.1f" width="%d" height="%d" rx="8" fill="%s" stroke="%s" stroke-width="1.5"%s/>`,
			html.EscapeString(string(s.Kind)), x, y, boxW, boxH, fill, stroke, dash)
		if s.Kind == EndState {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%d" rx="6" fill="none" stroke="%s"/>`,
				x+3, y+3, boxW-6, boxH-6, stroke)
		}
		text := name(s.Name, s.NameEn)
		if s.Limit != nil {
			text += " · " + s.Limit.String()
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#111">%s</text></g>`,
			p.x, p.y+4, html.EscapeString(text))
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}
