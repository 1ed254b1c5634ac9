package qrcode_test

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// Independent decoders used to check every image this package writes.

// gozxingDecode decodes img with gozxing, trying the four rotations a phone would see:
// gozxing misses a few percent of valid symbols in any single orientation.
func gozxingDecode(img image.Image) (string, error) {
	var lastErr error
	cur := toRGBA(img)
	for range 4 {
		bmp, err := gozxing.NewBinaryBitmapFromImage(cur)
		if err != nil {
			return "", err
		}
		res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
			gozxing.DecodeHintType_TRY_HARDER: true,
		})
		if err == nil {
			return res.GetText(), nil
		}
		lastErr = err
		cur = rotate90(cur)
	}
	return "", lastErr
}

func gozxingDecodePNG(t testing.TB, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err, "PNG must decode")
	s, err := gozxingDecode(img)
	require.NoError(t, err, "gozxing must read the QR code")
	return s
}

func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok {
		return r
	}
	b := img.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Bounds(), img, b.Min, draw.Src)
	return r
}

func rotate90(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.SetRGBA(b.Dy()-1-y, x, src.RGBAAt(x, y))
		}
	}
	return dst
}

// zbarDecodeFiles runs zbarimg on each file and returns one decoded text per file, in
// order ("" when zbar found nothing in that file).
func zbarDecodeFiles(t testing.TB, files []string) []string {
	t.Helper()
	bin := testsvc.Require(t, "zbarimg", "apt-get install zbar-tools")
	out := make([]string, len(files))
	// One process per file: with several files and --raw the output cannot be attributed.
	for i, f := range files {
		cmd := exec.Command(bin, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", f)
		b, err := cmd.Output()
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 4) { // 4: no symbol found
			t.Fatalf("zbarimg %s: %v", f, err)
		}
		out[i] = strings.TrimSuffix(string(b), "\n")
	}
	return out
}

// zbarDecodePNG writes b to a temporary file and decodes it with zbarimg.
func zbarDecodePNG(t testing.TB, b []byte) string {
	t.Helper()
	testsvc.Require(t, "zbarimg", "apt-get install zbar-tools")
	f := filepath.Join(t.TempDir(), "qr"+strconv.Itoa(len(b))+".png")
	require.NoError(t, os.WriteFile(f, b, 0o600))
	return zbarDecodeFiles(t, []string{f})[0]
}
