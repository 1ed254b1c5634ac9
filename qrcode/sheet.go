package qrcode

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
)

// SheetOptions lays out a printable PDF of labels. Lengths are in millimetres. The zero value
// prints 70×37 mm labels, 3 across and 8 down on A4: the common 24-up sticker sheet
// (A4 不干胶 24 格).
type SheetOptions struct {
	PageWidth, PageHeight   float64 // default A4, 210×297
	LabelWidth, LabelHeight float64 // default 70×37
	// Columns and Rows per page; 0 means as many as fit.
	Columns, Rows int
	// MarginX and MarginY are the minimum page margins; the grid is centred in what remains.
	MarginX, MarginY float64
	// GapX and GapY separate neighbouring labels.
	GapX, GapY float64
	// Padding is the blank inset inside each label, kept clear of print (default 2 mm).
	Padding float64
	// Border draws a thin grey outline around each label, for plain paper cut by hand.
	Border bool
	// Font draws names (and codes that are not plain ASCII); nil means [SystemFont]. A font
	// with TrueType outlines is embedded (subset); otherwise those lines are drawn as images.
	Font *Font
	// QR holds the symbol options: level, quiet zone, colours, logo.
	QR []Option
	// Workers bounds the goroutines encoding symbols; 0 means GOMAXPROCS.
	Workers int
}

// Roll returns options for a roll of width×height mm labels on a label printer (热敏标签纸, e.g.
// 50×30 or 40×30): one label per page, the page the size of the label, a 1.5 mm blank margin
// inside it. Print at 100 % with the printer's paper set to the label size.
func Roll(width, height float64) *SheetOptions {
	return &SheetOptions{PageWidth: width, PageHeight: height, LabelWidth: width, LabelHeight: height,
		Columns: 1, Rows: 1, Padding: 1.5}
}

func (o *SheetOptions) withDefaults() SheetOptions {
	r := SheetOptions{}
	if o != nil {
		r = *o
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&r.PageWidth, 210)
	def(&r.PageHeight, 297)
	def(&r.LabelWidth, 70)
	def(&r.LabelHeight, 37)
	def(&r.Padding, 2)
	return r
}

// sheetGrid is the computed placement of labels on a page.
type sheetGrid struct {
	cols, rows int
	left, top  float64
}

func (o *SheetOptions) grid() (sheetGrid, error) {
	bad := func(format string, a ...any) (sheetGrid, error) {
		return sheetGrid{}, fmt.Errorf("%w: sheet: "+format, append([]any{ErrInvalidOption}, a...)...)
	}
	for _, v := range []float64{o.PageWidth, o.PageHeight, o.LabelWidth, o.LabelHeight} {
		if !(v > 0 && v <= 2000) {
			return bad("page and label sizes must be in (0, 2000] mm")
		}
	}
	for _, v := range []float64{o.MarginX, o.MarginY, o.GapX, o.GapY, o.Padding} {
		if !(v >= 0 && v <= 1000) {
			return bad("margins, gaps and padding must be in [0, 1000] mm")
		}
	}
	if o.Columns < 0 || o.Rows < 0 {
		return bad("negative columns or rows")
	}
	fit := func(page, margin, label, gap float64) int {
		return int((page - 2*margin + gap + 1e-9) / (label + gap))
	}
	g := sheetGrid{cols: o.Columns, rows: o.Rows}
	if g.cols == 0 {
		g.cols = fit(o.PageWidth, o.MarginX, o.LabelWidth, o.GapX)
	}
	if g.rows == 0 {
		g.rows = fit(o.PageHeight, o.MarginY, o.LabelHeight, o.GapY)
	}
	gw := float64(g.cols)*o.LabelWidth + float64(g.cols-1)*o.GapX
	gh := float64(g.rows)*o.LabelHeight + float64(g.rows-1)*o.GapY
	if g.cols < 1 || g.rows < 1 || gw > o.PageWidth-2*o.MarginX+1e-9 || gh > o.PageHeight-2*o.MarginY+1e-9 {
		return bad("%gx%g mm labels (%d×%d) do not fit a %gx%g mm page", o.LabelWidth, o.LabelHeight,
			g.cols, g.rows, o.PageWidth, o.PageHeight)
	}
	if 2*o.Padding >= min(o.LabelWidth, o.LabelHeight) {
		return bad("padding %g mm leaves no room in a %gx%g mm label", o.Padding, o.LabelWidth, o.LabelHeight)
	}
	g.left = (o.PageWidth - gw) / 2
	g.top = (o.PageHeight - gh) / 2
	return g, nil
}

