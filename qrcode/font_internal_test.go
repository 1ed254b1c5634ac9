package qrcode

import (
	"bytes"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
)

// requireCJKFont returns the system CJK font, skipping when the machine has none (failing
// when QIWEI_REQUIRE_SERVICES=1).
func requireCJKFont(t *testing.T) *Font {
	t.Helper()
	f := SystemFont()
	if !f.CJK() {
		if os.Getenv("QIWEI_REQUIRE_SERVICES") == "1" {
			t.Fatal("no CJK font installed (fonts-wqy-microhei); QIWEI_REQUIRE_SERVICES=1")
		}
		t.Skip("no CJK font installed: apt-get install fonts-wqy-microhei")
	}
	return f
}

func TestCJKGlyphsAreNotEmpty(t *testing.T) {
	f := requireCJKFont(t)
	fc := newFaceChain(40, f, goRegular())
	for _, r := range "棕色托特包" {
		require.True(t, f.HasGlyph(r), "%q in %s", r, f.Name())
		face := fc.pick(r)
		assert.Same(t, fc.faces[0], face, "%q drawn with the CJK face, not the fallback", r)
		dr, mask, mp, adv, ok := face.Glyph(fixed.P(0, 40), r)
		require.True(t, ok)
		assert.Greater(t, adv, fixed.I(20), "a full-width advance")
		inked := 0
		for y := range dr.Dy() {
			for x := range dr.Dx() {
				if _, _, _, a := mask.At(mp.X+x, mp.Y+y).RGBA(); a > 0x8000 {
					inked++
				}
			}
		}
		assert.Greater(t, inked, 40, "%q has ink", r)
	}
}

func TestLookupFontFallback(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	f := lookupFont([]string{t.TempDir(), filepath.Join(t.TempDir(), "missing")}, log)
	assert.Same(t, goRegular(), f)
	st := statusOf(f)
	assert.True(t, st.Fallback)
	assert.False(t, st.CJK)
	assert.Contains(t, logs.String(), "no CJK font found")

	// Drawing Chinese with the fallback draws boxes or nothing, and never fails.
	img := image.NewGray(image.Rect(0, 0, 200, 40))
	rs, fc := fitLine("棕色托特包 tote", 200, 30, 10, f)
	drawLine(img, img.Bounds(), rs, fc, image.Black.C)
}

func TestLookupFontSkipsBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wqy-microhei.ttc"), []byte("ttcf broken"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "DroidSansFallbackFull.ttf"), goregular.TTF, 0o600))
	var logs bytes.Buffer
	f := lookupFont([]string{dir}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	assert.Same(t, goRegular(), f, "a broken file and a font without CJK are both skipped")
	assert.Contains(t, logs.String(), "skipping font")
}

func TestFindCJKFontFilesOrder(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, p := range []string{
		filepath.Join(a, "droid", "DroidSansFallbackFull.ttf"),
		filepath.Join(a, "noto", "NotoSansCJK-Regular.ttc"),
		filepath.Join(a, "other", "DejaVuSans.ttf"),
		filepath.Join(b, "wqy", "wqy-microhei.ttc"),
		filepath.Join(b, "wqy", "wqy-zenhei.ttc"),
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, nil, 0o600))
	}
	got := findCJKFontFiles([]string{a, b, filepath.Join(a, "nope")})
	want := []string{"wqy-microhei.ttc", "NotoSansCJK-Regular.ttc", "wqy-zenhei.ttc", "DroidSansFallbackFull.ttf"}
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Equal(t, w, filepath.Base(got[i]))
	}
}

func TestParseFontCollection(t *testing.T) {
	const wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
	if _, err := os.Stat(wqy); err != nil {
		t.Skip("fonts-wqy-microhei not installed")
	}
	f, err := LoadFont(wqy)
	require.NoError(t, err, "x/image/font/sfnt rejects its unaligned tables; we re-lay them out")
	assert.Equal(t, "WenQuanYi Micro Hei", f.Name())
	assert.Equal(t, wqy, f.Path())
	assert.True(t, f.CJK())
	ttf, err := f.trueType()
	require.NoError(t, err)
	assert.True(t, hasTable(ttf, "glyf"))
	assert.False(t, bytes.HasPrefix(ttf, []byte("ttcf")), "a standalone font for PDF embedding")
}

func TestParseFontErrors(t *testing.T) {
	ttcHeader := func(n uint32, offs ...uint32) []byte {
		b := []byte("ttcf\x00\x01\x00\x00")
		b = append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		for _, o := range offs {
			b = append(b, byte(o>>24), byte(o>>16), byte(o>>8), byte(o))
		}
		return b
	}
	for name, data := range map[string][]byte{
		"empty":            nil,
		"garbage":          []byte("not a font at all"),
		"short ttc":        []byte("ttcf"),
		"ttc no fonts":     ttcHeader(0),
		"ttc huge count":   ttcHeader(1 << 30),
		"ttc bad offset":   ttcHeader(1, 1<<30),
		"truncated ttf":    goregular.TTF[:100],
		"truncated tables": goregular.TTF[:len(goregular.TTF)/2],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFont(data)
			assert.ErrorIs(t, err, ErrInvalidFont)
		})
	}
	_, err := LoadFont(filepath.Join(t.TempDir(), "missing.ttf"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func FuzzParseFont(f *testing.F) {
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10"))
	f.Add(goregular.TTF[:64])
	f.Fuzz(func(t *testing.T, data []byte) {
		font, err := ParseFont(data)
		if err == nil {
			font.HasGlyph('A') // must not panic either
		}
	})
}
