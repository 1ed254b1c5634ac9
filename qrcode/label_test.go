package qrcode_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/qiwei-go/qiwei/qrcode"
)

var bagSpec = qrcode.LabelSpec{
	Content: "https://shop.example.com/p/BAG-000123?s=Ab3_-xYz0123",
	Code:    "BAG-000123",
	Name:    "棕色托特包",
}

func TestLabelDecodesAndHasText(t *testing.T) {
	b, err := qrcode.Label(bagSpec, nil)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.IsType(t, &image.Gray{}, img, "black on white labels are greyscale PNGs")
	assert.Equal(t, qrcode.DefaultLabelWidth, img.Bounds().Dx())
	assert.Greater(t, img.Bounds().Dy(), img.Bounds().Dx(), "room for text under the square QR")

	assert.Equal(t, bagSpec.Content, gozxingDecodePNG(t, b), "gozxing")
	assert.Equal(t, bagSpec.Content, zbarDecodePNG(t, b), "zbarimg")

	// The text lines are really drawn: the area under the QR has ink, and more with a name.
	noName := bagSpec
	noName.Name = ""
	b2, err := qrcode.Label(noName, nil)
	require.NoError(t, err)
	img2, err := png.Decode(bytes.NewReader(b2))
	require.NoError(t, err)
	top := img.Bounds().Dx()
	withName, codeOnly := inkBelow(img, top), inkBelow(img2, top)
	assert.Greater(t, codeOnly, 500, "the code line is drawn")
	if qrcode.FontInfo().CJK {
		assert.Greater(t, withName-codeOnly, 500, "the Chinese name is drawn with the CJK font")
	}
}

// inkBelow counts dark pixels from row y0 down.
func inkBelow(img image.Image, y0 int) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y + y0; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				n++
			}
		}
	}
	return n
}

func TestLabelAwkwardText(t *testing.T) {
	goFont, err := qrcode.ParseFont(goregular.TTF)
	require.NoError(t, err)
	tests := []struct {
		name string
		spec qrcode.LabelSpec
		opts *qrcode.LabelOptions
	}{
		{"emoji and symbols", qrcode.LabelSpec{Code: "BAG-1", Name: "包包 👜🎉 ™ ∑"}, nil},
		{"invalid UTF-8", qrcode.LabelSpec{Code: "BAG-\xff\xfe", Name: "\xc3\x28 bad"}, nil},
		{"control characters", qrcode.LabelSpec{Code: "A\tB\nC", Name: "line1\nline2\x00\u2028"}, nil},
		{"very long", qrcode.LabelSpec{Code: strings.Repeat("BAG-", 40), Name: strings.Repeat("非常长的名字", 40)}, nil},
		{"chinese code", qrcode.LabelSpec{Code: "包-001", Name: "托特"}, nil},
		{"right to left", qrcode.LabelSpec{Code: "X", Name: "حقيبة יד"}, nil},
		{"only spaces", qrcode.LabelSpec{Code: "   ", Name: "  "}, nil},
		{"font without CJK", bagSpec, &qrcode.LabelOptions{Font: goFont}},
		{"narrow", bagSpec, &qrcode.LabelOptions{Width: 120}},
		{"tall", bagSpec, &qrcode.LabelOptions{Width: 300, Height: 900}},
		{"short: QR shrinks", bagSpec, &qrcode.LabelOptions{Width: 600, Height: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := tt.spec
			if spec.Content == "" {
				spec.Content = "https://shop.example.com/p/X?s=123456789012"
			}
			b, err := qrcode.Label(spec, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, spec.Content, gozxingDecodePNG(t, b))
		})
	}
}

func TestLabelColoursAndLogo(t *testing.T) {
	opts := &qrcode.LabelOptions{QR: []qrcode.Option{
		qrcode.WithColors(color.RGBA{0x20, 0x10, 0x50, 0xff}, color.RGBA{0xff, 0xfc, 0xf0, 0xff}),
		qrcode.WithLogo(badgeLogo(80, 80)),
	}}
	img, err := qrcode.LabelImage(bagSpec, opts)
	require.NoError(t, err)
	assert.IsType(t, &image.NRGBA{}, img)
	assert.True(t, hasColour(img, brown))
	got, err := gozxingDecode(img)
	require.NoError(t, err)
	assert.Equal(t, bagSpec.Content, got)
}

func TestLabelErrors(t *testing.T) {
	tests := []struct {
		name string
		spec qrcode.LabelSpec
		opts *qrcode.LabelOptions
		want error
	}{
		{"no content", qrcode.LabelSpec{Code: "X"}, nil, qrcode.ErrEmptyContent},
		{"negative width", bagSpec, &qrcode.LabelOptions{Width: -1}, qrcode.ErrInvalidOption},
		{"huge", bagSpec, &qrcode.LabelOptions{Width: 100000}, qrcode.ErrInvalidOption},
		{"no room for the QR", bagSpec, &qrcode.LabelOptions{Width: 400, Height: 60}, qrcode.ErrSizeTooSmall},
		{"too small for the modules", bagSpec, &qrcode.LabelOptions{Width: 40}, qrcode.ErrSizeTooSmall},
		{"bad QR option", bagSpec, &qrcode.LabelOptions{QR: []qrcode.Option{qrcode.WithQuietZone(99)}}, qrcode.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := qrcode.Label(tt.spec, tt.opts)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, b)
		})
	}
}
