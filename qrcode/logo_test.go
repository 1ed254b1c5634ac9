package qrcode_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

var brown = color.NRGBA{0x8b, 0x45, 0x13, 0xff}

// badgeLogo is a brown rectangle with a white disc: a typical shop logo.
func badgeLogo(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := min(w, h) / 3
	for y := range h {
		for x := range w {
			c := brown
			if dx, dy := x-w/2, y-h/2; dx*dx+dy*dy < r*r {
				c = color.NRGBA{0xff, 0xff, 0xff, 0xff}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// checkerLogo is a high-contrast checkerboard: an adversarial logo full of module-like edges.
func checkerLogo(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := brown
			if (x/6+y/6)%2 == 0 {
				c = color.NRGBA{0x20, 0x20, 0x20, 0xff}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// TestLogoStillDecodes fills every version 1–40 at level H to capacity, adds a logo and reads
// the PNG back with gozxing and zbarimg.
func TestLogoStillDecodes(t *testing.T) {
	logos := []struct {
		name string
		img  image.Image
		zbar bool // zbar's alignment search can lock onto a checkerboard over the hidden central pattern (v8–v10)
	}{
		{"badge", badgeLogo(64, 64), true},
		{"wide badge", badgeLogo(150, 50), true},
		{"checkerboard", checkerLogo(64, 64), false},
	}
	for v := 1; v <= 40; v++ {
		for _, lg := range logos {
			t.Run(fmt.Sprintf("v%d/%s", v, lg.name), func(t *testing.T) {
				t.Parallel()
				content := qrcode.ByteContent(qrcode.ByteCapacity(v, qrcode.LevelH), v)
				c, err := qrcode.Encode(content, qrcode.WithLogo(lg.img), qrcode.WithLevel(qrcode.LevelL))
				require.NoError(t, err)
				assert.Equal(t, qrcode.LevelH, c.Level(), "a logo forces level H")
				require.Equal(t, v, c.Version())
				area := c.LogoArea()
				require.False(t, area.Empty())
				assert.LessOrEqual(t, area.Dx()*area.Dy()*100, 7*c.Size()*c.Size(), "under 7 % of the symbol")

				b, err := c.PNG(max(300, 5*c.MinSize()))
				require.NoError(t, err)
				img, err := png.Decode(bytes.NewReader(b))
				require.NoError(t, err)
				assert.True(t, hasColour(img, brown), "the logo is drawn")

				assert.Equal(t, content, gozxingDecodePNG(t, b), "gozxing, version %d", c.Version())
				if lg.zbar {
					assert.Equal(t, content, zbarDecodePNG(t, b), "zbarimg, version %d", c.Version())
				}
			})
		}
	}
}

func TestLogoSVG(t *testing.T) {
	svg, err := qrcode.SVG("https://shop.example.com/p/BAG-1?s=abcdefghijkl", qrcode.WithLogo(badgeLogo(600, 300)))
	require.NoError(t, err)
	assert.Contains(t, string(svg), `<image x="`)
	assert.Contains(t, string(svg), `href="data:image/png;base64,`)
	assert.Less(t, len(svg), 40<<10, "a large logo is scaled down before embedding")
}

func hasColour(img image.Image, want color.NRGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)) == want {
				return true
			}
		}
	}
	return false
}
