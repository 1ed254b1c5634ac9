package qrcode_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

var testContents = []struct {
	name, content string
}{
	{"url", "https://shop.example.com/p/BAG-000123?s=Ab3_-xYz0123"},
	{"numeric", "0123456789012345"},
	{"phone number", "+8613800138000"}, // a sign inside digits must not be taken for numeric mode
	{"alphanumeric", "BAG-000123 $%*+-./:"},
	{"chinese", "棕色托特包 Brown tote · 真皮"},
	{"single char", "x"},
	{"long", strings.Repeat("https://shop.example.com/p/", 12)},
}

var levels = []qrcode.Level{qrcode.LevelL, qrcode.LevelM, qrcode.LevelQ, qrcode.LevelH}

func TestPNGDecodesAtEveryLevel(t *testing.T) {
	for _, tc := range testContents {
		for _, lv := range levels {
			t.Run(tc.name+"/"+lv.String(), func(t *testing.T) {
				t.Parallel()
				const size = 400
				b, err := qrcode.PNGWith(tc.content, size, qrcode.WithLevel(lv))
				require.NoError(t, err)

				cfg, err := png.DecodeConfig(bytes.NewReader(b))
				require.NoError(t, err)
				assert.Equal(t, size, cfg.Width)
				assert.Equal(t, size, cfg.Height)

				assert.Equal(t, tc.content, gozxingDecodePNG(t, b), "gozxing")
				assert.Equal(t, tc.content, zbarDecodePNG(t, b), "zbarimg")
			})
		}
	}
}

// TestPNGCrispModules checks the raster itself: exact size, two colours only, every module a
// solid whole-pixel square matching the matrix, the symbol centred.
func TestPNGCrispModules(t *testing.T) {
	for _, size := range []int{29 + 8, 100, 256, 257, 1000} {
		c, err := qrcode.Encode("https://shop.example.com/p/BAG-1?s=abc")
		require.NoError(t, err)
		if size < c.MinSize() {
			continue
		}
		b, err := c.PNG(size)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		pal, ok := img.(*image.Paletted)
		require.True(t, ok, "1-bit PNG decodes to a paletted image, got %T", img)
		require.Len(t, pal.Palette, 2)

		total := c.Size() + 2*c.QuietZone()
		m := size / total
		off := (size-m*total)/2 + c.QuietZone()*m
		for py := range size {
			for px := range size {
				mx, my := (px-off)/m, (py-off)/m
				dark := px >= off && py >= off && mx < c.Size() && my < c.Size() && c.Dark(mx, my)
				if got := pal.ColorIndexAt(px, py) == 1; got != dark {
					t.Fatalf("size %d: pixel (%d,%d) dark=%v, module (%d,%d) dark=%v", size, px, py, got, mx, my, dark)
				}
			}
		}
	}
}

func TestPNGOptions(t *testing.T) {
	const content = "https://shop.example.com/p/BAG-000777?s=Zz9_-aaaaaaa"
	navy := color.RGBA{0x10, 0x20, 0x60, 0xff}
	cream := color.RGBA{0xff, 0xf8, 0xe0, 0xff}
	tests := []struct {
		name string
		opts []qrcode.Option
	}{
		{"colours", []qrcode.Option{qrcode.WithColors(navy, cream)}},
		{"transparent background", []qrcode.Option{qrcode.WithColors(color.Black, color.Transparent)}},
		{"quiet zone 2", []qrcode.Option{qrcode.WithQuietZone(2)}},
		{"quiet zone 8, level Q", []qrcode.Option{qrcode.WithQuietZone(8), qrcode.WithLevel(qrcode.LevelQ)}},
		{"nil option ignored", []qrcode.Option{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := qrcode.PNGWith(content, 300, tt.opts...)
			require.NoError(t, err)
			img, err := png.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			// Readers see transparency as black; flatten onto white like a browser would.
			flat := image.NewRGBA(img.Bounds())
			for i := range flat.Pix {
				flat.Pix[i] = 0xff
			}
			draw.Draw(flat, flat.Bounds(), img, img.Bounds().Min, draw.Over)
			got, err := gozxingDecode(flat)
			require.NoError(t, err)
			assert.Equal(t, content, got)
		})
	}
}

