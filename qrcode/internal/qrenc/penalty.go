package qrenc

// Mask penalty scoring (ISO/IEC 18004 §7.8.3). m holds one byte per module, 0 or 1.

const (
	penaltyRun    = 3  // N1: a run of five same-colour modules, +1 per extra module
	penaltyBlock  = 3  // N2: a 2×2 block of one colour
	penaltyFinder = 40 // N3: 1:1:3:1:1 dark-light-dark-light-dark with four light modules on a side
	penaltyDark   = 10 // N4: per 5 % deviation of the dark share from 50 %
)

// Finder-like patterns in an 11-module window, newest module in bit 0: light×4 then
// 1011101, and 1011101 then light×4.
const (
	finderBefore = 0b00001011101
	finderAfter  = 0b10111010000
)

func penalty(m []byte, n int) int {
	p := 0
	dark := 0
	// Rows: runs, finder-like patterns, dark count; and 2×2 blocks with the next row.
	for y := range n {
		row := m[y*n : y*n+n]
		p += linePenalty(row, 1)
		for _, b := range row {
			dark += int(b)
		}
		if y+1 < n {
			next := m[(y+1)*n : (y+1)*n+n]
			for x := 0; x+1 < n; x++ {
				s := row[x] + row[x+1] + next[x] + next[x+1]
				if s == 0 || s == 4 {
					p += penaltyBlock
				}
			}
		}
	}
	// Columns.
	for x := range n {
		p += linePenalty(m[x:], n)
	}
	total := n * n
	k := abs(dark*20-total*10) / total // whole 5 % steps away from 50 %
	return p + k*penaltyDark
}

// linePenalty scores rule 1 and rule 3 along n modules of m spaced stride apart, where
// n = len(m)/stride rounded up. Outside the symbol counts as light.
func linePenalty(m []byte, stride int) int {
	p := 0
	var win uint32 // the last 11 modules, with light padding before the line
	var prev byte = 2
	run := 0
	for i := 0; i < len(m); i += stride {
		b := m[i]
		if b == prev {
			run++
		} else {
			if run >= 5 {
				p += penaltyRun + run - 5
			}
			prev, run = b, 1
		}
		win = (win<<1 | uint32(b)) & 0x7FF
		if win == finderBefore || win == finderAfter {
			p += penaltyFinder
		}
	}
	if run >= 5 {
		p += penaltyRun + run - 5
	}
	// Four light modules past the end.
	for range 4 {
		win = win << 1 & 0x7FF
		if win == finderAfter {
			p += penaltyFinder
		}
	}
	return p
}
