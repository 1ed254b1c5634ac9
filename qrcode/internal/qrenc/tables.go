package qrenc

// Level is an error-correction level.
type Level uint8

// Error-correction levels, in the order of the standard's tables.
const (
	L Level = iota // ~7 % of codewords recoverable
	M              // ~15 %
	Q              // ~25 %
	H              // ~30 %
)

// formatBits are the two level bits of the format information (ISO/IEC 18004 Table 12).
var formatBits = [4]uint32{L: 1, M: 0, Q: 3, H: 2}

// eccPerBlock[level][version] is the number of error-correction codewords per block
// (ISO/IEC 18004 Table 9). Index 0 is unused.
var eccPerBlock = [4][41]uint8{
	{0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	{0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28},
	{0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
	{0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30},
}

// numBlocks[level][version] is the number of error-correction blocks (group 1 + group 2).
var numBlocks = [4][41]uint8{
	{0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25},
	{0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49},
	{0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68},
	{0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81},
}

// rawModules returns the number of modules of a version available for data and EC
// codewords, remainder bits included.
func rawModules(v int) int {
	r := (16*v+128)*v + 64
	if v >= 2 {
		a := v/7 + 2
		r -= (25*a-10)*a - 55
		if v >= 7 {
			r -= 36
		}
	}
	return r
}

// totalCodewords returns the number of codewords (data + EC) of a version.
func totalCodewords(v int) int { return rawModules(v) / 8 }

// dataCodewords returns the number of data codewords of a version at a level.
func dataCodewords(v int, l Level) int {
	return totalCodewords(v) - int(eccPerBlock[l][v])*int(numBlocks[l][v])
}

// alignmentPositions returns the row/column centres of the alignment patterns (Annex E).
func alignmentPositions(v int) []int {
	if v == 1 {
		return nil
	}
	n := v*4 + 17
	num := v/7 + 2
	step := (v*8 + num*3 + 5) / (num*4 - 4) * 2
	pos := make([]int, num)
	pos[0] = 6
	for i, p := num-1, n-7; i >= 1; i, p = i-1, p-step {
		pos[i] = p
	}
	return pos
}