// Sheet renders labels into a printable PDF, as many pages as needed. QR codes are vector
// rectangles (sharp at any printer resolution); codes and names are text. Symbols are encoded
// in parallel; the PDF itself is written by one goroutine.
func Sheet(ctx context.Context, specs []LabelSpec, opts *SheetOptions) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteSheet(ctx, &buf, specs, opts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteSheet is [Sheet] writing to w. On error, w may have received part of a document.
func WriteSheet(ctx context.Context, w io.Writer, specs []LabelSpec, opts *SheetOptions) (err error) {
	o := opts.withDefaults()
	g, err := o.grid()
	if err != nil {
		return err
	}
	cfg, err := newConfig(o.QR)
	if err != nil {
		return err
	}
	if len(specs) == 0 {
		return fmt.Errorf("%w: sheet: no labels", ErrInvalidOption)
	}
	if o.Font == nil {
		o.Font = SystemFont()
	}

	// Stage 1, parallel: encode every symbol and turn it into PDF path operators.
	paths := make([][]byte, len(specs))
	codes := make([]*Code, len(specs))
	err = parallel(ctx, len(specs), o.Workers, func(i int) error {
		c, err := encode(specs[i].Content, cfg)
		if err != nil {
			return err
		}
		codes[i], paths[i] = c, c.pdfPath()
		return nil
	})
	if err != nil {
		return err
	}

	// Stage 2, serial: lay out pages. fpdf reports most problems through Error(), but panics
	// on some inputs; turn those into errors too.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("qrcode: sheet: PDF writer failed: %v", r)
		}
	}()
	sw, err := newSheetWriter(&o, cfg)
	if err != nil {
		return err
	}
	perPage := g.cols * g.rows
	for i := range specs {
		if i%perPage == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			sw.pdf.AddPage()
		}
		k := i % perPage
		x := g.left + float64(k%g.cols)*(o.LabelWidth+o.GapX)
		y := g.top + float64(k/g.cols)*(o.LabelHeight+o.GapY)
		sw.label(x, y, specs[i], codes[i], paths[i])
		if err := sw.pdf.Error(); err != nil {
			return fmt.Errorf("qrcode: sheet: label %d: %w", i, err)
		}
	}
	if err := sw.pdf.Output(w); err != nil {
		return fmt.Errorf("qrcode: sheet: %w", err)
	}
	return nil
}

// pdfPath returns the dark modules as "x y w 1 re" operators in module units (one per
// horizontal run), to be placed with a cm transform.
func (c *Code) pdfPath() []byte {
	b := make([]byte, 0, c.n*c.n)
	for y := range c.n {
		for x := 0; x < c.n; {
			if !c.drawn(x, y) {
				x++
				continue
			}
			x0 := x
			for x < c.n && c.drawn(x, y) {
				x++
			}
			b = strconv.AppendInt(b, int64(x0), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(x-x0), 10)
			b = append(b, " 1 re\n"...)
		}
	}
	return b
}

// sheetWriter holds the PDF and the per-document text state.
type sheetWriter struct {
	pdf     *fpdf.Fpdf
	o       *SheetOptions
	cfg     config
	k       float64 // points per mm
	utf8    bool    // the name font is embedded as "cjk"
	widths  map[string]map[rune]float64
	images  int // raster text lines registered so far
	logoReg bool
	tr      func(string) string // UTF-8 → cp1252 for core fonts
}

// cp1252 converts s for a core font.
func (sw *sheetWriter) cp1252(s string) string {
	if sw.tr == nil {
		sw.tr = sw.pdf.UnicodeTranslatorFromDescriptor("")
	}
	return sw.tr(s)
}

const (
	monoFamily  = "Courier"   // core font: no embedding, ASCII codes only
	priceFamily = "Helvetica" // core font (bold) for prices: ASCII and ¥, written in cp1252
	cjkFamily   = "cjk"
	ptPerMM     = 72 / 25.4
)

