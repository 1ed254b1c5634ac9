package qrcode

import (
	"fmt"
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLogoHoleKeepsEveryBlockDecodable checks the logo rule against the standard's block
// structure for every version: the square hides no function module, hides each alignment
// pattern whole or not at all, and leaves every level-H block at least a quarter of its
// correction capacity (a block of ec check codewords corrects ec/2 unknown errors).
func TestLogoHoleKeepsEveryBlockDecodable(t *testing.T) {
	for v := 1; v <= 40; v++ {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			n := 4*v + 17
			s := logoHole(v)
			require.Positive(t, s)
			assert.Equal(t, 1, s%2, "odd, so it centres exactly")
			assert.LessOrEqual(t, s*100, 26*n, "at most 26 % of the side")
			if v == 1 {
				assert.Equal(t, 3, s, "version 1: the 5×5 square would reach the format information")
			} else {
				assert.GreaterOrEqual(t, s*s*100, 3*n*n, "room for a visible logo (≥ 3 % of the area)")
			}

			o := (n - s) / 2
			in := func(x, y int) bool { return x >= o && x < o+s && y >= o && y < o+s }
			alignment := make([]bool, n*n)
			for _, cy := range stdAlignment[v] {
				for _, cx := range stdAlignment[v] {
					if overlapsFinder(cx, cy, n) {
						continue
					}
					hidden := 0
					for y := cy - 2; y <= cy+2; y++ {
						for x := cx - 2; x <= cx+2; x++ {
							alignment[y*n+x] = true
							if in(x, y) {
								hidden++
							}
						}
					}
					assert.Contains(t, []int{0, 25}, hidden, "alignment pattern at (%d,%d) cut by the logo", cx, cy)
				}
			}
			fn := stdFunction(v)
			codeword, blocks := stdCodewordOf(v, LevelH)
			_, ec := stdBlockLayout(v, LevelH)
			perBlock := map[int]int{}
			seen := map[int]bool{}
			for y := o; y < o+s; y++ {
				for x := o; x < o+s; x++ {
					i := y*n + x
					require.False(t, fn[i] && !alignment[i], "the logo hides function module (%d,%d)", x, y)
					if cw := codeword[i]; cw >= 0 && !seen[cw] {
						seen[cw] = true
						perBlock[blocks[cw]]++
					}
				}
			}
			budget := ec / 2 * 3 / 4
			for b, k := range perBlock {
				assert.LessOrEqual(t, k, budget, "block %d loses %d of %d codewords it can correct", b, k, ec/2)
			}
		})
	}
	assert.Zero(t, logoHole(0))
	assert.Zero(t, logoHole(41))
}

// TestLogoArea checks that Encode applies the rule and that the matrix itself is untouched.
func TestLogoArea(t *testing.T) {
	plain, err := Encode("https://shop.example.com/p/BAG-000123?s=abcdefghijkl", WithLevel(LevelH))
	require.NoError(t, err)
	assert.True(t, plain.LogoArea().Empty())
	c, err := Encode("https://shop.example.com/p/BAG-000123?s=abcdefghijkl", WithLogo(image.NewGray(image.Rect(0, 0, 8, 8))))
	require.NoError(t, err)
	s := logoHole(c.Version())
	o := (c.Size() - s) / 2
	assert.Equal(t, image.Rect(o, o, o+s, o+s), c.LogoArea())
	assert.Equal(t, plain.dark, c.dark, "the logo leaves the matrix alone; renderers skip the area")
}
