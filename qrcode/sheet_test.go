package qrcode_test

import (
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/qrcode"
)

// renderPage renders one PDF page with pdftoppm (poppler-utils) and returns the image.
func renderPage(t *testing.T, pdf []byte, page, dpi int) image.Image {
	t.Helper()
	bin := testsvc.Require(t, "pdftoppm", "apt-get install poppler-utils")
	dir := t.TempDir()
	in := filepath.Join(dir, "sheet.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	p := strconv.Itoa(page)
	out, err := exec.Command(bin, "-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-gray", "-png", "-singlefile", in,
		filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, "pdftoppm: %s", out)
	f, err := os.Open(filepath.Join(dir, "page.png"))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

// crop returns the part of a page rendered at dpi under the rectangle (mm).
func crop(img image.Image, dpi int, x, y, w, h float64) image.Image {
	px := func(mm float64) int { return int(math.Round(mm / 25.4 * float64(dpi))) }
	r := image.Rect(px(x), px(y), px(x+w), px(y+h)).Intersect(img.Bounds())
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin := testsvc.Require(t, "pdftotext", "apt-get install poppler-utils")
	in := filepath.Join(t.TempDir(), "sheet.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	require.NoError(t, err)
	return string(out)
}

func pdfPages(t *testing.T, pdf []byte) int {
	t.Helper()
	bin := testsvc.Require(t, "pdfinfo", "apt-get install poppler-utils")
	in := filepath.Join(t.TempDir(), "sheet.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command(bin, in).Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out)
	require.NotNil(t, m, "pdfinfo: %s", out)
	n, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return n
}

// TestSheetDefaultGrid prints 30 labels on the default 24-up A4 sheet, renders page 1 and
// reads every label's QR code back (gozxing; zbarimg on a sample).
func TestSheetDefaultGrid(t *testing.T) {
	specs := batchSpecs(30)
	pdf, err := qrcode.Sheet(t.Context(), specs, nil)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(pdf), "%PDF-"))
	assert.Equal(t, 2, pdfPages(t, pdf))

	const dpi = 200
	page := renderPage(t, pdf, 1, dpi)
	// 70×37 mm labels, 3 across, 8 down, the grid centred on 210×297 mm.
	for i := range 24 {
		x, y := float64(i%3)*70, 0.5+float64(i/3)*37
		got, err := gozxingDecode(crop(page, dpi, x, y, 37, 37))
		require.NoError(t, err, "label %d", i)
		assert.Equal(t, specs[i].Content, got, "label %d", i)
	}

	// zbarimg, one whole label per file (on a whole page it occasionally skips one of 24).
	dir := t.TempDir()
	var files, want []string
	for i := 0; i < 24; i += 3 {
		f := filepath.Join(dir, "cell"+strconv.Itoa(i)+".png")
		out, err := os.Create(f)
		require.NoError(t, err)
		require.NoError(t, png.Encode(out, crop(page, dpi, float64(i%3)*70, 0.5+float64(i/3)*37, 70, 37)))
		require.NoError(t, out.Close())
		files, want = append(files, f), append(want, specs[i].Content)
	}
	assert.Equal(t, want, zbarDecodeFiles(t, files))

	text := pdfText(t, pdf)
	assert.Contains(t, text, "BAG-000000")
	assert.Contains(t, text, "BAG-000029")
	if qrcode.FontInfo().CJK {
		assert.Contains(t, text, "棕色托特包", "names are real (searchable) text in the embedded CJK font")
	}
}

func TestSheetPortraitWithLogo(t *testing.T) {
	specs := batchSpecs(5)
	opts := &qrcode.SheetOptions{
		LabelWidth: 45, LabelHeight: 60, GapX: 3, GapY: 3, MarginX: 8, MarginY: 8, Border: true,
		QR: []qrcode.Option{qrcode.WithLogo(badgeLogo(64, 64))},
	}
	pdf, err := qrcode.Sheet(t.Context(), specs, opts)
	require.NoError(t, err)
	const dpi = 200
	page := renderPage(t, pdf, 1, dpi)
	// 4 columns of 45 mm + 3 mm gaps = 189 mm, centred: left = 10.5 mm; 4 rows: top = 22.5 mm.
	for i := range specs {
		x, y := 10.5+float64(i%4)*48, 22.5+float64(i/4)*63
		got, err := gozxingDecode(crop(page, dpi, x, y, 45, 60))
		require.NoError(t, err, "label %d", i)
		assert.Equal(t, specs[i].Content, got)
	}
}

func TestSheetErrors(t *testing.T) {
	specs := batchSpecs(3)
	tests := []struct {
		name  string
		specs []qrcode.LabelSpec
		opts  *qrcode.SheetOptions
		want  error
	}{
		{"no labels", nil, nil, qrcode.ErrInvalidOption},
		{"label larger than page", specs, &qrcode.SheetOptions{LabelWidth: 300}, qrcode.ErrInvalidOption},
		{"too many columns", specs, &qrcode.SheetOptions{Columns: 4}, qrcode.ErrInvalidOption},
		{"negative gap", specs, &qrcode.SheetOptions{GapX: -1}, qrcode.ErrInvalidOption},
		{"NaN size", specs, &qrcode.SheetOptions{LabelHeight: math.NaN()}, qrcode.ErrInvalidOption},
		{"padding eats the label", specs, &qrcode.SheetOptions{Padding: 20}, qrcode.ErrInvalidOption},
		{"bad QR option", specs, &qrcode.SheetOptions{QR: []qrcode.Option{qrcode.WithLevel('x')}}, qrcode.ErrInvalidOption},
		{"empty content", []qrcode.LabelSpec{{Code: "X"}}, nil, qrcode.ErrEmptyContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdf, err := qrcode.Sheet(t.Context(), tt.specs, tt.opts)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, pdf)
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := qrcode.Sheet(ctx, specs, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestSheet1000 checks the promised scale; the timing itself is BenchmarkSheet1000.
func TestSheet1000(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 labels: skipped with -short")
	}
	start := time.Now()
	pdf, err := qrcode.Sheet(t.Context(), batchSpecs(1000), nil)
	require.NoError(t, err)
	t.Logf("1,000 labels: %d KiB, %v", len(pdf)>>10, time.Since(start).Round(time.Millisecond))
	assert.Equal(t, 42, pdfPages(t, pdf)) // ceil(1000/24)
}

// TestSheetRasterText covers fonts fpdf cannot embed: names become 600 dpi images.
func TestSheetRasterText(t *testing.T) {
	specs := batchSpecs(4)
	specs[1].Code = "包-0001" // not ASCII: drawn as an image too
	pdf, err := qrcode.Sheet(t.Context(), specs, &qrcode.SheetOptions{Font: qrcode.RasterOnly(qrcode.SystemFont())})
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "/Subtype /Image")
	text := pdfText(t, pdf)
	assert.Contains(t, text, "BAG-000000", "ASCII codes stay text")
	assert.NotContains(t, text, "棕色托特包")

	const dpi = 150
	page := renderPage(t, pdf, 1, dpi)
	got, err := gozxingDecode(crop(page, dpi, 70, 0.5, 37, 37))
	require.NoError(t, err)
	assert.Equal(t, specs[1].Content, got)
	// The image of the name has ink to the right of the QR of label 0.
	assert.Greater(t, inkBelow(crop(page, dpi, 39, 0.5+18, 31, 18), 0), 200)
}

func TestSheetAwkwardText(t *testing.T) {
	specs := batchSpecs(8)
	awkward := []qrcode.LabelSpec{
		{Code: `BAG-(1)\x`, Name: "包包 👜🎉 ™ ∑"},
		{Code: "BAG-\xff\xfe", Name: "\xc3\x28 bad UTF-8"},
		{Code: "A\tB\nC", Name: "line1\nline2\x00\u2028"},
		{Code: strings.Repeat("BAG-", 40), Name: strings.Repeat("非常长的名字", 40)},
		{Code: "", Name: ""},
		{Code: "X", Name: "حقيبة יד"},
		{Code: "   ", Name: "(parentheses) \\ backslash"},
		{Code: "包-001", Name: strings.Repeat("W", 200)},
	}
	for i := range specs {
		specs[i].Code, specs[i].Name = awkward[i].Code, awkward[i].Name
	}
	for _, opts := range []*qrcode.SheetOptions{nil, {Font: qrcode.RasterOnly(qrcode.SystemFont())}} {
		pdf, err := qrcode.Sheet(t.Context(), specs, opts)
		require.NoError(t, err)
		text := pdfText(t, pdf)
		assert.Contains(t, text, `BAG-(1)\x`)
		page := renderPage(t, pdf, 1, 150)
		got, err := gozxingDecode(crop(page, 150, 0, 0.5+37, 37, 37)) // label 3: the longest texts
		require.NoError(t, err)
		assert.Equal(t, specs[3].Content, got)
	}
}