func newSheetWriter(o *SheetOptions, cfg config) (*sheetWriter, error) {
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: o.PageWidth, Ht: o.PageHeight}})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCompression(true)
	pdf.SetCreator("github.com/qiwei-go/qiwei/qrcode", true)
	sw := &sheetWriter{pdf: pdf, o: o, cfg: cfg, k: pdf.GetConversionRatio(), widths: map[string]map[rune]float64{}}
	if ttf, err := o.Font.trueType(); err == nil {
		pdf.AddUTF8FontFromBytes(cjkFamily, "", ttf)
		if pdf.Err() {
			return nil, fmt.Errorf("qrcode: sheet: embed font %q: %w", o.Font.Name(), pdf.Error())
		}
		sw.utf8 = true
	}
	if cfg.logo != nil {
		var lb bytes.Buffer
		if err := pngEncoder.Encode(&lb, cfg.logo); err != nil {
			return nil, fmt.Errorf("qrcode: sheet: encode logo: %w", err)
		}
		pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: "PNG"}, &lb)
		if pdf.Err() {
			return nil, fmt.Errorf("qrcode: sheet: logo: %w", pdf.Error())
		}
		sw.logoReg = true
	}
	return sw, nil
}

// label draws one label with its top-left corner at (x, y) mm.
func (sw *sheetWriter) label(x, y float64, spec LabelSpec, c *Code, path []byte) {
	o, pdf := sw.o, sw.pdf
	if o.Border {
		pdf.SetDrawColor(190, 190, 190)
		pdf.SetLineWidth(0.1)
		pdf.Rect(x, y, o.LabelWidth, o.LabelHeight, "D")
	}
	in := rectMM{x + o.Padding, y + o.Padding, o.LabelWidth - 2*o.Padding, o.LabelHeight - 2*o.Padding}
	var qr, text rectMM
	if in.w > in.h*1.2 { // landscape: QR left, text right (at least 38 % of the width)
		side := min(in.h, in.w*0.62)
		qr = rectMM{in.x, in.y + (in.h-side)/2, side, side}
		gap := side * 0.04
		text = rectMM{in.x + side + gap, in.y, in.w - side - gap, in.h}
	} else { // portrait: QR on top, text beneath
		textH := min(in.h*0.3, in.w*0.45)
		side := min(in.w, in.h-textH)
		qr = rectMM{in.x + (in.w-side)/2, in.y, side, side}
		text = rectMM{in.x, in.y + side, in.w, in.h - side}
	}
	sw.symbol(qr, c, path)
	sw.text(text, spec, in.w > in.h*1.2)
}

type rectMM struct{ x, y, w, h float64 }

// symbol writes the QR as one filled path under a cm transform: module units, y down.
func (sw *sheetWriter) symbol(r rectMM, c *Code, path []byte) {
	total := float64(c.n + 2*c.cfg.quiet)
	a := r.w / total // module size, mm
	ox := r.x + a*float64(c.cfg.quiet)
	oy := r.y + a*float64(c.cfg.quiet)
	_, ph := sw.pdf.GetPageSize()
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	var b strings.Builder
	b.Grow(len(path) + 128)
	b.WriteString("q\n")
	if bg := c.cfg.bg; bg.A != 0 && (bg.R != 0xff || bg.G != 0xff || bg.B != 0xff) {
		b.WriteString(rgb(bg) + " rg\n" + f(r.x*sw.k) + " " + f((ph-r.y-r.w)*sw.k) + " " + f(r.w*sw.k) + " " +
			f(r.w*sw.k) + " re f\n")
	}
	b.WriteString(rgb(c.cfg.fg) + " rg\n")
	b.WriteString(f(a*sw.k) + " 0 0 " + f(-a*sw.k) + " " + f(ox*sw.k) + " " + f((ph-oy)*sw.k) + " cm\n")
	b.Write(path)
	b.WriteString("f\nQ")
	sw.pdf.RawWriteStr(b.String())
	if sw.logoReg && c.hole > 0 {
		la := c.LogoArea()
		inset := a / 2
		box := rectMM{ox + a*float64(la.Min.X) + inset, oy + a*float64(la.Min.Y) + inset,
			a*float64(la.Dx()) - 2*inset, a*float64(la.Dy()) - 2*inset}
		lb := c.cfg.logo.Bounds()
		w, h := box.w, box.w*float64(lb.Dy())/float64(lb.Dx())
		if h > box.h {
			w, h = box.h*float64(lb.Dx())/float64(lb.Dy()), box.h
		}
		sw.pdf.ImageOptions("logo", box.x+(box.w-w)/2, box.y+(box.h-h)/2, w, h, false,
			fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	}
}

func rgb(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	f := func(v uint32) string { return strconv.FormatFloat(float64(v)/0xffff, 'f', 3, 64) }
	return f(r) + " " + f(g) + " " + f(b)
}
