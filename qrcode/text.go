package qrcode

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Text layout for labels: one line, centred in a box, drawn with a chain of fonts so that
// each rune uses the first font that has it (e.g. Go Mono Bold for a product code, the CJK
// font for Chinese, Go Regular for anything else). Missing glyphs draw the primary font's
// "missing glyph" box; nothing here fails.

const ellipsis = '…'

// faceChain is a set of faces at one pixel size. Faces are not safe for concurrent use:
// build one per line drawn.
type faceChain struct {
	faces []font.Face
}

func newFaceChain(px float64, fonts ...*Font) *faceChain {
	fc := &faceChain{}
	for _, f := range fonts {
		if f == nil {
			continue
		}
		face, err := opentype.NewFace(f.f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			continue
		}
		fc.faces = append(fc.faces, face)
	}
	return fc
}

// pick returns the first face with a glyph for r (the primary face when none has one).
func (fc *faceChain) pick(r rune) font.Face {
	for _, f := range fc.faces {
		if _, ok := f.GlyphAdvance(r); ok {
			return f
		}
	}
	return fc.faces[0]
}

func (fc *faceChain) width(rs []rune) fixed.Int26_6 {
	var w fixed.Int26_6
	for _, r := range rs {
		a, _ := fc.pick(r).GlyphAdvance(r)
		w += a
	}
	return w
}

// cleanText turns s into a single line of printable runes (invalid UTF-8 becomes U+FFFD,
// control characters become spaces).
func cleanText(s string) []rune {
	rs := []rune(strings.TrimSpace(s))
	for i, r := range rs {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			rs[i] = ' '
		}
	}
	return rs
}

// fitLine lays out s for a box maxW pixels wide at size px, shrinking the size down to
// minPx and then cutting the text with an ellipsis if it is still too wide.
func fitLine(s string, maxW int, px, minPx float64, fonts ...*Font) ([]rune, *faceChain) {
	rs := cleanText(s)
	fc := newFaceChain(px, fonts...)
	if len(rs) == 0 || len(fc.faces) == 0 || maxW <= 0 {
		return nil, fc
	}
	limit := fixed.I(maxW)
	w := fc.width(rs)
	if w > limit {
		smaller := max(minPx, px*float64(limit)/float64(w)*0.98)
		fc = newFaceChain(smaller, fonts...)
		w = fc.width(rs)
	}
	if w > limit {
		cut := append([]rune(nil), rs...)
		for len(cut) > 0 && fc.width(append(cut, ellipsis)) > limit {
			cut = cut[:len(cut)-1]
		}
		rs = append(cut, ellipsis)
	}
	return rs, fc
}

// drawLine draws rs horizontally centred in box, vertically centred on the primary face's
// ascent and descent.
func drawLine(dst draw.Image, box image.Rectangle, rs []rune, fc *faceChain, col color.Color) {
	if len(rs) == 0 || len(fc.faces) == 0 {
		return
	}
	m := fc.faces[0].Metrics()
	w := fc.width(rs)
	dot := fixed.Point26_6{
		X: fixed.I(box.Min.X) + (fixed.I(box.Dx())-w)/2,
		Y: fixed.I(box.Min.Y) + (fixed.I(box.Dy())+m.Ascent-m.Descent)/2,
	}
	src := image.NewUniform(col)
	for _, r := range rs {
		face := fc.pick(r)
		dr, mask, mp, adv, ok := face.Glyph(dot, r)
		if ok && mask != nil {
			draw.DrawMask(dst, dr, src, image.Point{}, mask, mp, draw.Over) // clips to dst
		}
		dot.X += adv
	}
}
