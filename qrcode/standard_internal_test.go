package qrcode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An oracle for QR Code Model 2 symbols, written from ISO/IEC 18004 independently of the
// encoder: its tables, the function-pattern geometry, the BCH codes of the format and version
// information, the data masks, the zigzag placement, the block interleaving and the
// Reed–Solomon code. Every symbol the package draws is checked against it, module by module.

var oracleLevels = []Level{LevelL, LevelM, LevelQ, LevelH}

// oracleLevelIndex orders the levels as the standard's tables do.
func oracleLevelIndex(l Level) int {
	return strings.IndexByte("LMQH", byte(l))
}

// Error-correction codewords per block and number of blocks, per level (L, M, Q, H) and
// version (index 0 unused): ISO/IEC 18004 Table 9.
var (
	stdECPerBlock = [4][41]int{
		{0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
		{0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28},
		{0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
		{0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	}
	stdBlocks = [4][41]int{
		{0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25},
		{0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49},
		{0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68},
		{0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81},
	}
)

// stdAlignment lists the alignment-pattern centre coordinates per version: ISO/IEC 18004
// Annex E, Table E.1.
var stdAlignment = [41][]int{
	2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50}, 11: {6, 30, 54}, 12: {6, 32, 58},
	13: {6, 34, 62}, 14: {6, 26, 46, 66}, 15: {6, 26, 48, 70}, 16: {6, 26, 50, 74}, 17: {6, 30, 54, 78},
	18: {6, 30, 56, 82}, 19: {6, 30, 58, 86}, 20: {6, 34, 62, 90}, 21: {6, 28, 50, 72, 94},
	22: {6, 26, 50, 74, 98}, 23: {6, 30, 54, 78, 102}, 24: {6, 28, 54, 80, 106}, 25: {6, 32, 58, 84, 110},
	26: {6, 30, 58, 86, 114}, 27: {6, 34, 62, 90, 118}, 28: {6, 26, 50, 74, 98, 122},
	29: {6, 30, 54, 78, 102, 126}, 30: {6, 26, 52, 78, 104, 130}, 31: {6, 30, 56, 82, 108, 134},
	32: {6, 34, 60, 86, 112, 138}, 33: {6, 30, 58, 86, 114, 142}, 34: {6, 34, 62, 90, 118, 146},
	35: {6, 30, 54, 78, 102, 126, 150}, 36: {6, 24, 50, 76, 102, 128, 154}, 37: {6, 28, 54, 80, 106, 132, 158},
	38: {6, 32, 58, 84, 110, 136, 162}, 39: {6, 26, 54, 82, 110, 138, 166}, 40: {6, 30, 58, 86, 114, 142, 170},
}

// stdTotalCodewords is the number of codewords (data and error correction) of a version:
// ISO/IEC 18004 Table 1.
var stdTotalCodewords = [41]int{0, 26, 44, 70, 100, 134, 172, 196, 242, 292, 346, 404, 466, 532, 581, 655,
	733, 815, 901, 991, 1085, 1156, 1258, 1364, 1474, 1588, 1706, 1828, 1921, 2051, 2185, 2323, 2465, 2611,
	2761, 2876, 3034, 3196, 3362, 3532, 3706}

// stdBlockLayout returns the data-codeword count of each block, in order (short blocks first),
// and the error-correction codewords per block.
func stdBlockLayout(v int, l Level) (data []int, ec int) {
	li := oracleLevelIndex(l)
	nb, ec := stdBlocks[li][v], stdECPerBlock[li][v]
	total := stdTotalCodewords[v]
	long := total % nb
	for b := range nb {
		d := total/nb - ec
		if b >= nb-long {
			d++
		}
		data = append(data, d)
	}
	return data, ec
}

func stdDataCodewords(v int, l Level) int {
	li := oracleLevelIndex(l)
	return stdTotalCodewords[v] - stdBlocks[li][v]*stdECPerBlock[li][v]
}

// stdByteCapacity is the number of 8-bit bytes a symbol holds in byte mode (ISO/IEC 18004
// Table 7): 4 mode bits and an 8-bit (versions 1–9) or 16-bit character count come first.
func stdByteCapacity(v int, l Level) int {
	count := 8
	if v >= 10 {
		count = 16
	}
	return (stdDataCodewords(v, l)*8 - 4 - count) / 8
}

// byteContent returns n characters that force byte mode (lower-case letters and digits).
func byteContent(n, seed int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789-_.~"
	b := make([]byte, n)
	x := uint32(seed*2654435761 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = chars[x%uint32(len(chars))]
	}
	b[0] = 'q' // lower case: never numeric or alphanumeric
	return string(b)
}

// bchWord returns data followed by the remainder of data·x^deg divided by gen (of degree deg).
func bchWord(data, gen uint32, deg int) uint32 {
	r := data << deg
	for i := 31; i >= deg; i-- {
		if r>>i&1 != 0 {
			r ^= gen << (i - deg)
		}
	}
	return data<<deg | r
}

// stdFormatWord is the 15-bit format information for a level and mask: BCH(15,5) with
// generator x^10+x^8+x^5+x^4+x^2+x+1, masked with 101010000010010 (ISO/IEC 18004 7.9, Annex C).
func stdFormatWord(l Level, mask int) uint32 {
	levelBits := [4]uint32{1, 0, 3, 2}[oracleLevelIndex(l)]
	return bchWord(levelBits<<3|uint32(mask), 0x537, 10) ^ 0x5412
}

// stdVersionWord is the 18-bit version information: BCH(18,6) with generator
// x^12+x^11+x^10+x^9+x^8+x^5+x^2+1 (ISO/IEC 18004 7.10, Annex D).
func stdVersionWord(v int) uint32 { return bchWord(uint32(v), 0x1F25, 12) }

// stdMask reports whether data mask k inverts the module at column x, row y (ISO/IEC 18004
// Table 10, with i the row and j the column).
func stdMask(k, x, y int) bool {
	i, j := y, x
	switch k {
	case 0:
		return (i+j)%2 == 0
	case 1:
		return i%2 == 0
	case 2:
		return j%3 == 0
	case 3:
		return (i+j)%3 == 0
	case 4:
		return (i/2+j/3)%2 == 0
	case 5:
		return i*j%2+i*j%3 == 0
	case 6:
		return (i*j%2+i*j%3)%2 == 0
	}
	return ((i+j)%2+i*j%3)%2 == 0
}

// stdFunction marks, for version v, every module that is not for data: finders with their
// separators, format information, timing patterns, alignment patterns, the dark module and
// version information.
func stdFunction(v int) []bool {
	n := 4*v + 17
	fn := make([]bool, n*n)
	mark := func(x0, y0, x1, y1 int) { // inclusive
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				fn[y*n+x] = true
			}
		}
	}
	mark(0, 0, 8, 8)     // top-left finder, separator, format information
	mark(n-8, 0, n-1, 8) // top-right
	mark(0, n-8, 8, n-1) // bottom-left, including the dark module
	mark(0, 6, n-1, 6)   // timing
	mark(6, 0, 6, n-1)
	for _, cy := range stdAlignment[v] {
		for _, cx := range stdAlignment[v] {
			if !overlapsFinder(cx, cy, n) {
				mark(cx-2, cy-2, cx+2, cy+2)
			}
		}
	}
	if v >= 7 {
		mark(n-11, 0, n-9, 5)
		mark(0, n-11, 5, n-9)
	}
	return fn
}

