package qrcode

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strconv"

	"github.com/boombuler/barcode/qr"
)

// Errors returned by the local half of the package. Test with errors.Is.
var (
	// ErrEmptyContent is returned when asked to encode an empty string.
	ErrEmptyContent = errors.New("qrcode: empty content")
	// ErrContentTooLong is returned when the content does not fit in a version-40 symbol at the chosen level.
	ErrContentTooLong = errors.New("qrcode: content too long for a QR code")
	// ErrSizeTooSmall is returned when the requested image cannot hold one pixel per module.
	ErrSizeTooSmall = errors.New("qrcode: image size too small")
	// ErrInvalidOption is returned for an out-of-range option value.
	ErrInvalidOption = errors.New("qrcode: invalid option")
)

// MaxImageSize is the largest PNG side, in pixels, that [PNG] and friends accept.
const MaxImageSize = 8192

// Level is an error-correction level. The zero value means the default, [LevelM].
type Level byte

// Error-correction levels: the share of damaged codewords a reader can recover.
const (
	LevelL Level = 'L' // ~7 %
	LevelM Level = 'M' // ~15 % (default)
	LevelQ Level = 'Q' // ~25 %
	LevelH Level = 'H' // ~30 %; forced by WithLogo
)

// String returns "L", "M", "Q" or "H".
func (l Level) String() string {
	switch l {
	case LevelL, LevelM, LevelQ, LevelH:
		return string(rune(l))
	case 0:
		return "M"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

func (l Level) valid() bool { return l == LevelL || l == LevelM || l == LevelQ || l == LevelH }

func (l Level) ecc() qr.ErrorCorrectionLevel {
	switch l {
	case LevelL:
		return qr.L
	case LevelQ:
		return qr.Q
	case LevelH:
		return qr.H
	}
	return qr.M
}

// Option configures [Encode], [PNGWith], [SVG] and the labels. Options apply in order; an
// invalid value makes the call fail with [ErrInvalidOption].
type Option func(*config) error

type config struct {
	level Level
	quiet int
	fg    color.NRGBA
	bg    color.NRGBA
	logo  image.Image
}

func defaultConfig() config {
	return config{
		level: LevelM,
		quiet: 4,
		fg:    color.NRGBA{A: 0xff},
		bg:    color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
	}
}

func newConfig(opts []Option) (config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return c, err
		}
	}
	if c.logo != nil {
		c.level = LevelH
	}
	return c, nil
}

// monochrome reports whether the colours are the default black on opaque white.
func (c *config) monochrome() bool {
	d := defaultConfig()
	return c.fg == d.fg && c.bg == d.bg
}

// WithLevel sets the error-correction level (default [LevelM]). [WithLogo] overrides it with [LevelH].
func WithLevel(l Level) Option {
	return func(c *config) error {
		if !l.valid() {
			return fmt.Errorf("%w: level %v", ErrInvalidOption, l)
		}
		c.level = l
		return nil
	}
}

// WithQuietZone sets the blank margin around the symbol, in modules (default 4, the minimum the
// standard asks for; 0–16 accepted). Readers struggle with less than 2.
func WithQuietZone(modules int) Option {
	return func(c *config) error {
		if modules < 0 || modules > 16 {
			return fmt.Errorf("%w: quiet zone %d modules (want 0..16)", ErrInvalidOption, modules)
		}
		c.quiet = modules
		return nil
	}
}

// WithColors sets the dark-module (foreground) and background colours (default black on white).
// Keep the foreground darker than the background: most readers ignore inverted codes.
func WithColors(fg, bg color.Color) Option {
	return func(c *config) error {
		if fg == nil || bg == nil {
			return fmt.Errorf("%w: nil colour", ErrInvalidOption)
		}
		f := color.NRGBAModel.Convert(fg).(color.NRGBA)
		b := color.NRGBAModel.Convert(bg).(color.NRGBA)
		if f == b {
			return fmt.Errorf("%w: foreground equals background", ErrInvalidOption)
		}
		c.fg, c.bg = f, b
		return nil
	}
}

// WithLogo places img in the centre of the symbol on a background-coloured square. It forces
// [LevelH]; the square spans at most 26 % of the symbol's side (under 7 % of its area), so
// every Reed–Solomon block keeps at least a quarter of its correction capacity spare and the
// code still decodes. The logo is scaled to fit, keeping its aspect ratio.
func WithLogo(img image.Image) Option {
	return func(c *config) error {
		if img == nil || img.Bounds().Empty() {
			return fmt.Errorf("%w: empty logo", ErrInvalidOption)
		}
		c.logo = img
		return nil
	}
}

// Code is an encoded QR symbol: a square of modules without its quiet zone. It is immutable
// and safe for concurrent use; render it as often as needed with [Code.PNG], [Code.Image] and
// [Code.SVG].
type Code struct {
	content string
	n       int    // modules per side
	dark    []bool // row-major, n*n
	hole    int    // side of the centred logo square in modules (0: no logo)
	cfg     config
}

