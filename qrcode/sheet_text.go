package qrcode

import (
	"bytes"
	"image"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
)

// Text on PDF sheets. Codes that are plain ASCII use the core Courier Bold font (nothing to
// embed); names use the CJK font, subset-embedded by fpdf, or 600 dpi images of the text when
// the font has PostScript outlines fpdf cannot embed.

// text draws the shop's name (small), the code (large), the name (up to three lines in
// landscape, two in portrait) and the price (bold), centred in r. A code that does not fit on one
// line at a readable size wraps onto two.
func (sw *sheetWriter) text(r rectMM, spec LabelSpec, landscape bool) {
	codeFamily, codeStyle := monoFamily, "B"
	if !isASCII(spec.Code) {
		codeFamily, codeStyle = sw.nameFamily()
	}
	nameFamily, _ := sw.nameFamily()
	priceFamily, priceStyle := sw.priceFamily(spec.Price)
	extra := 0.0
	for _, s := range []string{spec.Shop, spec.Price} {
		if strings.TrimSpace(s) != "" {
			extra++
		}
	}
	maxCodePt := min(r.h*0.32*(1-0.18*extra), r.w*0.2) * ptPerMM
	nameLines := 2
	if landscape {
		nameLines = 3
	}
	if extra > 0 {
		nameLines--
	}
	codeLines := sw.fit(codeFamily, spec.Code, r.w, maxCodePt, 5, 1)
	if len(codeLines.lines) == 1 && len([]rune(codeLines.lines[0])) < len(cleanText(spec.Code)) {
		codeLines = sw.fit(codeFamily, spec.Code, r.w, maxCodePt, 5, 2) // cut short: wrap instead
	}
	codePt := codeLines.pt
	var shop, price fitted
	if strings.TrimSpace(spec.Shop) != "" {
		shop = sw.fit(nameFamily, spec.Shop, r.w, codePt*0.75, 4, 1)
	}
	if strings.TrimSpace(spec.Price) != "" {
		price = sw.fit(priceFamily, spec.Price, r.w, codePt*1.2, 5, 1)
	}
	height := func(f fitted) float64 { return lineHeight(f.pt) * float64(len(f.lines)) }
	rest := r.h - height(codeLines) - height(shop) - height(price)
	name := sw.fit(nameFamily, spec.Name, r.w, min(codePt*0.75, rest/float64(nameLines)/1.25*ptPerMM), 4.5, nameLines)

	blockH := height(shop) + height(codeLines) + height(name) + height(price)
	y := r.y + (r.h-blockH)/2
	if !landscape {
		y = r.y + max(0, (r.h-blockH)/3)
	}
	fg := sw.cfg.fg
	sw.pdf.SetTextColor(int(fg.R), int(fg.G), int(fg.B))
	for _, part := range []struct {
		f             fitted
		family, style string
	}{{shop, nameFamily, ""}, {codeLines, codeFamily, codeStyle}, {name, nameFamily, ""}, {price, priceFamily, priceStyle}} {
		for _, l := range part.f.lines {
			sw.drawLine(part.family, part.style, part.f.pt, r, y, l)
			y += lineHeight(part.f.pt)
		}
	}
}

// priceFamily returns the family for a price: Helvetica Bold (a core font, nothing embedded) when
// the price is ASCII and "¥", else the names' family.
func (sw *sheetWriter) priceFamily(price string) (string, string) {
	for _, r := range price {
		if (r < 0x20 || r > 0x7e) && r != '¥' {
			return sw.nameFamily()
		}
	}
	return priceFamily, "B"
}

// nameFamily returns the family used for names: the embedded font, or "" meaning raster.
func (sw *sheetWriter) nameFamily() (string, string) {
	if sw.utf8 {
		return cjkFamily, ""
	}
	return "", ""
}

func lineHeight(pt float64) float64 { return pt / ptPerMM * 1.2 }

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

type fitted struct {
	pt    float64
	lines []string
}

