// Package photo prepares bag photos for the store: a camera photo of up to [MaxBytes] (JPEG, PNG,
// GIF or WebP) is turned upright by its EXIF orientation, scaled to at most [MaxSide] pixels and
// kept as a JPEG, with a small square-ish thumbnail for lists.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders
	"image/jpeg"
	_ "image/png"
	"net/http"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

const (
	// MaxBytes bounds an uploaded photo: a phone camera's full-size JPEG fits.
	MaxBytes = 20 << 20
	// MaxSide is the longest side of a stored photo, in pixels.
	MaxSide = 1600
	// ThumbSide is the longest side of a thumbnail (lists show them at 56 CSS px on 2× screens).
	ThumbSide = 112
	// maxPixels bounds a decoded image (a 20 MB JPEG of 50 megapixels is fine; a crafted PNG that
	// claims 100,000² pixels is refused before it is decoded).
	maxPixels = 80_000_000
)

// Errors for the person who uploaded the photo.
var (
	ErrTooLarge = errors.New("照片太大（最大 20 MB）(photo too large)")
	ErrNotImage = errors.New("照片须为 JPG、PNG、GIF 或 WebP (not an image)")
)

// Prepared is a photo ready for the store.
type Prepared struct {
	JPEG  []byte // at most MaxSide pixels on its longest side
	Thumb []byte // JPEG, at most ThumbSide pixels on its longest side
}

// Prepare checks, turns upright, scales and re-encodes a photo. A photo that is already a JPEG
// no larger than MaxSide with no rotation is kept byte for byte.
func Prepare(data []byte) (*Prepared, error) {
	if len(data) > MaxBytes {
		return nil, ErrTooLarge
	}
	switch http.DetectContentType(data) {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return nil, ErrNotImage
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrNotImage
	}
	if cfg.Width*cfg.Height > maxPixels {
		return nil, fmt.Errorf("%w: %d×%d px", ErrTooLarge, cfg.Width, cfg.Height)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotImage
	}
	orient := 1
	if format == "jpeg" {
		orient = Orientation(data)
	}
	out := &Prepared{}
	b := img.Bounds()
	big := scale(img, MaxSide) // the longest side does not depend on the orientation
	if format == "jpeg" && orient == 1 && max(b.Dx(), b.Dy()) <= MaxSide {
		out.JPEG = data
	} else if out.JPEG, err = encode(rotate(big, orient), 85); err != nil {
		return nil, err
	}
	if out.Thumb, err = encode(rotate(scale(big, ThumbSide), orient), 80); err != nil {
		return nil, err
	}
	return out, nil
}

// Thumbnail makes a thumbnail of a stored photo (photos stored before thumbnails existed).
func Thumbnail(data []byte) ([]byte, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrNotImage
	}
	return encode(scale(img, ThumbSide), 80)
}

// scale fits img into side×side, keeping its aspect (never enlarging), on white (JPEG has no
// transparency).
func scale(img image.Image, side int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/w)
		} else {
			w, h = max(1, w*side/h), side
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	kernel := xdraw.Interpolator(xdraw.CatmullRom)
	if b.Dx() > 4*w { // a big reduction: area averaging first is faster and as good
		kernel = xdraw.ApproxBiLinear
		if w < 400 {
			kernel = xdraw.BiLinear
		}
	}
	kernel.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	return dst
}

func encode(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("photo: encode: %w", err)
	}
	return buf.Bytes(), nil
}
