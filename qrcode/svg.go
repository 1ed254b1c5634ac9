package qrcode

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"strconv"
)

// SVG encodes content as a compact SVG document: one <path> whose sub-paths are the
// horizontal runs of dark modules, in module units. The root element has a viewBox and no
// width/height, so it scales to its container; set the size with CSS or a width attribute.
func SVG(content string, opts ...Option) ([]byte, error) {
	c, err := Encode(content, opts...)
	if err != nil {
		return nil, err
	}
	return c.SVG()
}

// SVG renders the code as an SVG document (see the package-level [SVG]).
func (c *Code) SVG() ([]byte, error) {
	q := c.cfg.quiet
	total := c.n + 2*q
	var b bytes.Buffer
	b.Grow(256 + c.n*c.n/2)
	t := strconv.Itoa(total)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + t + " " + t + `" shape-rendering="crispEdges">`)
	if c.cfg.bg.A != 0 {
		b.WriteString(`<rect width="` + t + `" height="` + t + `"` + svgFill(c.cfg.bg) + `/>`)
	}
	b.WriteString(`<path` + svgFill(c.cfg.fg) + ` d="`)
	var num []byte
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
			// M x y h w v1 h-w z: one module-high rectangle.
			num = append(num[:0], 'M')
			num = strconv.AppendInt(num, int64(x0+q), 10)
			num = append(num, ' ')
			num = strconv.AppendInt(num, int64(y+q), 10)
			num = append(num, 'h')
			num = strconv.AppendInt(num, int64(x-x0), 10)
			num = append(num, "v1h-"...)
			num = strconv.AppendInt(num, int64(x-x0), 10)
			num = append(num, 'z')
			b.Write(num)
		}
	}
	b.WriteString(`"/>`)
	if c.hole > 0 {
		if err := c.svgLogo(&b); err != nil {
			return nil, err
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

// svgLogo embeds the logo as a PNG data URI inside the cleared square, inset by half a module.
func (c *Code) svgLogo(b *bytes.Buffer) error {
	lb := c.cfg.logo.Bounds()
	img := c.cfg.logo
	if lb.Dx() > 256 || lb.Dy() > 256 { // keep the document small
		k := max(lb.Dx(), lb.Dy())
		dst := image.NewNRGBA(image.Rect(0, 0, max(1, lb.Dx()*256/k), max(1, lb.Dy()*256/k)))
		drawFitted(dst, dst.Bounds(), img)
		img = dst
	}
	var pngBuf bytes.Buffer
	if err := pngEncoder.Encode(&pngBuf, img); err != nil {
		return fmt.Errorf("qrcode: encode logo: %w", err)
	}
	a := c.LogoArea().Add(image.Pt(c.cfg.quiet, c.cfg.quiet))
	fmt.Fprintf(b, `<image x="%g" y="%g" width="%g" height="%g" href="data:image/png;base64,%s"/>`,
		float64(a.Min.X)+0.5, float64(a.Min.Y)+0.5, float64(a.Dx())-1, float64(a.Dy())-1,
		base64.StdEncoding.EncodeToString(pngBuf.Bytes()))
	return nil
}

// svgFill returns ` fill="#rrggbb"` plus fill-opacity when the colour is translucent.
func svgFill(c color.NRGBA) string {
	s := fmt.Sprintf(` fill="#%02x%02x%02x"`, c.R, c.G, c.B)
	if c.A != 0xff {
		s += ` fill-opacity="` + strconv.FormatFloat(float64(c.A)/255, 'f', 3, 64) + `"`
	}
	return s
}
