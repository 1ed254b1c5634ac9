package qrcode

// RasterOnly returns a copy of f that cannot be embedded in a PDF, as a font with PostScript
// outlines (Noto Sans CJK) could not: sheets then draw its text as images.
func RasterOnly(f *Font) *Font {
	c := *f
	c.member = nil
	return &c
}

// ByteCapacity and ByteContent let the decode sweeps fill every version to its capacity.
var (
	ByteCapacity = stdByteCapacity
	ByteContent  = byteContent
)
