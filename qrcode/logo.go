package qrcode

import (
	"image"
	"sync"

	xdraw "golang.org/x/image/draw"
)

// Logo sizing. A logo hides the modules under its backing square; the reader must rebuild
// them with Reed–Solomon correction. Rather than a fixed percentage (which breaks small
// symbols), logoHole maps every module to its codeword and block (ISO/IEC 18004 §7.7) and
// picks the largest centred square that leaves each block with spare correction capacity.

const (
	maxLogoArea = 0.20 // at most this share of the symbol area
	// budgetNum/budgetDen: share of a block's correction capacity (ec/2 codewords) the logo
	// may use; the rest stays for print wear, glare and creases.
	budgetNum, budgetDen = 3, 4
)

// blocksH holds, per version, the level-H block structure: EC codewords per block, blocks in
// group 1, data codewords per group-1 block, blocks in group 2, data codewords per group-2 block.
var blocksH = [40][5]uint8{
	{17, 1, 9, 0, 0}, {28, 1, 16, 0, 0}, {22, 2, 13, 0, 0}, {16, 4, 9, 0, 0}, {22, 2, 11, 2, 12},
	{28, 4, 15, 0, 0}, {26, 4, 13, 1, 14}, {26, 4, 14, 2, 15}, {24, 4, 12, 4, 13}, {28, 6, 15, 2, 16},
	{24, 3, 12, 8, 13}, {28, 7, 14, 4, 15}, {22, 12, 11, 4, 12}, {24, 11, 12, 5, 13}, {24, 11, 12, 7, 13},
	{30, 3, 15, 13, 16}, {28, 2, 14, 17, 15}, {28, 2, 14, 19, 15}, {26, 9, 13, 16, 14}, {28, 15, 15, 10, 16},
	{30, 19, 16, 6, 17}, {24, 34, 13, 0, 0}, {30, 16, 15, 14, 16}, {30, 30, 16, 2, 17}, {30, 22, 15, 13, 16},
	{30, 33, 16, 4, 17}, {30, 12, 15, 28, 16}, {30, 11, 15, 31, 16}, {30, 19, 15, 26, 16}, {30, 23, 15, 25, 16},
	{30, 23, 15, 28, 16}, {30, 19, 15, 35, 16}, {30, 11, 15, 46, 16}, {30, 59, 16, 1, 17}, {30, 22, 15, 41, 16},
	{30, 2, 15, 64, 16}, {30, 24, 15, 46, 16}, {30, 42, 15, 32, 16}, {30, 10, 15, 67, 16}, {30, 20, 15, 61, 16},
}

// Module kinds in the function-pattern map.
const (
	modData      = iota
	modAlignment // alignment patterns may sit under a logo: readers do not need the central ones
	modFunction  // finders, separators, timing, format and version information
)

// alignmentPositions returns the row/column centres of the alignment patterns of a version.
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

// functionMap classifies every module (row-major) of a version's symbol.
func functionMap(version int) []uint8 {
	n := version*4 + 17
	m := make([]uint8, n*n)
	mark := func(x0, y0, x1, y1 int, kind uint8) {
		for y := max(y0, 0); y < min(y1, n); y++ {
			for x := max(x0, 0); x < min(x1, n); x++ {
				m[y*n+x] = kind
			}
		}
	}
	pos := alignmentPositions(version)
	for _, cy := range pos {
		for _, cx := range pos {
			if (cx == 6 && cy == 6) || (cx == 6 && cy == n-7) || (cx == n-7 && cy == 6) {
				continue // would overlap a finder
			}
			mark(cx-2, cy-2, cx+3, cy+3, modAlignment)
		}
	}
	mark(0, 6, n, 7, modFunction) // timing
	mark(6, 0, 7, n, modFunction)
	mark(0, 0, 9, 9, modFunction) // finders, separators and format information
	mark(n-8, 0, n, 9, modFunction)
	mark(0, n-8, 9, n, modFunction)
	if version >= 7 {
		mark(n-11, 0, n-8, 6, modFunction) // version information
		mark(0, n-11, 6, n-8, modFunction)
	}
	return m
}

// codewordMap returns, for every module, the index of the codeword it carries in the
// interleaved sequence, or -1 for function modules and remainder bits.
func codewordMap(version int, fn []uint8) []int16 {
	n := version*4 + 17
	cw := make([]int16, n*n)
	for i := range cw {
		cw[i] = -1
	}
	b := blocksH[version-1]
	total := int(b[1])*(int(b[2])+int(b[0])) + int(b[3])*(int(b[4])+int(b[0]))
	bit := 0
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for v := range n {
			y := v
			if upward {
				y = n - 1 - v
			}
			for j := range 2 {
				i := y*n + right - j
				if fn[i] == modData {
					if bit/8 < total {
						cw[i] = int16(bit / 8)
					}
					bit++
				}
			}
		}
	}
	return cw
}

// blockOf returns, for each codeword of the interleaved sequence, its block index.
func blockOf(version int) (blocks []int16, nblocks int) {
	b := blocksH[version-1]
	ec := int(b[0])
	var dataLen []int
	for range b[1] {
		dataLen = append(dataLen, int(b[2]))
	}
	for range b[3] {
		dataLen = append(dataLen, int(b[4]))
	}
	maxData := int(max(b[2], b[4]))
	for i := range maxData {
		for k, l := range dataLen {
			if i < l {
				blocks = append(blocks, int16(k))
			}
		}
	}
	for range ec {
		for k := range dataLen {
			blocks = append(blocks, int16(k))
		}
	}
	return blocks, len(dataLen)
}

var holeCache [41]struct {
	once sync.Once
	side int
}

// logoHole returns the side, in modules, of the centred square a logo may cover in a
// level-H symbol of the given version (0 when none fits).
func logoHole(version int) int {
	if version < 1 || version > 40 {
		return 0
	}
	h := &holeCache[version]
	h.once.Do(func() { h.side = computeHole(version) })
	return h.side
}

func computeHole(version int) int {
	n := version*4 + 17
	fn := functionMap(version)
	cw := codewordMap(version, fn)
	blocks, nblocks := blockOf(version)
	budget := int(blocksH[version-1][0]) / 2 * budgetNum / budgetDen
	seen := make([]bool, len(blocks))
	perBlock := make([]int, nblocks)

	s := n - 2
	if s%2 == 0 {
		s--
	}
	for ; s >= 1; s -= 2 {
		if float64(s*s) > maxLogoArea*float64(n*n) {
			continue
		}
		clear(seen)
		clear(perBlock)
		o := (n - s) / 2
		ok := !cutsAlignment(version, o, s)
		for y := o; y < o+s && ok; y++ {
			for x := o; x < o+s; x++ {
				i := y*n + x
				if fn[i] == modFunction {
					ok = false
					break
				}
				if c := cw[i]; c >= 0 && !seen[c] {
					seen[c] = true
					if perBlock[blocks[c]]++; perBlock[blocks[c]] > budget {
						ok = false
						break
					}
				}
			}
		}
		if ok {
			return s
		}
	}
	return 0
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
