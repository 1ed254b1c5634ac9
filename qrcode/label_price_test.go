package qrcode_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

// shopSpecs are labels with a price and the shop's name, some long and some Chinese.
func shopSpecs(n int) []qrcode.LabelSpec {
	specs := batchSpecs(n)
	for i := range specs {
		specs[i].Price = "¥" + []string{"1,299", "459", "12,800", "89.50"}[i%4]
		specs[i].Shop = []string{"演示箱包店", "Bella Bags 贝拉箱包 · 南京西路店"}[i%2]
	}
	return specs
}

// A PNG label with a price, the shop's name and a logo (level H) still decodes with both
// decoders, portrait and landscape, and the new lines are drawn.
func TestLabelWithPriceShopAndLogo(t *testing.T) {
	spec := shopSpecs(1)[0]
	logo := qrcode.WithLogo(badgeLogo(80, 80))
	for _, tc := range []struct {
		name string
		opts qrcode.LabelOptions
	}{
		{"portrait", qrcode.LabelOptions{Width: 480, QR: []qrcode.Option{logo}}},
		{"landscape 70x37", qrcode.LabelOptions{Width: 826, Height: 437, Landscape: true, QR: []qrcode.Option{logo}}},
		{"landscape 50x30", qrcode.LabelOptions{Width: 590, Height: 354, Landscape: true, QR: []qrcode.Option{logo}}},
		{"landscape 40x30", qrcode.LabelOptions{Width: 472, Height: 354, Landscape: true, QR: []qrcode.Option{logo}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := qrcode.Label(spec, &tc.opts)
			require.NoError(t, err)
			assert.Equal(t, spec.Content, gozxingDecodePNG(t, b), "gozxing")
			assert.Equal(t, spec.Content, zbarDecodePNG(t, b), "zbarimg")
			img, err := png.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			if tc.opts.Height > 0 {
				assert.Equal(t, image.Pt(tc.opts.Width, tc.opts.Height), img.Bounds().Size())
			}
			plain := spec
			plain.Price, plain.Shop = "", ""
			b2, err := qrcode.Label(plain, &tc.opts)
			require.NoError(t, err)
			img2, err := png.Decode(bytes.NewReader(b2))
			require.NoError(t, err)
			assert.Greater(t, inkBelow(img, 0)-inkBelow(img2, 0), 800, "the price and shop lines are drawn")
			if dir := os.Getenv("QIWEI_LABELS_OUT"); dir != "" { // to look at them
				require.NoError(t, os.WriteFile(filepath.Join(dir, "label-"+strconv.Itoa(tc.opts.Width)+".png"), b, 0o644))
			}
		})
	}
	_, err := qrcode.Label(spec, &qrcode.LabelOptions{Width: 480, Landscape: true})
	assert.ErrorIs(t, err, qrcode.ErrInvalidOption, "landscape needs a height")
}

// Each label stock the scanner offers — A4 70×37 3×8, rolls of 50×30 and 40×30 — prints labels
// with a price, the shop's name and a logo whose every QR decodes (gozxing on the rendered page,
// zbarimg on each label), and the price and shop name are in the PDF's text.
func TestSheetStocksWithPriceAndLogo(t *testing.T) {
	logo := qrcode.WithLogo(badgeLogo(120, 120))
	for _, tc := range []struct {
		name         string
		opts         *qrcode.SheetOptions
		labels       int
		w, h         float64 // label size, mm
		cols, offX   int
		left, top    float64
		pagesPerSpec int
	}{
		{name: "A4 70x37", opts: &qrcode.SheetOptions{}, labels: 24, w: 70, h: 37, cols: 3, top: 0.5},
		{name: "roll 50x30", opts: qrcode.Roll(50, 30), labels: 3, w: 50, h: 30, cols: 1},
		{name: "roll 40x30", opts: qrcode.Roll(40, 30), labels: 3, w: 40, h: 30, cols: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs := shopSpecs(tc.labels)
			tc.opts.QR = []qrcode.Option{logo}
			pdf, err := qrcode.Sheet(t.Context(), specs, tc.opts)
			require.NoError(t, err)
			perPage := tc.cols * max(1, int(297/tc.h))
			if tc.cols == 1 {
				perPage = 1
			}
			assert.Equal(t, (tc.labels+perPage-1)/perPage, pdfPages(t, pdf))
			const dpi = 300
			dir := t.TempDir()
			var files, want []string
			for i := range specs {
				page, k := i/perPage+1, i%perPage
				img := renderPage(t, pdf, page, dpi)
				x, y := tc.left+float64(k%tc.cols)*tc.w, tc.top+float64(k/tc.cols)*tc.h
				cell := crop(img, dpi, x, y, tc.w, tc.h)
				got, err := gozxingDecode(cell)
				require.NoError(t, err, "label %d", i)
				assert.Equal(t, specs[i].Content, got, "label %d", i)
				f := filepath.Join(dir, fmt.Sprintf("cell%d.png", i))
				out, err := os.Create(f)
				require.NoError(t, err)
				require.NoError(t, png.Encode(out, cell))
				require.NoError(t, out.Close())
				files, want = append(files, f), append(want, specs[i].Content)
				if out := os.Getenv("QIWEI_LABELS_OUT"); out != "" && i == 0 { // to look at them
					b, _ := os.ReadFile(f)
					require.NoError(t, os.WriteFile(filepath.Join(out, "sheet-"+strconv.Itoa(int(tc.w))+"x"+
						strconv.Itoa(int(tc.h))+".png"), b, 0o644))
				}
			}
			assert.Equal(t, want, zbarDecodeFiles(t, files), "zbarimg reads every label")
			text := pdfText(t, pdf)
			assert.Contains(t, text, "¥1,299")
			assert.Contains(t, text, "¥12,800")
			assert.Contains(t, strings.ReplaceAll(text, "\n", ""), specs[0].Code, "a long code may wrap on a small label")
			if qrcode.FontInfo().CJK {
				assert.Contains(t, text, "演示箱包店")
			}
		})
	}
}