// overlapsFinder reports whether the alignment pattern centred at (cx, cy) would overlap a
// finder pattern; those positions are left out.
func overlapsFinder(cx, cy, n int) bool {
	return (cx == 6 && cy == 6) || (cx == 6 && cy == n-7) || (cx == n-7 && cy == 6)
}

// stdZigzag returns the data modules (y*n+x) in placement order: two-column strips from the
// right, upwards then downwards, skipping the vertical timing column.
func stdZigzag(v int, fn []bool) []int {
	n := 4*v + 17
	var order []int
	up := true
	for right := n - 1; right > 0; right -= 2 {
		if right == 6 {
			right--
		}
		for k := range n {
			y := k
			if up {
				y = n - 1 - k
			}
			for _, x := range []int{right, right - 1} {
				if !fn[y*n+x] {
					order = append(order, y*n+x)
				}
			}
		}
		up = !up
	}
	return order
}

// stdCodewordOf maps each data module to its block, or -1 for function modules and remainder
// bits. Codewords are placed interleaved: the i-th data codeword of every block in turn,
// then the i-th error-correction codeword of every block.
func stdCodewordOf(v int, l Level) (codeword, block []int) {
	n := 4*v + 17
	data, ec := stdBlockLayout(v, l)
	var blocks []int // block of each codeword in placement order
	for i := range data[len(data)-1] {
		for b, d := range data {
			if i < d {
				blocks = append(blocks, b)
			}
		}
	}
	for range ec {
		for b := range data {
			blocks = append(blocks, b)
		}
	}
	codeword = make([]int, n*n)
	for i := range codeword {
		codeword[i] = -1
	}
	for k, idx := range stdZigzag(v, stdFunction(v)) {
		if k/8 < len(blocks) {
			codeword[idx] = k / 8
		}
	}
	return codeword, blocks
}

// GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1, for the Reed–Solomon syndromes.
var gfExp, gfLog = func() (exp [512]byte, log [256]int) {
	x := 1
	for i := range 255 {
		exp[i], log[x] = byte(x), i
		if x <<= 1; x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < 512; i++ {
		exp[i] = exp[i-255]
	}
	return exp, log
}()

// rsSyndromesZero reports whether cw (data then error-correction codewords, highest power
// first) is a codeword of the QR Reed–Solomon code with ec check symbols: cw(α^i) = 0 for
// i = 0 … ec-1.
func rsSyndromesZero(cw []byte, ec int) bool {
	for i := range ec {
		var s byte
		for _, c := range cw {
			if s != 0 {
				s = gfExp[gfLog[s]+i]
			}
			s ^= c
		}
		if s != 0 {
			return false
		}
	}
	return true
}

// stdByteModeData returns the data codewords for content in byte mode at version v, level l:
// mode 0100, the count, the bytes, a terminator of up to four zeros, zero bits to a byte
// boundary, then the pad codewords 11101100 and 00010001 in turn.
func stdByteModeData(content string, v int, l Level) []byte {
	var bits []bool
	put := func(val, width int) {
		for i := width - 1; i >= 0; i-- {
			bits = append(bits, val>>i&1 == 1)
		}
	}
	capBits := stdDataCodewords(v, l) * 8
	put(0b0100, 4)
	if v <= 9 {
		put(len(content), 8)
	} else {
		put(len(content), 16)
	}
	for i := range len(content) {
		put(int(content[i]), 8)
	}
	for i := 0; i < 4 && len(bits) < capBits; i++ {
		bits = append(bits, false)
	}
	for len(bits)%8 != 0 {
		bits = append(bits, false)
	}
	out := make([]byte, len(bits)/8)
	for i, b := range bits {
		if b {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	for pad := 0; len(out) < capBits/8; pad++ {
		out = append(out, [2]byte{0xEC, 0x11}[pad%2])
	}
	return out
}

// checkSymbol verifies c, which must hold content in byte mode at version v and level l,
// against the standard: every function pattern, both copies of the format information
// (level l, and the mask actually applied), the version information, the data codewords,
// the Reed–Solomon codewords of every block and the remainder bits.
func checkSymbol(t *testing.T, c *Code, v int, l Level, content string) {
	t.Helper()
	n := 4*v + 17
	require.Equal(t, n, c.Size(), "symbol size")
	dark := func(x, y int) bool { return c.Dark(x, y) }
	expect := func(x, y int, want bool, what string) {
		t.Helper()
		if dark(x, y) != want {
			t.Fatalf("%s: module (x=%d, y=%d) is dark=%v, want %v", what, x, y, !want, want)
		}
	}

	// Finder patterns (7×7: dark ring, light ring, dark 3×3) and their light separators.
	for _, f := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for dy := -1; dy <= 7; dy++ {
			for dx := -1; dx <= 7; dx++ {
				x, y := f[0]+dx, f[1]+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				d := max(abs(dx-3), abs(dy-3))
				expect(x, y, d <= 1 || d == 3, fmt.Sprintf("finder at (%d,%d)", f[0], f[1]))
			}
		}
	}
	// Timing patterns: row 6 and column 6 alternate between the separators, dark on even indices.
	for i := 8; i <= n-9; i++ {
		expect(i, 6, i%2 == 0, "horizontal timing pattern")
		expect(6, i, i%2 == 0, "vertical timing pattern")
	}
	// Alignment patterns (5×5: dark ring, light ring, dark centre) at the tabulated centres.
	for _, cy := range stdAlignment[v] {
		for _, cx := range stdAlignment[v] {
			if overlapsFinder(cx, cy, n) {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					expect(cx+dx, cy+dy, max(abs(dx), abs(dy)) != 1, fmt.Sprintf("alignment pattern at (%d,%d)", cx, cy))
				}
			}
		}
	}
	// The dark module beside the lower-left finder: row 4V+9, column 8.
	expect(8, 4*v+9, true, "dark module")

	// Format information: copy 1 around the upper-left finder, copy 2 split between the
	// lower-left and upper-right finders; bit 0 is the least significant.
	var f1, f2 uint32
	pos1 := [15][2]int{{8, 0}, {8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 5}, {8, 7}, {8, 8}, {7, 8}, {5, 8}, {4, 8}, {3, 8}, {2, 8}, {1, 8}, {0, 8}}
	for i, p := range pos1 { // pos1[i] holds bit i
		if dark(p[0], p[1]) {
			f1 |= 1 << i
		}
	}
	for i := range 8 { // bits 0–7 along row 8 from the right edge
		if dark(n-1-i, 8) {
			f2 |= 1 << i
		}
	}
	for i := 8; i < 15; i++ { // bits 8–14 down column 8 from row n-7
		if dark(8, n-15+i) {
			f2 |= 1 << i
		}
	}
	require.Equal(t, f1, f2, "the two copies of the format information differ: %015b vs %015b", f1, f2)
	mask := -1
	for k := range 8 {
		if stdFormatWord(l, k) == f1 {
			mask = k
		}
	}
	require.GreaterOrEqual(t, mask, 0, "format information %015b is not a level-%v codeword", f1, l)

	// Version information, 18 bits, in the 6×3 block left of the upper-right finder and its
	// transpose above the lower-left finder.
	if v >= 7 {
		var v1, v2 uint32
		for i := range 18 {
			a, b := n-11+i%3, i/3
			if dark(a, b) {
				v1 |= 1 << i
			}
			if dark(b, a) {
				v2 |= 1 << i
			}
		}
		assert.Equal(t, stdVersionWord(v), v1, "version information (upper right)")
		assert.Equal(t, stdVersionWord(v), v2, "version information (lower left)")
	}

	// Data: unmask with the mask the format information names and read the zigzag.
	fn := stdFunction(v)
	order := stdZigzag(v, fn)
	total := stdTotalCodewords[v]
	require.Len(t, order, total*8+[41]int{2: 7, 3: 7, 4: 7, 5: 7, 6: 7, 14: 3, 15: 3, 16: 3, 17: 3, 18: 3, 19: 3,
		20: 3, 21: 4, 22: 4, 23: 4, 24: 4, 25: 4, 26: 4, 27: 4, 28: 3, 29: 3, 30: 3, 31: 3, 32: 3, 33: 3, 34: 3}[v],
		"data modules = codewords·8 + remainder bits (Table 1)")
	stream := make([]byte, total)
	for k, idx := range order {
		bit := dark(idx%n, idx/n) != stdMask(mask, idx%n, idx/n)
		if k >= total*8 {
			assert.False(t, bit, "remainder bit %d must be 0", k-total*8)
		} else if bit {
			stream[k/8] |= 0x80 >> (k % 8)
		}
	}
	// De-interleave into blocks and check each one.
	data, ec := stdBlockLayout(v, l)
	blocks := make([][]byte, len(data))
	k := 0
	for i := range data[len(data)-1] {
		for b, d := range data {
			if i < d {
				blocks[b] = append(blocks[b], stream[k])
				k++
			}
		}
	}
	for range ec {
		for b := range data {
			blocks[b] = append(blocks[b], stream[k])
			k++
		}
	}
	var gotData []byte
	for b, blk := range blocks {
		require.True(t, rsSyndromesZero(blk, ec), "block %d is not a Reed–Solomon codeword", b)
		gotData = append(gotData, blk[:data[b]]...)
	}
	require.Equal(t, stdByteModeData(content, v, l), gotData, "data codewords (mask %d)", mask)
}

// TestEveryVersionAndLevelMatchesTheStandard fills every version 1–40 at every level to its
// byte-mode capacity and checks the symbol module by module against the oracle; one byte
// more must move to the next version.
func TestEveryVersionAndLevelMatchesTheStandard(t *testing.T) {
	for _, l := range oracleLevels {
		for v := 1; v <= 40; v++ {
			t.Run(fmt.Sprintf("%v-%d", l, v), func(t *testing.T) {
				t.Parallel()
				capacity := stdByteCapacity(v, l)
				content := byteContent(capacity, v*4+oracleLevelIndex(l))
				c, err := Encode(content, WithLevel(l))
				require.NoError(t, err)
				require.Equal(t, v, c.Version(), "%d bytes at level %v", capacity, l)
				checkSymbol(t, c, v, l, content)

				_, err = Encode(content+"x", WithLevel(l))
				if v == 40 {
					require.ErrorIs(t, err, ErrContentTooLong)
				} else {
					require.NoError(t, err)
				}
			})
		}
	}
}

// TestOracleSelfCheck pins the oracle to values printed in the standard, so that a slip in
// it cannot hide a slip in the encoder.
func TestOracleSelfCheck(t *testing.T) {
	assert.Equal(t, uint32(0b111011111000100), stdFormatWord(LevelL, 0)) // Annex C, Table C.1
	assert.Equal(t, uint32(0b101010000010010), stdFormatWord(LevelM, 0))
	assert.Equal(t, uint32(0b000100000111011), stdFormatWord(LevelH, 7))
	assert.Equal(t, uint32(0x07C94), stdVersionWord(7)) // Annex D, Table D.1
	assert.Equal(t, uint32(0x28C69), stdVersionWord(40))
	// Table 7: byte-mode capacities.
	assert.Equal(t, 17, stdByteCapacity(1, LevelL))
	assert.Equal(t, 7, stdByteCapacity(1, LevelH))
	assert.Equal(t, 213, stdByteCapacity(10, LevelM))
	assert.Equal(t, 2953, stdByteCapacity(40, LevelL))
	assert.Equal(t, 1273, stdByteCapacity(40, LevelH))
	// Table 9 totals: data + error correction = all codewords.
	for _, l := range oracleLevels {
		for v := 1; v <= 40; v++ {
			data, ec := stdBlockLayout(v, l)
			sum := 0
			for _, d := range data {
				sum += d + ec
			}
			require.Equal(t, stdTotalCodewords[v], sum, "%v-%d", l, v)
		}
	}
	// Annex I: "01234567" at 1-M has these ten error-correction codewords.
	cw := []byte{0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
		0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55}
	assert.True(t, rsSyndromesZero(cw, 10))
	cw[3] ^= 1
	assert.False(t, rsSyndromesZero(cw, 10))
	// The alignment formula the logo code uses agrees with Table E.1.
	for v := 1; v <= 40; v++ {
		assert.Equal(t, stdAlignment[v], alignmentPositions(v), "version %d", v)
	}
}

func abs(x int) int { return max(x, -x) }
