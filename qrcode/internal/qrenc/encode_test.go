package qrenc

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	skip2 "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// render draws m with a 4-module quiet zone and scale pixels per module.
func render(m *Matrix, scale int) *image.Gray {
	side := (m.Size + 8) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := range side {
		for x := range side {
			if m.Dark(x/scale-4, y/scale-4) {
				img.SetGray(x, y, color.Gray{})
			}
		}
	}
	return img
}

// decode reads img with gozxing, trying four rotations.
func decode(img *image.Gray) (string, error) {
	var lastErr error
	cur := img
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
		b := cur.Bounds()
		r := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
		for y := range b.Dy() {
			for x := range b.Dx() {
				r.SetGray(b.Dy()-1-y, x, cur.GrayAt(x, y))
			}
		}
		cur = r
	}
	return "", lastErr
}

// zbar decodes the PNG at path with zbarimg ("" when none found or zbarimg is missing).
func zbar(t *testing.T, img image.Image) (string, bool) {
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("QIWEI_REQUIRE_SERVICES") == "1" {
			t.Fatal("zbarimg not found (install zbar-tools); QIWEI_REQUIRE_SERVICES=1")
		}
		return "", false
	}
	f := filepath.Join(t.TempDir(), "qr.png")
	w, err := os.Create(f)
	require.NoError(t, err)
	require.NoError(t, png.Encode(w, img))
	require.NoError(t, w.Close())
	out, _ := exec.Command(bin, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", f).Output()
	return strings.TrimSuffix(string(out), "\n"), true
}

var levels = []struct {
	l     Level
	skip2 skip2.RecoveryLevel
	bb    qr.ErrorCorrectionLevel
}{{L, skip2.Low, qr.L}, {M, skip2.Medium, qr.M}, {Q, skip2.High, qr.Q}, {H, skip2.Highest, qr.H}}

// byteContent returns n characters that force byte mode (lowercase letters and digits).
func byteContent(n, seed int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789-_.~"
	var b strings.Builder
	x := uint32(seed*2654435761 + 1)
	for range n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(chars[x%uint32(len(chars))])
	}
	s := []byte(b.String())
	s[0] = 'q' // lowercase: never numeric or alphanumeric
	return string(s)
}

// TestSweepAllVersions fills every version at every level to its byte-mode capacity,
// decodes the symbol with gozxing (and zbarimg when installed) and checks that one byte
// more moves to the next version, agreeing with skip2 and boombuler on the version.
func TestSweepAllVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("sweep of 160 symbols")
	}
	for _, lv := range levels {
		for v := 1; v <= 40; v++ {
			t.Run(fmt.Sprintf("%v-%d", "LMQH"[lv.l:lv.l+1], v), func(t *testing.T) {
				c := Capacity(v, lv.l, Byte)
				content := byteContent(c, v*4+int(lv.l))
				m, err := Encode(content, lv.l)
				require.NoError(t, err)
				require.Equal(t, v, m.Version, "capacity %d bytes", c)
				require.Equal(t, Byte, m.Mode)
				require.Equal(t, 4*v+17, m.Size)

				img := render(m, 2)
				got, err := decode(img)
				require.NoError(t, err, "gozxing must read version %d", v)
				require.Equal(t, content, got)
				if s, ok := zbar(t, img); ok {
					assert.Equal(t, content, s, "zbarimg, version %d mask %d", v, m.Mask)
				}

				sq, err := skip2.New(content, lv.skip2)
				require.NoError(t, err)
				assert.Equal(t, v, sq.VersionNumber, "skip2's version")
				bc, err := qr.Encode(content, lv.bb, qr.Unicode)
				require.NoError(t, err)
				assert.Equal(t, v, (bc.Bounds().Dx()-17)/4, "boombuler's version")

				more := byteContent(c+1, v)
				m2, err := Encode(more, lv.l)
				if v == 40 {
					require.ErrorIs(t, err, ErrTooLong)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, v+1, m2.Version, "one byte more")
				sq2, err := skip2.New(more, lv.skip2)
				require.NoError(t, err)
				assert.Equal(t, v+1, sq2.VersionNumber, "skip2's version for one byte more")
			})
		}
	}
}

// TestModes checks mode choice and decoding for numeric, alphanumeric and UTF-8 content.
func TestModes(t *testing.T) {
	tests := []struct {
		content string
		mode    Mode
		level   Level
		version int
	}{
		{"01234567", Numeric, M, 1},
		{strings.Repeat("9", 41), Numeric, L, 1},
		{strings.Repeat("9", 42), Numeric, L, 2},
		{"HELLO WORLD", Alphanumeric, Q, 1},
		{strings.Repeat("A", 25), Alphanumeric, L, 1},
		{strings.Repeat("A", 26), Alphanumeric, L, 2},
		{"https://example.com/p/1", Byte, M, 2},
		{"企业微信 扫码登录 ✓", Byte, M, 3}, // 29 bytes
		{strings.Repeat("0123456789", 709)[:7089], Numeric, L, 40},
		{strings.Repeat("HTTPS://EX.COM/", 227)[:3391], Alphanumeric, M, 40},
	}
	for _, tt := range tests {
		t.Run(tt.content[:min(len(tt.content), 16)], func(t *testing.T) {
			m, err := Encode(tt.content, tt.level)
			require.NoError(t, err)
			assert.Equal(t, tt.mode, m.Mode)
			assert.Equal(t, tt.version, m.Version)
			got, err := decode(render(m, 2))
			require.NoError(t, err)
			assert.Equal(t, tt.content, got)
		})
	}
}

