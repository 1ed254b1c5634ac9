package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
)

// LabelSpec describes one bag label.
type LabelSpec struct {
	Content string // QR payload, typically [Signer.URL] of Code; required
	Code    string // product code, printed large under the QR (Go Mono Bold)
	Name    string // product name, printed beneath the code; Chinese needs a CJK font, see [FontInfo]
	// Price, when set, is printed in bold beneath the name, as given (e.g. "¥1,299").
	Price string
	// Shop, when set, is printed small above everything else (the shop's name).
	Shop string
}

// LabelOptions configures [Label], [LabelImage] and [Labels]. The zero value is usable.
type LabelOptions struct {
	// Width is the label width in pixels (default 480: about 40 mm at 300 dpi).
	Width int
	// Height is the label height in pixels; 0 means Width plus room for the text lines.
	// The QR shrinks to leave room for the text when Height is tight.
	Height int
	// Landscape puts the QR on the left and the text on its right, as on a wide sticker
	// (70×37, 50×30 mm); Height is then required.
	Landscape bool
	// Font draws the name and any code characters Go Mono lacks; nil means [SystemFont].
	Font *Font
	// QR holds the symbol options: level, quiet zone, colours, logo.
	QR []Option
	// Workers bounds the parallel renderers in [Labels]; 0 means GOMAXPROCS.
	Workers int
}

// DefaultLabelWidth is the label width used when [LabelOptions.Width] is 0.
const DefaultLabelWidth = 480

// labelGeometry splits a label into the QR square and the text boxes, all proportional to the
// width (portrait) or the height (landscape) so that labels of one batch look alike.
type labelGeometry struct {
	w, h                       int
	qr                         image.Rectangle
	shopB, codeBox, nameB, prB image.Rectangle // empty when the line is absent
	landscape                  bool
}

func newLabelGeometry(w, h int, spec LabelSpec, landscape bool) (labelGeometry, error) {
	if w == 0 {
		w = DefaultLabelWidth
	}
	if landscape {
		return landscapeGeometry(w, h, spec)
	}
	codeH, nameH, pad := w*13/100, w*9/100, w*3/100
	shopH, priceH := 0, 0
	if spec.Shop != "" {
		shopH = w * 8 / 100
	}
	if spec.Price != "" {
		priceH = w * 12 / 100
	}
	text := shopH + codeH + nameH + priceH + pad
	if h == 0 {
		h = w + text
	}
	if w < 0 || h < 0 || w > MaxImageSize || h > MaxImageSize {
		return labelGeometry{}, fmt.Errorf("%w: label %dx%d px (want 1..%d)", ErrInvalidOption, w, h, MaxImageSize)
	}
	side := min(w, h-text)
	if side < 21 {
		return labelGeometry{}, fmt.Errorf("%w: label %dx%d px leaves no room for the QR code", ErrSizeTooSmall, w, h)
	}
	x0, m := (w-side)/2, w*4/100
	g := labelGeometry{w: w, h: h, qr: image.Rect(x0, shopH, x0+side, shopH+side)}
	g.shopB = image.Rect(m, 0, w-m, shopH)
	y := shopH + side
	g.codeBox = image.Rect(m, y, w-m, y+codeH)
	g.nameB = image.Rect(m, y+codeH, w-m, y+codeH+nameH)
	g.prB = image.Rect(m, y+codeH+nameH, w-m, y+codeH+nameH+priceH)
	return g, nil
}

