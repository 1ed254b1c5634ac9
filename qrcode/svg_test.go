package qrcode_test

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

var (
	svgRun     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	svgViewBox = regexp.MustCompile(`^0 0 (\d+) (\d+)$`)
)

// rasterSVG paints our path syntax (one "M x y h w v1 h-w z" per run) at scale px per unit.
func rasterSVG(t *testing.T, svg []byte, scale int) image.Image {
	t.Helper()
	var root struct {
		ViewBox string `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	require.NoError(t, xml.Unmarshal(svg, &root), "well-formed XML")
	m := svgViewBox.FindStringSubmatch(root.ViewBox)
	require.NotNil(t, m, "square viewBox at the origin: %q", root.ViewBox)
	units, _ := strconv.Atoi(m[1])
	img := image.NewGray(image.Rect(0, 0, units*scale, units*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	runs := svgRun.FindAllStringSubmatch(root.Path.D, -1)
	require.NotEmpty(t, runs)
	total := 0
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		require.Equal(t, r[3], r[4], "run closes on itself")
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
		total += len(r[0])
	}
	require.Equal(t, len(root.Path.D), total, "the path holds only runs")
	return img
}

func TestSVG(t *testing.T) {
	for _, tc := range testContents {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svg, err := qrcode.SVG(tc.content, qrcode.WithLevel(qrcode.LevelQ))
			require.NoError(t, err)
			assert.True(t, bytes.HasPrefix(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)))
			assert.Contains(t, string(svg), `shape-rendering="crispEdges"`)
			img := rasterSVG(t, svg, 6)
			got, err := gozxingDecode(img)
			require.NoError(t, err)
			assert.Equal(t, tc.content, got)

			var buf bytes.Buffer
			require.NoError(t, png.Encode(&buf, img))
			assert.Equal(t, tc.content, zbarDecodePNG(t, buf.Bytes()))
		})
	}
}

func TestSVGColours(t *testing.T) {
	svg, err := qrcode.SVG("hello", qrcode.WithColors(color.RGBA{0x10, 0x20, 0x30, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0x80}))
	require.NoError(t, err)
	s := string(svg)
	assert.Contains(t, s, `<path fill="#102030" d="`)
	assert.Contains(t, s, `fill="#ffffff" fill-opacity="0.502"`)

	svg, err = qrcode.SVG("hello", qrcode.WithColors(color.Black, color.Transparent))
	require.NoError(t, err)
	assert.NotContains(t, string(svg), "<rect", "no background rectangle when transparent")

	_, err = qrcode.SVG("")
	assert.ErrorIs(t, err, qrcode.ErrEmptyContent)
}

func TestSVGIsCompact(t *testing.T) {
	c, err := qrcode.Encode("https://shop.example.com/p/BAG-000123?s=Ab3_-xYz0123")
	require.NoError(t, err)
	svg, err := c.SVG()
	require.NoError(t, err)
	// About 12 bytes per run; a version-4 symbol has a few hundred runs.
	assert.Less(t, len(svg), 6000, "got %d bytes", len(svg))
}