// TestEveryMask decodes symbols drawn with each of the eight masks, across versions with and
// without version information.
func TestEveryMask(t *testing.T) {
	seen := map[int]bool{}
	for _, v := range []int{1, 2, 6, 7, 14, 25} {
		content := byteContent(Capacity(v, Q, Byte), v)
		auto, err := Encode(content, Q)
		require.NoError(t, err)
		seen[auto.Mask] = true
		for k := range 8 {
			m, err := encode(content, Q, k)
			require.NoError(t, err)
			require.Equal(t, k, m.Mask)
			got, err := decode(render(m, 2))
			require.NoError(t, err, "version %d mask %d", v, k)
			assert.Equal(t, content, got, "version %d mask %d", v, k)
		}
	}
	t.Logf("masks chosen automatically: %v", seen)
}

// TestPenaltyPrefersBalance checks the scorer on simple matrices.
func TestPenaltyPrefersBalance(t *testing.T) {
	n := 21
	allDark := make([]byte, n*n)
	checker := make([]byte, n*n)
	for i := range allDark {
		allDark[i] = 1
		checker[i] = byte((i/n + i%n) % 2)
	}
	// All dark: 2·21 runs of 21 (3+16 each), 20·20 blocks of 3, dark share 100 % (10·10).
	assert.Equal(t, 2*n*(3+16)+20*20*3+100, penalty(allDark, n))
	assert.Zero(t, penalty(checker, n))
	// A lone finder-like pattern 1011101 with light on both sides, in an otherwise checker row.
	row := make([]byte, n)
	copy(row[2:], []byte{1, 0, 1, 1, 1, 0, 1})
	// Light on both sides counts twice; the 12 trailing light modules are a run (3+7).
	assert.Equal(t, 2*penaltyFinder+10, linePenalty(row, 1))
}

func TestCapacityTable(t *testing.T) {
	// ISO/IEC 18004 Table 7, a sample: version, level, numeric, alphanumeric, byte.
	want := []struct {
		v          int
		l          Level
		num, an, b int
	}{
		{1, L, 41, 25, 17}, {1, H, 17, 10, 7}, {10, M, 513, 311, 213}, {27, Q, 1933, 1172, 805},
		{40, L, 7089, 4296, 2953}, {40, M, 5596, 3391, 2331}, {40, Q, 3993, 2420, 1663}, {40, H, 3057, 1852, 1273},
	}
	for _, w := range want {
		assert.Equal(t, w.num, Capacity(w.v, w.l, Numeric), "v%d numeric", w.v)
		assert.Equal(t, w.an, Capacity(w.v, w.l, Alphanumeric), "v%d alphanumeric", w.v)
		assert.Equal(t, w.b, Capacity(w.v, w.l, Byte), "v%d byte", w.v)
	}
}

func TestErrors(t *testing.T) {
	_, err := Encode(strings.Repeat("a", 2954), L)
	assert.ErrorIs(t, err, ErrTooLong)
	_, err = Encode(strings.Repeat("1", 7090), L)
	assert.ErrorIs(t, err, ErrTooLong)
	_, err = Encode("x", Level(4))
	assert.ErrorIs(t, err, ErrLevel)
	m, err := Encode("", M) // an empty symbol is valid; callers reject empty content themselves
	require.NoError(t, err)
	assert.Equal(t, 1, m.Version)
}

// TestReedSolomon checks the ISO/IEC 18004 Annex I example ("01234567", 1-M).
func TestReedSolomon(t *testing.T) {
	data := []byte{0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11}
	ec := make([]byte, 10)
	rsRemainder(data, generator(10), ec)
	assert.Equal(t, []byte{0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55}, ec)

	s := new(scratch)
	_ = s
	m, err := Encode("01234567", M)
	require.NoError(t, err)
	assert.Equal(t, 1, m.Version)
}

func TestFormatAndVersionBits(t *testing.T) {
	assert.Equal(t, uint32(0x5412), formatInfo(M, 0)^0) // level M (00), mask 0: all-zero data
	assert.Equal(t, uint32(0x77C4), formatInfo(L, 0))   // Annex C examples
	assert.Equal(t, uint32(0x07C94), versionBits(7))
	assert.Equal(t, uint32(0x28C69), versionBits(40))
}

func TestBlockStructure(t *testing.T) {
	// Totals per version (Table 1) and data codewords (Table 7), a sample.
	assert.Equal(t, 26, totalCodewords(1))
	assert.Equal(t, 3706, totalCodewords(40))
	assert.Equal(t, 2956, dataCodewords(40, L))
	assert.Equal(t, 1276, dataCodewords(40, H))
	assert.Equal(t, 9, dataCodewords(1, H))
}

func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Encode(fmt.Sprintf("https://shop.example.com/p/BAG-%06d?s=%012x", i, i), M); err != nil {
			b.Fatal(err)
		}
	}
}
