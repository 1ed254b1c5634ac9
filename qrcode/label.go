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
}

// LabelOptions configures [Label], [LabelImage] and [Labels]. The zero value is usable.
type LabelOptions struct {
	// Width is the label width in pixels (default 480: about 40 mm at 300 dpi).
	Width int
	// Height is the label height in pixels; 0 means Width plus room for the two text lines.
	// The QR shrinks to leave room for the text when Height is tight.
	Height int
	// Font draws the name and any code characters Go Mono lacks; nil means [SystemFont].
	Font *Font
	// QR holds the symbol options: level, quiet zone, colours, logo.
	QR []Option
	// Workers bounds the parallel renderers in [Labels]; 0 means GOMAXPROCS.
	Workers int
}

// DefaultLabelWidth is the label width used when [LabelOptions.Width] is 0.
const DefaultLabelWidth = 480

// labelGeometry splits a label into the QR square and two text boxes, all proportional to the
// width so that labels of one batch look alike.
type labelGeometry struct {
	w, h           int
	qr             image.Rectangle
	codeBox, nameB image.Rectangle
}

func newLabelGeometry(w, h int) (labelGeometry, error) {
	if w == 0 {
		w = DefaultLabelWidth
	}
	codeH, nameH, pad := w*13/100, w*9/100, w*3/100
	if h == 0 {
		h = w + codeH + nameH + pad
	}
	if w < 0 || h < 0 || w > MaxImageSize || h > MaxImageSize {
		return labelGeometry{}, fmt.Errorf("%w: label %dx%d px (want 1..%d)", ErrInvalidOption, w, h, MaxImageSize)
	}
	side := min(w, h-codeH-nameH-pad)
	if side < 21 {
		return labelGeometry{}, fmt.Errorf("%w: label %dx%d px leaves no room for the QR code", ErrSizeTooSmall, w, h)
	}
	x0 := (w - side) / 2
	g := labelGeometry{w: w, h: h, qr: image.Rect(x0, 0, x0+side, side)}
	g.codeBox = image.Rect(w*4/100, side, w-w*4/100, side+codeH)
	g.nameB = image.Rect(w*4/100, side+codeH, w-w*4/100, side+codeH+nameH)
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
	g, err := newLabelGeometry(o.Width, o.Height)
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
	// Start the text right below the quiet zone; spare pixels go to the bottom margin.
	up := image.Pt(0, g.qr.Max.Y-(origin.Y+(code.n+code.cfg.quiet)*m))
	g.codeBox, g.nameB = g.codeBox.Sub(up), g.nameB.Sub(up)

	if f == nil {
		f = SystemFont()
	}
	fg := code.cfg.fg
	if spec.Code != "" {
		px := float64(g.codeBox.Dy()) * 0.8
		rs, fc := fitLine(spec.Code, g.codeBox.Dx(), px, px*0.5, goMono(), f, goRegular())
		drawLine(dst, g.codeBox, rs, fc, fg)
	}
	if spec.Name != "" {
		px := float64(g.nameB.Dy()) * 0.8
		rs, fc := fitLine(spec.Name, g.nameB.Dx(), px, px*0.6, f, goRegular())
		drawLine(dst, g.nameB, rs, fc, fg)
	}
	return dst, nil
}
