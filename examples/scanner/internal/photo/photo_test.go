package photo

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// camera makes a w×h JPEG whose left half is red and right half blue, with an EXIF orientation
// tag when orient > 0 (a phone held upright stores orientation 6).
func camera(t *testing.T, w, h, orient int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{200, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 200, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}))
	if orient == 0 {
		return buf.Bytes()
	}
	// APP1 "Exif\0\0" + a little-endian TIFF header with one IFD0 entry: 0x0112 SHORT 1 = orient.
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	binary.LittleEndian.PutUint16(tiff[18:], uint16(orient))
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	out := append([]byte{0xFF, 0xD8}, app1...)
	out = append(out, seg...)
	return append(out, buf.Bytes()[2:]...)
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img
}

func TestPrepareScalesAndTurnsUpright(t *testing.T) {
	raw := camera(t, 4000, 3000, 6) // stored landscape, shown portrait
	assert.Equal(t, 6, Orientation(raw))
	p, err := Prepare(raw)
	require.NoError(t, err)
	big, thumb := decode(t, p.JPEG), decode(t, p.Thumb)
	assert.Equal(t, image.Pt(1200, 1600), big.Bounds().Size(), "turned upright, longest side 1600")
	assert.Equal(t, image.Pt(84, 112), thumb.Bounds().Size())
	// Turned 90° clockwise: the red left half of the sensor is now the top.
	r, _, b, _ := big.At(600, 100).RGBA()
	assert.Greater(t, r, b, "red on top")
	r, _, b, _ = big.At(600, 1500).RGBA()
	assert.Greater(t, b, r, "blue at the bottom")
}

func TestPrepareKeepsASmallUprightJPEG(t *testing.T) {
	raw := camera(t, 800, 600, 0)
	p, err := Prepare(raw)
	require.NoError(t, err)
	assert.Equal(t, raw, p.JPEG, "kept byte for byte")
	assert.Equal(t, image.Pt(112, 84), decode(t, p.Thumb).Bounds().Size())
}

func TestPrepareConvertsPNG(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2000, 500))))
	p, err := Prepare(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, image.Pt(1600, 400), decode(t, p.JPEG).Bounds().Size())
}

func TestPrepareRefuses(t *testing.T) {
	_, err := Prepare(make([]byte, MaxBytes+1))
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "照片太大")
	_, err = Prepare(append([]byte("GIF89a"), make([]byte, 20)...))
	assert.ErrorIs(t, err, ErrNotImage)
	_, err = Prepare([]byte("%PDF-1.4"))
	assert.ErrorIs(t, err, ErrNotImage)
	// A PNG header claiming 100,000 × 100,000 pixels is refused before decoding.
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))))
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], 100000)
	binary.BigEndian.PutUint32(b[20:], 100000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29])) // the IHDR chunk's CRC
	_, err = Prepare(b)
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestOrientationOfOddFiles(t *testing.T) {
	for _, b := range [][]byte{nil, {0xFF}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, []byte("not a jpeg")} {
		assert.Equal(t, 1, Orientation(b))
	}
}

func FuzzOrientation(f *testing.F) {
	f.Add(camera(&testing.T{}, 8, 8, 6))
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := Orientation(b); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