// landscapeGeometry puts the QR on the left, full height, and stacks the lines on its right.
func landscapeGeometry(w, h int, spec LabelSpec) (labelGeometry, error) {
	if w < 0 || h <= 0 || w > MaxImageSize || h > MaxImageSize {
		return labelGeometry{}, fmt.Errorf("%w: landscape label %dx%d px (want 1..%d, height required)", ErrInvalidOption, w, h, MaxImageSize)
	}
	side := min(h, w*62/100) // the text keeps at least 38 % of the width
	gap := h * 4 / 100
	tx := side + gap
	if side < 21 || w-tx < w/4 {
		return labelGeometry{}, fmt.Errorf("%w: label %dx%d px leaves no room for the QR code and the text", ErrSizeTooSmall, w, h)
	}
	y0 := (h - side) / 2
	g := labelGeometry{w: w, h: h, qr: image.Rect(0, y0, side, y0+side), landscape: true}
	// Weights of the lines; the block is centred vertically.
	type line struct {
		box    *image.Rectangle
		weight int
	}
	lines := []line{}
	if spec.Shop != "" {
		lines = append(lines, line{&g.shopB, 12})
	}
	lines = append(lines, line{&g.codeBox, 17}, line{&g.nameB, 15})
	if spec.Price != "" {
		lines = append(lines, line{&g.prB, 20})
	}
	total := 0
	for _, l := range lines {
		total += l.weight
	}
	avail := h * 90 / 100
	lineH := min(avail, total*h/100) // a line of weight 17 is 17 % of the height at most
	y := (h - lineH) / 2
	right := w - w*2/100
	for _, l := range lines {
		lh := lineH * l.weight / total
		*l.box = image.Rect(tx, y, right, y+lh)
		y += lh
	}
	return g, nil
}

// Label renders a bag label as PNG: the QR code, the product code in large type and the
// product name beneath. It is safe for concurrent use; see [Labels] for batches.
func Label(spec LabelSpec, opts *LabelOptions) ([]byte, error) {
	img, err := LabelImage(spec, opts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(16 << 10)
	if err := pngEncoder.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qrcode: encode label: %w", err)
	}
	return buf.Bytes(), nil
}

// LabelImage renders a bag label: an *image.Gray for black on white without a logo, an
// *image.NRGBA otherwise.
func LabelImage(spec LabelSpec, opts *LabelOptions) (draw.Image, error) {
	var o LabelOptions
	if opts != nil {
		o = *opts
	}
	cfg, err := newConfig(o.QR)
	if err != nil {
		return nil, err
	}
	g, err := newLabelGeometry(o.Width, o.Height, spec, o.Landscape)
	if err != nil {
		return nil, err
	}
	code, err := encode(spec.Content, cfg)
	if err != nil {
		return nil, err
	}
	return renderLabel(code, spec, g, o.Font)
}

func renderLabel(code *Code, spec LabelSpec, g labelGeometry, f *Font) (draw.Image, error) {
	m, off, err := code.layout(g.qr.Dx())
	if err != nil {
		return nil, err
	}
	bounds := image.Rect(0, 0, g.w, g.h)
	var dst draw.Image
	if code.cfg.monochrome() && code.hole == 0 {
		gray := image.NewGray(bounds)
		for i := range gray.Pix {
			gray.Pix[i] = 0xff
		}
		dst = gray
	} else {
		rgba := image.NewNRGBA(bounds)
		fillNRGBA(rgba, bounds, code.cfg.bg)
		dst = rgba
	}
	origin := g.qr.Min.Add(image.Pt(off, off))
	code.paint(dst, origin, m)
	code.drawLogo(dst, origin, m)
	if !g.landscape {
		// Start the text right below the quiet zone; spare pixels go to the bottom margin.
		up := image.Pt(0, g.qr.Max.Y-(origin.Y+(code.n+code.cfg.quiet)*m))
		g.codeBox, g.nameB, g.prB = g.codeBox.Sub(up), g.nameB.Sub(up), g.prB.Sub(up)
	}

	if f == nil {
		f = SystemFont()
	}
	fg := code.cfg.fg
	line := func(s string, box image.Rectangle, shrink float64, fonts ...*Font) {
		if s == "" || box.Empty() {
			return
		}
		px := float64(box.Dy()) * 0.8
		rs, fc := fitLine(s, box.Dx(), px, px*shrink, fonts...)
		drawLine(dst, box, rs, fc, fg)
	}
	line(spec.Shop, g.shopB, 0.6, f, goRegular())
	line(spec.Code, g.codeBox, 0.5, goMono(), f, goRegular())
	line(spec.Name, g.nameB, 0.6, f, goRegular())
	line(spec.Price, g.prB, 0.6, goMono(), f, goRegular())
	return dst, nil
}
