package qrcode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawDataModules is the number of modules left for data and EC codewords (and remainder
// bits) in a version, by the closed form of ISO/IEC 18004 (as in Nayuki's reference code).
func rawDataModules(v int) int {
	r := (16*v+128)*v + 64
	if v >= 2 {
		n := v/7 + 2
		r -= (25*n-10)*n - 55
		if v >= 7 {
			r -= 36
		}
	}
	return r
}

func TestFunctionMapMatchesStandard(t *testing.T) {
	for v := 1; v <= 40; v++ {
		fn := functionMap(v)
		free := 0
		for _, k := range fn {
			if k == modData {
				free++
			}
		}
		require.Equal(t, rawDataModules(v), free, "version %d", v)

		// Every codeword of the interleaved sequence occupies exactly 8 modules.
		b := blocksH[v-1]
		total := int(b[1])*(int(b[2])+int(b[0])) + int(b[3])*(int(b[4])+int(b[0]))
		assert.Equal(t, rawDataModules(v)/8, total, "version %d: codeword count", v)
		count := make([]int, total)
		for _, c := range codewordMap(v, fn) {
			if c >= 0 {
				count[c]++
			}
		}
		for i, n := range count {
			require.Equal(t, 8, n, "version %d codeword %d", v, i)
		}
		blocks, nb := blockOf(v)
		assert.Len(t, blocks, total)
		assert.Equal(t, int(b[1]+b[3]), nb)
	}
}

func TestAlignmentPositions(t *testing.T) {
	// ISO/IEC 18004 Annex E, a sample of rows.
	want := map[int][]int{
		1: nil, 2: {6, 18}, 6: {6, 34}, 7: {6, 22, 38}, 14: {6, 26, 46, 66}, 21: {6, 28, 50, 72, 94},
		32: {6, 34, 60, 86, 112, 138}, 36: {6, 24, 50, 76, 102, 128, 154}, 40: {6, 30, 58, 86, 114, 142, 170},
	}
	for v, pos := range want {
		assert.Equal(t, pos, alignmentPositions(v), "version %d", v)
	}
}

// TestAlignmentPatternsInEncoderOutput checks our map against what the encoder draws.
func TestAlignmentPatternsInEncoderOutput(t *testing.T) {
	seen := map[int]bool{}
	for n := 10; n < 400; n += 7 {
		c, err := Encode(strings.Repeat("a", n), WithLevel(LevelH))
		require.NoError(t, err)
		v := c.Version()
		if seen[v] {
			continue
		}
		seen[v] = true
		pos := alignmentPositions(v)
		fn := functionMap(v)
		for _, cy := range pos {
			for _, cx := range pos {
				if fn[cy*c.n+cx] != modAlignment {
					continue
				}
				for dy := -2; dy <= 2; dy++ {
					for dx := -2; dx <= 2; dx++ {
						ring := max(abs(dx), abs(dy))
						require.Equal(t, ring != 1, c.Dark(cx+dx, cy+dy), "v%d pattern at (%d,%d)", v, cx, cy)
					}
				}
			}
		}
	}
	assert.GreaterOrEqual(t, len(seen), 10)
}

func abs(x int) int { return max(x, -x) }

func TestLogoHoleBounds(t *testing.T) {
	for v := 1; v <= 40; v++ {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			n := 4*v + 17
			s := logoHole(v)
			require.Positive(t, s)
			assert.Equal(t, 1, s%2, "odd, so it centres exactly")
			assert.LessOrEqual(t, float64(s*s), maxLogoArea*float64(n*n))
			fn := functionMap(v)
			o := (n - s) / 2
			for y := o; y < o+s; y++ {
				for x := o; x < o+s; x++ {
					require.NotEqual(t, uint8(modFunction), fn[y*n+x], "hole covers a function pattern")
				}
			}
			assert.False(t, cutsAlignment(v, o, s), "an alignment pattern is either hidden whole or left whole")
			if v >= 2 {
				assert.GreaterOrEqual(t, float64(s*s), 0.03*float64(n*n), "room for a visible logo")
			}
		})
	}
	assert.Zero(t, logoHole(0))
	assert.Zero(t, logoHole(41))
}
