package qrcode

import (
	"image"

	xdraw "golang.org/x/image/draw"
)

// Logo sizing. A logo hides the modules under its backing square and the reader rebuilds
// them with Reed–Solomon error correction, so a logo forces level H, where every block can
// repair about 30 % of its codewords. The codewords are interleaved across the blocks, but
// not evenly: in some versions the column pairs that cross the centre carry the same blocks
// again and again, so a square sized by area alone would overload one block. logoHole keeps
// the square to 26 % of the symbol's side (under 7 % of its area), clear of the finder,
// separator and format modules, and never lets its edge cut through an alignment pattern.
// The tests check this rule against the block structure of every version 1–40: each block
// keeps at least a quarter of its correction capacity for print wear, glare and creases.

// logoHole returns the side, in modules, of the centred square a logo may cover in a level-H
// symbol of the given version (0 when none fits). The side is odd, so the square is centred
// exactly.
func logoHole(version int) int {
	if version < 1 || version > 40 {
		return 0
	}
	n := 4*version + 17
	s := n * 13 / 50
	if s%2 == 0 {
		s--
	}
	for ; s >= 1; s -= 2 {
		// Rows and columns 0–8 hold a finder, its separator and the format information;
		// only version 1 is small enough to reach them.
		if o := (n - s) / 2; o > 8 && !cutsAlignment(version, o, s) {
			return s
		}
	}
	return 0
}

// alignmentPositions returns the row/column centres of the alignment patterns of a version:
// 6, then evenly spaced (an even step) up to n-7, as tabulated in ISO/IEC 18004 Annex E.
func alignmentPositions(version int) []int {
	if version == 1 {
		return nil
	}
	n := version*4 + 17
	num := version/7 + 2
	step := (version*8 + num*3 + 5) / (num*4 - 4) * 2
	pos := make([]int, num)
	pos[0] = 6
	for i, p := num-1, n-7; i >= 1; i, p = i-1, p-step {
		pos[i] = p
	}
	return pos
}

// cutsAlignment reports whether the square [o, o+s)² covers part, but not all, of an
// alignment pattern. Readers such as zbar fit their sampling grid to alignment patterns; a
// half-hidden one next to a logo is found in the wrong place.
func cutsAlignment(version, o, s int) bool {
	pos := alignmentPositions(version)
	n := version*4 + 17
	inside := func(v int) int { return max(0, min(v+3, o+s)-max(v-2, o)) } // overlap of [v-2, v+3)
	for _, cy := range pos {
		for _, cx := range pos {
			if (cx == 6 && cy == 6) || (cx == 6 && cy == n-7) || (cx == n-7 && cy == 6) {
				continue
			}
			if c := inside(cx) * inside(cy); c != 0 && c != 25 {
				return true
			}
		}
	}
	return false
}

// drawLogo draws the logo, scaled to fit with a half-module inset, into the cleared square.
func (c *Code) drawLogo(dst xdraw.Image, origin image.Point, m int) {
	if c.hole == 0 || c.cfg.logo == nil {
		return
	}
	a := c.LogoArea()
	r := image.Rect(origin.X+a.Min.X*m, origin.Y+a.Min.Y*m, origin.X+a.Max.X*m, origin.Y+a.Max.Y*m)
	drawFitted(dst, r.Inset(max(m/2, 1)), c.cfg.logo)
}

// drawFitted scales src into the centre of r, keeping its aspect ratio.
func drawFitted(dst xdraw.Image, r image.Rectangle, src image.Image) {
	sb := src.Bounds()
	if r.Empty() || sb.Empty() {
		return
	}
	w, h := r.Dx(), r.Dy()
	if sb.Dx()*h > sb.Dy()*w {
		h = max(1, sb.Dy()*w/sb.Dx())
	} else {
		w = max(1, sb.Dx()*h/sb.Dy())
	}
	x0 := r.Min.X + (r.Dx()-w)/2
	y0 := r.Min.Y + (r.Dy()-h)/2
	xdraw.CatmullRom.Scale(dst, image.Rect(x0, y0, x0+w, y0+h), src, sb, xdraw.Over, nil)
}
