package qrenc

import "sync"

// layout is the per-version data shared by every symbol of that version.
type layout struct {
	n        int
	tmpl     []byte   // function patterns (1 dark), version information and dark module; format areas 0
	order    []uint16 // data modules in zigzag placement order
	maskBits []byte   // bit k set when mask k flips the module (data modules only)
}

var layouts [41]struct {
	once sync.Once
	l    *layout
}

func getLayout(v int) *layout {
	e := &layouts[v]
	e.once.Do(func() { e.l = newLayout(v) })
	return e.l
}

func newLayout(v int) *layout {
	n := 4*v + 17
	tmpl := make([]byte, n*n)
	fn := make([]bool, n*n)
	set := func(x, y int, dark bool) {
		i := y*n + x
		fn[i] = true
		if dark {
			tmpl[i] = 1
		} else {
			tmpl[i] = 0
		}
	}
	// Timing patterns.
	for i := range n {
		set(6, i, i%2 == 0)
		set(i, 6, i%2 == 0)
	}
	// Finder patterns with separators.
	for _, c := range [3][2]int{{3, 3}, {n - 4, 3}, {3, n - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				d := max(abs(dx), abs(dy))
				set(x, y, d != 2 && d != 4)
			}
		}
	}
	// Alignment patterns.
	pos := alignmentPositions(v)
	for i, cy := range pos {
		for j, cx := range pos {
			if (i == 0 && j == 0) || (i == 0 && j == len(pos)-1) || (i == len(pos)-1 && j == 0) {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					set(cx+dx, cy+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	// Format information areas (drawn per mask) and the dark module.
	for i := range 9 {
		set(8, i, false)
		set(i, 8, false)
	}
	for i := range 8 {
		set(n-1-i, 8, false)
		set(8, n-1-i, false)
	}
	set(8, n-8, true)
	// Version information.
	if v >= 7 {
		bits := versionBits(v)
		for i := range 18 {
			dark := bits>>uint(i)&1 != 0
			a, b := n-11+i%3, i/3
			set(a, b, dark)
			set(b, a, dark)
		}
	}

	l := &layout{n: n, tmpl: tmpl, maskBits: make([]byte, n*n)}
	l.order = make([]uint16, 0, rawModules(v))
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for vert := range n {
			y := vert
			if upward {
				y = n - 1 - vert
			}
			for j := range 2 {
				if x := right - j; !fn[y*n+x] {
					l.order = append(l.order, uint16(y*n+x))
				}
			}
		}
	}
	for y := range n {
		for x := range n {
			if fn[y*n+x] {
				continue
			}
			var b byte
			for k := range 8 {
				if maskFlips(k, x, y) {
					b |= 1 << uint(k)
				}
			}
			l.maskBits[y*n+x] = b
		}
	}
	return l
}

func abs(x int) int { return max(x, -x) }

// maskFlips reports whether data mask k inverts module (x, y) (ISO/IEC 18004 Table 10).
func maskFlips(k, x, y int) bool {
	switch k {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	}
	return ((x+y)%2+x*y%3)%2 == 0
}

// bch returns data followed by the remainder of data·x^(deg) modulo gen (of degree deg).
func bch(data, gen uint32, deg int) uint32 {
	r := data << uint(deg)
	for i := 31; i >= deg; i-- {
		if r>>uint(i)&1 != 0 {
			r ^= gen << uint(i-deg)
		}
	}
	return data<<uint(deg) | r
}

// versionBits returns the 18-bit version information: BCH(18,6), generator 0x1F25.
func versionBits(v int) uint32 { return bch(uint32(v), 0x1F25, 12) }

// formatInfo returns the 15-bit format information: BCH(15,5), generator 0x537, XOR 0x5412.
func formatInfo(l Level, mask int) uint32 {
	return bch(formatBits[l]<<3|uint32(mask), 0x537, 10) ^ 0x5412
}

// drawFormat writes both copies of the format information into m.
func drawFormat(m []byte, n int, bits uint32) {
	bit := func(i int) byte { return byte(bits >> uint(i) & 1) }
	for i := range 6 {
		m[i*n+8] = bit(i)
	}
	m[7*n+8] = bit(6)
	m[8*n+8] = bit(7)
	m[8*n+7] = bit(8)
	for i := 9; i < 15; i++ {
		m[8*n+14-i] = bit(i)
	}
	for i := range 8 {
		m[8*n+n-1-i] = bit(i)
	}
	for i := 8; i < 15; i++ {
		m[(n-15+i)*n+8] = bit(i)
	}
}

// place draws s.all into the version's matrix, tries the eight masks (or only mask force,
// when 0–7) and returns the best masked matrix (a scratch buffer) and its mask.
func (s *scratch) place(v int, l Level, force int) ([]byte, int) {
	lay := getLayout(v)
	n := lay.n
	s.base = grow(s.base, n*n)
	copy(s.base, lay.tmpl)
	nbits := len(s.all) * 8
	for i, idx := range lay.order[:nbits] {
		s.base[idx] = s.all[i>>3] >> uint(7-i&7) & 1
	}
	s.work = grow(s.work, n*n)
	s.best = grow(s.best, n*n)
	if cap(s.runs) < n {
		s.runs = make([]int32, n)
	}
	bestMask, bestP := 0, -1
	for k := range 8 {
		if force >= 0 && k != force {
			continue
		}
		w := s.work
		mb := lay.maskBits[:len(w)]
		base := s.base[:len(w)]
		for i := range w {
			w[i] = base[i] ^ (mb[i] >> uint(k) & 1)
		}
		drawFormat(w, n, formatInfo(l, k))
		p := penalty(w, n)
		if bestP < 0 || p < bestP {
			bestP, bestMask = p, k
			s.work, s.best = s.best, s.work
		}
	}
	return s.best, bestMask
}