// Encode encodes content (byte mode for arbitrary UTF-8, numeric/alphanumeric when possible).
func Encode(content string, opts ...Option) (*Code, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return encode(content, cfg)
}

func encode(content string, cfg config) (*Code, error) {
	if content == "" {
		return nil, ErrEmptyContent
	}
	if len(content) > 7089 { // the numeric-mode maximum; cheap guard before the encoder runs
		return nil, fmt.Errorf("%w: %d bytes", ErrContentTooLong, len(content))
	}
	// The matrix comes from github.com/boombuler/barcode/qr: the smallest version that holds
	// the content at the level, and the mask with the lowest penalty score. Byte mode, which
	// accepts anything, can only fail when the content does not fit; the encoder's message
	// quotes the whole content, so it is not passed on.
	bc, err := qr.Encode(content, cfg.level.ecc(), encoding(content))
	if err != nil {
		return nil, fmt.Errorf("%w: %d bytes at level %v", ErrContentTooLong, len(content), cfg.level)
	}
	b := bc.Bounds()
	n := b.Dx()
	if n < 21 || n > 177 || (n-17)%4 != 0 || b.Dy() != n {
		return nil, fmt.Errorf("qrcode: encoder returned a %v symbol", b.Size())
	}
	c := &Code{content: content, n: n, dark: make([]bool, n*n), cfg: cfg}
	for y := range n {
		row := c.dark[y*n : (y+1)*n]
		for x := range row {
			r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y+y).RGBA()
			row[x] = r < 0x8000 // the encoder's colour scheme: black modules on white
		}
	}
	if cfg.logo != nil {
		c.hole = logoHole(c.Version())
	}
	return c, nil
}

// encoding picks the most compact single mode: numeric when every byte is a digit,
// alphanumeric when every byte is one of the 45 characters 0–9 A–Z space $%*+-./:, otherwise
// UTF-8 bytes without an ECI header (what phone readers expect). The choice is made here, not
// by the encoder's Auto mode: that tries numeric mode first and parses each group of three
// characters with strconv.Atoi, which accepts a sign, so "+8613800138000" would be stored as
// "08613800138000".
func encoding(content string) qr.Encoding {
	numeric := true
	for i := range len(content) {
		switch c := content[i]; {
		case c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z', c == ' ', c == '$', c == '%', c == '*', c == '+', c == '-', c == '.', c == '/', c == ':':
			numeric = false
		default:
			return qr.Unicode
		}
	}
	if numeric {
		return qr.Numeric
	}
	return qr.AlphaNumeric
}

// Content returns the encoded text.
func (c *Code) Content() string { return c.content }

// Size returns the number of modules per side, without the quiet zone.
func (c *Code) Size() int { return c.n }

// Version returns the QR version, 1–40.
func (c *Code) Version() int { return (c.n - 17) / 4 }

// Level returns the error-correction level used.
func (c *Code) Level() Level { return c.cfg.level }

// QuietZone returns the quiet zone in modules.
func (c *Code) QuietZone() int { return c.cfg.quiet }

// Dark reports whether the module at column x, row y is dark. Out-of-range positions are light.
// A logo does not change the matrix; see [Code.LogoArea].
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.n || y >= c.n {
		return false
	}
	return c.dark[y*c.n+x]
}

// LogoArea returns the square, in module coordinates, cleared for the logo (empty without one).
func (c *Code) LogoArea() image.Rectangle {
	if c.hole == 0 {
		return image.Rectangle{}
	}
	o := (c.n - c.hole) / 2
	return image.Rect(o, o, o+c.hole, o+c.hole)
}

// drawn reports whether a dark module is painted at (x, y): dark and not under the logo.
func (c *Code) drawn(x, y int) bool {
	if !c.dark[y*c.n+x] {
		return false
	}
	if c.hole > 0 {
		o := (c.n - c.hole) / 2
		if x >= o && x < o+c.hole && y >= o && y < o+c.hole {
			return false
		}
	}
	return true
}

// layout returns the whole-pixel module size m and the pixel offset of module (0,0) for a
// size×size image: the symbol plus its quiet zone is scaled by the largest integer that fits
// and centred.
func (c *Code) layout(size int) (m, off int, err error) {
	if size <= 0 || size > MaxImageSize {
		return 0, 0, fmt.Errorf("%w: size %d px (want 1..%d)", ErrInvalidOption, size, MaxImageSize)
	}
	total := c.n + 2*c.cfg.quiet
	m = size / total
	if m < 1 {
		return 0, 0, fmt.Errorf("%w: %d px for %d modules with quiet zone", ErrSizeTooSmall, size, total)
	}
	off = (size-m*total)/2 + c.cfg.quiet*m
	return m, off, nil
}

// MinSize returns the smallest image side, in pixels, that holds one pixel per module.
func (c *Code) MinSize() int { return c.n + 2*c.cfg.quiet }
