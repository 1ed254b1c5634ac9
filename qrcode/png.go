package qrcode

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sync"
)

// PNG encodes content as a size×size PNG with the default options: level M, a 4-module quiet
// zone, black on white. Modules are whole pixels (the largest that fits) and the symbol is
// centred, so every module is crisp.
func PNG(content string, size int) ([]byte, error) {
	return PNGWith(content, size)
}

// PNGWith is [PNG] with options.
func PNGWith(content string, size int, opts ...Option) ([]byte, error) {
	c, err := Encode(content, opts...)
	if err != nil {
		return nil, err
	}
	return c.PNG(size)
}

// PNG renders the code as a size×size PNG. Without a logo the file is a 1-bit paletted PNG
// written directly from the module matrix (a few kilobytes, no intermediate image).
func (c *Code) PNG(size int) ([]byte, error) {
	m, off, err := c.layout(size)
	if err != nil {
		return nil, err
	}
	if c.hole > 0 {
		img := c.rgba(size, m, off)
		var buf bytes.Buffer
		if err := pngEncoder.Encode(&buf, img); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return c.png1(size, m, off)
}

// Image renders the code as a size×size image: an *image.Paletted (background index 0,
// foreground index 1) without a logo, an *image.NRGBA with one.
func (c *Code) Image(size int) (image.Image, error) {
	m, off, err := c.layout(size)
	if err != nil {
		return nil, err
	}
	if c.hole > 0 {
		return c.rgba(size, m, off), nil
	}
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{c.cfg.bg, c.cfg.fg})
	c.paint(img, image.Pt(off, off), m)
	return img, nil
}

func (c *Code) rgba(size, m, off int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	fillNRGBA(img, img.Bounds(), c.cfg.bg)
	c.paint(img, image.Pt(off, off), m)
	c.drawLogo(img, image.Pt(off, off), m)
	return img
}

// paint draws the dark modules (foreground colour) with module (0,0) at origin and m pixels
// per module. The background must already be filled. Fast paths for the image types we use.
func (c *Code) paint(dst draw.Image, origin image.Point, m int) {
	fg := c.cfg.fg
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
			r := image.Rect(origin.X+x0*m, origin.Y+y*m, origin.X+x*m, origin.Y+(y+1)*m).Intersect(dst.Bounds())
			fillRect(dst, r, fg)
		}
	}
}

// fillRect fills r with col, writing pixels directly for the concrete types labels use.
func fillRect(dst draw.Image, r image.Rectangle, col color.NRGBA) {
	switch d := dst.(type) {
	case *image.Paletted:
		idx := uint8(d.Palette.Index(col))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := d.Pix[d.PixOffset(r.Min.X, y):d.PixOffset(r.Max.X, y)]
			for i := range row {
				row[i] = idx
			}
		}
	case *image.NRGBA:
		if col.A != 0xff {
			draw.Draw(dst, r, image.NewUniform(col), image.Point{}, draw.Over) // blend
			return
		}
		fillNRGBA(d, r, col)
	case *image.Gray:
		g := color.GrayModel.Convert(col).(color.Gray).Y
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := d.Pix[d.PixOffset(r.Min.X, y):d.PixOffset(r.Max.X, y)]
			for i := range row {
				row[i] = g
			}
		}
	default:
		draw.Draw(dst, r, image.NewUniform(col), image.Point{}, draw.Over)
	}
}

// fillNRGBA sets every pixel of r (already inside dst) to col, as draw.Src would: one row
// is written, the others copied from it.
func fillNRGBA(dst *image.NRGBA, r image.Rectangle, col color.NRGBA) {
	if r.Empty() {
		return
	}
	first := dst.Pix[dst.PixOffset(r.Min.X, r.Min.Y):dst.PixOffset(r.Max.X, r.Min.Y)]
	for i := 0; i < len(first); i += 4 {
		first[i], first[i+1], first[i+2], first[i+3] = col.R, col.G, col.B, col.A
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(dst.Pix[dst.PixOffset(r.Min.X, y):], first)
	}
}

// pngEncoder encodes logo and label images: fast compression, pooled buffers.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}
func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

var zlibPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// png1 writes a bit-depth-1 paletted PNG straight from the matrix. Rows inside one module
// band repeat the row above, so they are written with the Up filter as all zeros, which
// deflate compresses to almost nothing.
func (c *Code) png1(size, m, off int) ([]byte, error) {
	rowBytes := (size + 7) / 8
	row := make([]byte, 1+rowBytes) // filter byte + bits
	up := make([]byte, 1+rowBytes)
	up[0] = 2 // PNG filter type Up; the rest stays zero

	var idat bytes.Buffer
	idat.Grow(64 + size*2)
	zw := zlibPool.Get().(*zlib.Writer)
	defer zlibPool.Put(zw)
	zw.Reset(&idat)

	band := -2 // module row of the previous pixel row; -1 is the quiet zone
	for py := range size {
		my := -1
		if py >= off && py < off+c.n*m {
			my = (py - off) / m
		}
		if my == band {
			if _, err := zw.Write(up); err != nil {
				return nil, err
			}
			continue
		}
		band = my
		clear(row)
		if my >= 0 {
			for x := 0; x < c.n; {
				if !c.drawn(x, my) {
					x++
					continue
				}
				x0 := x
				for x < c.n && c.drawn(x, my) {
					x++
				}
				setBits(row[1:], off+x0*m, off+x*m)
			}
		}
		if _, err := zw.Write(row); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	out := make([]byte, 0, len(pngSignature)+25+18+22+idat.Len()+12+12)
	out = append(out, pngSignature...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 1 // bit depth
	ihdr[9] = 3 // colour type: palette
	out = appendChunk(out, "IHDR", ihdr[:])
	bg, fg := c.cfg.bg, c.cfg.fg
	out = appendChunk(out, "PLTE", []byte{bg.R, bg.G, bg.B, fg.R, fg.G, fg.B})
	if bg.A != 0xff || fg.A != 0xff {
		out = appendChunk(out, "tRNS", []byte{bg.A, fg.A})
	}
	out = appendChunk(out, "IDAT", idat.Bytes())
	out = appendChunk(out, "IEND", nil)
	return out, nil
}

// setBits sets bits [from, to) of a big-endian bit row.
func setBits(row []byte, from, to int) {
	for from < to && from&7 != 0 {
		row[from>>3] |= 0x80 >> (from & 7)
		from++
	}
	for ; from+8 <= to; from += 8 {
		row[from>>3] = 0xff
	}
	for ; from < to; from++ {
		row[from>>3] |= 0x80 >> (from & 7)
	}
}

func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}