// fit chooses a size between minPt and maxPt at which s wraps into at most maxLines lines of
// width w mm, cutting the last line with an ellipsis at minPt if needed.
func (sw *sheetWriter) fit(family, s string, w, maxPt, minPt float64, maxLines int) fitted {
	rs := cleanText(s)
	if len(rs) == 0 {
		return fitted{pt: maxPt}
	}
	if family == cjkFamily {
		for i, r := range rs {
			if r > 0xffff { // fpdf's UTF-8 fonts cover the Basic Multilingual Plane only (no emoji)
				rs[i] = '?'
			}
		}
	}
	maxPt = max(maxPt, minPt)
	for pt := maxPt; ; pt = max(minPt, pt*0.92) {
		lines := sw.wrap(family, rs, w, pt)
		if len(lines) <= maxLines {
			return fitted{pt, lines}
		}
		if pt == minPt {
			lines = lines[:maxLines]
			last := []rune(lines[maxLines-1])
			ell := []rune{ellipsis}
			if family == monoFamily { // core fonts are not UTF-8
				ell = []rune("...")
			}
			for len(last) > 0 && sw.width(family, append(last, ell...), pt) > w {
				last = last[:len(last)-1]
			}
			lines[maxLines-1] = string(append(last, ell...))
			return fitted{pt, lines}
		}
	}
}

// wrap breaks rs into lines no wider than w mm at pt, preferring spaces, else between runes
// (Chinese has no spaces).
func (sw *sheetWriter) wrap(family string, rs []rune, w, pt float64) []string {
	var lines []string
	for len(rs) > 0 {
		n, width, lastSpace := 0, 0.0, -1
		for n < len(rs) {
			cw := sw.runeWidth(family, rs[n]) * pt
			if width+cw > w && n > 0 {
				break
			}
			if rs[n] == ' ' {
				lastSpace = n
			}
			width += cw
			n++
		}
		if n < len(rs) && lastSpace > 0 {
			n = lastSpace + 1
		}
		lines = append(lines, strings.TrimSpace(string(rs[:n])))
		rs = rs[n:]
	}
	return lines
}

func (sw *sheetWriter) width(family string, rs []rune, pt float64) float64 {
	var w float64
	for _, r := range rs {
		w += sw.runeWidth(family, r) * pt
	}
	return w
}

// runeWidth returns the advance of r at 1 pt, in mm (cached per family).
func (sw *sheetWriter) runeWidth(family string, r rune) float64 {
	m := sw.widths[family]
	if m == nil {
		m = map[rune]float64{}
		sw.widths[family] = m
	}
	if w, ok := m[r]; ok {
		return w
	}
	var w float64
	switch family {
	case "": // raster: measure with the label face chain at 100 px = 100 pt
		fc := newFaceChain(100, sw.o.Font, goRegular())
		a, _ := fc.pick(r).GlyphAdvance(r)
		w = float64(a) / 64 / 100 / ptPerMM
	default:
		style, text := "", string(r)
		if family == monoFamily || family == priceFamily {
			style = "B"
		}
		if family == priceFamily {
			text = sw.cp1252(text)
		}
		sw.pdf.SetFont(family, style, 100)
		w = sw.pdf.GetStringWidth(text) / 100
	}
	m[r] = w
	return w
}

// drawLine draws one centred line whose top is at y mm.
func (sw *sheetWriter) drawLine(family, style string, pt float64, r rectMM, y float64, s string) {
	if s == "" {
		return
	}
	rs := []rune(s)
	w := sw.width(family, rs, pt)
	x := r.x + (r.w-w)/2
	lh := lineHeight(pt)
	if family == "" {
		sw.rasterLine(x, y, w, lh, pt, rs)
		return
	}
	if family == priceFamily {
		s = sw.cp1252(s)
	}
	sw.pdf.SetFont(family, style, pt)
	sw.pdf.Text(x, y+lh*0.8, s) // baseline about 80 % down the line box
}

// rasterLine draws text as a 600 dpi greyscale image: used when the font cannot be embedded
// (PostScript-outline CJK fonts such as Noto Sans CJK).
func (sw *sheetWriter) rasterLine(x, y, w, h, pt float64, rs []rune) {
	const dpi = 600
	pxW, pxH := int(w/25.4*dpi)+2, int(h/25.4*dpi)+2
	if pxW <= 2 || pxH <= 2 {
		return
	}
	img := image.NewGray(image.Rect(0, 0, pxW, pxH))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	px := pt / 72 * dpi
	fc := newFaceChain(px, sw.o.Font, goRegular())
	drawLine(img, img.Bounds(), rs, fc, sw.cfg.fg)
	var b bytes.Buffer
	if err := pngEncoder.Encode(&b, img); err != nil {
		return
	}
	sw.images++
	name := "t" + strconv.Itoa(sw.images)
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	sw.pdf.RegisterImageOptionsReader(name, opt, &b)
	sw.pdf.ImageOptions(name, x, y, float64(pxW)/dpi*25.4, float64(pxH)/dpi*25.4, false, opt, 0, "")
}
