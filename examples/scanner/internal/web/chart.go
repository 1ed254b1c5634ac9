package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// barChart draws the daily series as a small inline SVG (no script, no CDN: works offline).
func barChart(days []shop.Day, val func(shop.Day) float64, unit string) template.HTML {
	const w, h, pad, top = 600.0, 180.0, 24.0, 12.0
	maxV := 0.0
	for _, d := range days {
		maxV = math.Max(maxV, val(d))
	}
	if maxV == 0 {
		maxV = 1
	}
	n := float64(max(len(days), 1))
	bw := (w - 2*pad) / n
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" preserveAspectRatio="none">`, w, h+pad)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" class="axis"/>`, pad, h, w-pad, h)
	for i, d := range days {
		v := val(d)
		bh := (h - top) * v / maxV
		x := pad + float64(i)*bw
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s %s</title></rect>`,
			x+1, h-bh, math.Max(bw-2, 1), bh, template.HTMLEscapeString(d.Date), trimFloat(v), unit)
		if i%7 == 0 || (i == len(days)-1 && i%7 >= 4) {
			label := d.Date
			if len(label) == 10 {
				label = label[5:]
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f">%s</text>`, x, h+16, template.HTMLEscapeString(label))
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="max">%s %s</text>`, pad, top, trimFloat(maxV), unit)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every interpolated string is escaped above
}

func trimFloat(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