// TestLogoImageColours checks the pixels of the full-colour path a logo takes: modules and
// background are exactly the chosen colours, a translucent foreground is blended over the
// background as draw.Over would, and nothing outside the logo square has the logo's colour.
func TestLogoImageColours(t *testing.T) {
	navy := color.NRGBA{0x10, 0x20, 0x60, 0xff}
	ink := color.NRGBA{0x10, 0x20, 0x60, 0x80}
	cream := color.NRGBA{0xff, 0xf8, 0xe0, 0xff}
	over := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	over.SetNRGBA(0, 0, cream)
	draw.Draw(over, over.Bounds(), image.NewUniform(ink), image.Point{}, draw.Over)
	for _, tc := range []struct {
		name           string
		fg, bg, wantFg color.NRGBA
	}{
		{"opaque", navy, cream, navy},
		{"transparent background", navy, color.NRGBA{}, navy},
		{"translucent foreground", ink, cream, over.NRGBAAt(0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := qrcode.Encode("https://shop.example.com/p/BAG-000777", qrcode.WithColors(tc.fg, tc.bg),
				qrcode.WithLogo(badgeLogo(40, 40)))
			require.NoError(t, err)
			const m = 4
			img, err := c.Image(m * c.MinSize())
			require.NoError(t, err)
			nrgba, ok := img.(*image.NRGBA)
			require.True(t, ok, "%T", img)
			q, logo := c.QuietZone(), c.LogoArea()
			for y := -q; y < c.Size()+q; y++ {
				for x := -q; x < c.Size()+q; x++ {
					if image.Pt(x, y).In(logo) {
						continue
					}
					want := tc.bg
					if c.Dark(x, y) {
						want = tc.wantFg
					}
					px := (x + q) * m
					py := (y + q) * m
					require.Equal(t, want, nrgba.NRGBAAt(px, py), "module (%d,%d)", x, y)
					require.Equal(t, want, nrgba.NRGBAAt(px+m-1, py+m-1), "module (%d,%d)", x, y)
				}
			}
		})
	}
}

func TestPNGErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		size    int
		opts    []qrcode.Option
		want    error
	}{
		{"empty", "", 256, nil, qrcode.ErrEmptyContent},
		{"too long", strings.Repeat("字", 3000), 256, nil, qrcode.ErrContentTooLong},
		{"too long at H", strings.Repeat("a", 1300), 2000, []qrcode.Option{qrcode.WithLevel(qrcode.LevelH)}, qrcode.ErrContentTooLong},
		{"size zero", "x", 0, nil, qrcode.ErrInvalidOption},
		{"size negative", "x", -5, nil, qrcode.ErrInvalidOption},
		{"size huge", "x", qrcode.MaxImageSize + 1, nil, qrcode.ErrInvalidOption},
		{"size too small", "https://shop.example.com/p/1", 30, nil, qrcode.ErrSizeTooSmall},
		{"bad level", "x", 256, []qrcode.Option{qrcode.WithLevel('Z')}, qrcode.ErrInvalidOption},
		{"bad quiet zone", "x", 256, []qrcode.Option{qrcode.WithQuietZone(-1)}, qrcode.ErrInvalidOption},
		{"nil colour", "x", 256, []qrcode.Option{qrcode.WithColors(nil, color.White)}, qrcode.ErrInvalidOption},
		{"same colours", "x", 256, []qrcode.Option{qrcode.WithColors(color.White, color.White)}, qrcode.ErrInvalidOption},
		{"nil logo", "x", 256, []qrcode.Option{qrcode.WithLogo(nil)}, qrcode.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := qrcode.PNGWith(tt.content, tt.size, tt.opts...)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, b)
		})
	}
}

func TestEncodeMatrix(t *testing.T) {
	c, err := qrcode.Encode("HELLO WORLD", qrcode.WithLevel(qrcode.LevelQ))
	require.NoError(t, err)
	assert.Equal(t, 1, c.Version())
	assert.Equal(t, 21, c.Size())
	assert.Equal(t, qrcode.LevelQ, c.Level())
	assert.Equal(t, "HELLO WORLD", c.Content())
	assert.Equal(t, 29, c.MinSize())
	// Finder pattern corners are dark, the separator light; out of range is light.
	assert.True(t, c.Dark(0, 0))
	assert.True(t, c.Dark(6, 6))
	assert.False(t, c.Dark(7, 7))
	assert.False(t, c.Dark(-1, 0))
	assert.False(t, c.Dark(21, 0))
	assert.True(t, c.LogoArea().Empty())

	img, err := c.Image(c.MinSize())
	require.NoError(t, err)
	got, err := gozxingDecode(img)
	require.NoError(t, err)
	assert.Equal(t, "HELLO WORLD", got)
}

func TestLevelString(t *testing.T) {
	assert.Equal(t, "L", qrcode.LevelL.String())
	assert.Equal(t, "H", qrcode.LevelH.String())
	assert.Equal(t, "M", qrcode.Level(0).String())
	assert.Equal(t, "Level(7)", qrcode.Level(7).String())
}
