package qrcode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// ErrInvalidFont is returned by [LoadFont] and [ParseFont] for data that is not a usable font.
var ErrInvalidFont = errors.New("qrcode: invalid font")

// Font is a parsed TrueType/OpenType font used for label text. It is immutable and safe for
// concurrent use. Glyphs the font lacks fall back to Go Regular, then to the font's own
// "missing glyph" box; text never makes a label fail.
type Font struct {
	name   string
	path   string // "" for built-in fonts
	f      *sfnt.Font
	member []byte // the standalone font file, tables 4-byte aligned
}

// LoadFont reads a .ttf, .otf or .ttc file. For a collection it picks the Simplified Chinese
// member when there is one ("SC" in its name), else the first.
func LoadFont(path string) (*Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("qrcode: load font: %w", err)
	}
	f, err := ParseFont(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, filepath.Base(path))
	}
	f.path = path
	return f, nil
}

// ParseFont parses font data: a TrueType/OpenType font or a collection (.ttc).
func ParseFont(data []byte) (*Font, error) {
	if !bytes.HasPrefix(data, []byte("ttcf")) {
		return parseSingle(data)
	}
	if _, err := collectionSize(data); err != nil {
		return nil, err
	}
	idx := 0
	if c, err := sfnt.ParseCollection(data); err == nil { // cheap: reads directories only
		var buf sfnt.Buffer
		for i := range c.NumFonts() {
			if f, err := c.Font(i); err == nil {
				if name, _ := f.Name(&buf, sfnt.NameIDFull); strings.Contains(name, " SC") {
					idx = i
					break
				}
			}
		}
	}
	member, err := sfntMember(data, idx)
	if err != nil {
		return nil, err
	}
	return parseSingle(member)
}

// parseSingle parses one standalone font. Some fonts (wqy-microhei.ttc among them) have
// tables that are not 4-byte aligned, which x/image/font/sfnt rejects; they are re-laid out.
func parseSingle(member []byte) (*Font, error) {
	f, err := sfnt.Parse(member)
	if err != nil {
		aligned, aerr := realign(member, 0)
		if aerr != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidFont, err)
		}
		if f, err = sfnt.Parse(aligned); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidFont, err)
		}
		member = aligned
	}
	var buf sfnt.Buffer
	name, _ := f.Name(&buf, sfnt.NameIDFull)
	return &Font{name: name, f: f, member: member}, nil
}

// Name returns the font's full name, e.g. "WenQuanYi Micro Hei".
func (f *Font) Name() string { return f.name }

// Path returns the file the font was loaded from ("" for built-in fonts).
func (f *Font) Path() string { return f.path }

// HasGlyph reports whether the font has a glyph for r.
func (f *Font) HasGlyph(r rune) bool {
	var b sfnt.Buffer
	i, err := f.f.GlyphIndex(&b, r)
	return err == nil && i != 0
}

// CJK reports whether the font covers common Chinese characters.
func (f *Font) CJK() bool { return f.HasGlyph('中') && f.HasGlyph('包') && f.HasGlyph('色') }

var (
	goRegular = sync.OnceValue(func() *Font { return mustBuiltin(goregular.TTF) })
	goMono    = sync.OnceValue(func() *Font { return mustBuiltin(gomonobold.TTF) })
)

func mustBuiltin(ttf []byte) *Font {
	f, err := ParseFont(ttf)
	if err != nil { // cannot happen: the Go fonts are compiled in and valid
		panic("qrcode: built-in Go font: " + err.Error())
	}
	return f
}

// FontStatus describes the font labels use for names when no [LabelOptions.Font] is given.
type FontStatus struct {
	Name     string // full font name
	Path     string // file it was loaded from ("" when built in)
	CJK      bool   // covers Chinese text
	Fallback bool   // no CJK font was found: Go Regular is used and Chinese renders as boxes
}

// FontInfo reports which font [SystemFont] found. Call it at start-up to check a server can
// print Chinese product names (install fonts-wqy-microhei or fonts-noto-cjk if Fallback).
func FontInfo() FontStatus {
	return statusOf(SystemFont())
}

func statusOf(f *Font) FontStatus {
	return FontStatus{Name: f.Name(), Path: f.Path(), CJK: f.CJK(), Fallback: f == goRegular()}
}

// SystemFont returns a CJK font found on this machine, looked up once and cached: the first of
// WenQuanYi Micro Hei, Noto Sans CJK / Source Han Sans, WenQuanYi Zen Hei, Droid Sans Fallback,
// Microsoft YaHei, SimHei, PingFang, found under the usual font directories. When none is present
// it returns Go Regular and logs one warning; see [FontInfo].
func SystemFont() *Font { return systemFont() }

var systemFont = sync.OnceValue(func() *Font { return lookupFont(fontDirs(), slog.Default()) })

// lookupFont returns the best CJK font under dirs, or Go Regular after logging a warning.
func lookupFont(dirs []string, log *slog.Logger) *Font {
	for _, p := range findCJKFontFiles(dirs) {
		f, err := LoadFont(p)
		if err != nil {
			log.Debug("qrcode: skipping font", "path", p, "err", err)
			continue
		}
		if f.CJK() {
			return f
		}
	}
	log.Warn("qrcode: no CJK font found; label text falls back to Go Regular and Chinese renders as boxes",
		"searched", dirs, "install", "fonts-wqy-microhei or fonts-noto-cjk")
	return goRegular()
}

// cjkFontPatterns lists font file names in order of preference (lower-case globs).
var cjkFontPatterns = []string{
	"wqy-microhei.ttc",
	"notosanscjk*-regular.ttc", "notosanscjksc-regular.otf", "notosanscjk*.ttc", "notosanscjk*.otf",
	"notosanssc-regular.otf", "sourcehansans*.ttc", "sourcehanssans*-regular.otf",
	"wqy-zenhei.ttc",
	"droidsansfallbackfull.ttf", "droidsansfallback*.ttf",
	"msyh.ttc", "msyh.ttf", "simhei.ttf", "pingfang.ttc", "hiragino sans gb.ttc", "stheiti*.ttc",
}

func fontDirs() []string {
	dirs := []string{"/usr/share/fonts", "/usr/local/share/fonts"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local/share/fonts"), filepath.Join(home, ".fonts"))
	}
	switch runtime.GOOS {
	case "darwin":
		dirs = append(dirs, "/System/Library/Fonts", "/Library/Fonts")
	case "windows":
		if w := os.Getenv("WINDIR"); w != "" {
			dirs = append(dirs, filepath.Join(w, "Fonts"))
		}
	}
	return dirs
}

// findCJKFontFiles walks dirs and returns the font files matching cjkFontPatterns, best first.
func findCJKFontFiles(dirs []string) []string {
	type hit struct {
		rank int
		path string
	}
	var hits []hit
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if e != nil && e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if e.IsDir() {
				return nil
			}
			name := strings.ToLower(e.Name())
			for rank, pat := range cjkFontPatterns {
				if ok, _ := filepath.Match(pat, name); ok {
					hits = append(hits, hit{rank, p})
					break
				}
			}
			return nil
		})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].rank < hits[j].rank })
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.path
	}
	return out
}

// trueType returns the font as a standalone TrueType file, for PDF embedding. Fonts with
// PostScript (CFF) outlines return an error.
func (f *Font) trueType() ([]byte, error) {
	if !hasTable(f.member, "glyf") {
		return nil, errNotTrueType
	}
	return f.member, nil
}

var errNotTrueType = errors.New("qrcode: font has no TrueType outlines")

func collectionSize(src []byte) (int, error) {
	if len(src) < 12 {
		return 0, fmt.Errorf("%w: short collection header", ErrInvalidFont)
	}
	n := int(binary.BigEndian.Uint32(src[8:]))
	if n < 1 || n > 256 || len(src) < 12+4*n {
		return 0, fmt.Errorf("%w: bad collection header", ErrInvalidFont)
	}
	return n, nil
}

// sfntMember returns member index of a collection as a standalone font file.
func sfntMember(src []byte, index int) ([]byte, error) {
	off := int(binary.BigEndian.Uint32(src[12+4*index:]))
	return realign(src, off)
}

// tableDir returns the table records of the font whose offset table starts at off.
func tableDir(src []byte, off int) (header, recs []byte, err error) {
	if off < 0 || off+12 > len(src) {
		return nil, nil, fmt.Errorf("%w: bad offset table", ErrInvalidFont)
	}
	n := int(binary.BigEndian.Uint16(src[off+4:]))
	if off+12+16*n > len(src) {
		return nil, nil, fmt.Errorf("%w: bad table directory", ErrInvalidFont)
	}
	return src[off : off+12], src[off+12 : off+12+16*n], nil
}

func hasTable(font []byte, tag string) bool {
	_, recs, err := tableDir(font, 0)
	if err != nil {
		return false
	}
	for i := 0; i < len(recs); i += 16 {
		if string(recs[i:i+4]) == tag {
			return true
		}
	}
	return false
}

// realign copies the font whose offset table starts at off into a new file with every table
// 4-byte aligned, rewriting the table offsets. Table contents are unchanged (loca offsets are
// relative to glyf, so moving whole tables is safe); checksums are left as they were.
func realign(src []byte, off int) ([]byte, error) {
	be := binary.BigEndian
	header, recs, err := tableDir(src, off)
	if err != nil {
		return nil, err
	}
	size := len(header) + len(recs)
	for i := 0; i < len(recs); i += 16 {
		tOff, tLen := int(be.Uint32(recs[i+8:])), int(be.Uint32(recs[i+12:]))
		if tOff < 0 || tLen < 0 || tOff > len(src) || tLen > len(src)-tOff {
			return nil, fmt.Errorf("%w: table outside the file", ErrInvalidFont)
		}
		size += tLen + 3
	}
	// One font's tables do not overlap, so they cannot add up to more than the file.
	if size > len(src)+4*len(recs) {
		return nil, fmt.Errorf("%w: overlapping tables", ErrInvalidFont)
	}
	out := make([]byte, 0, size)
	out = append(out, header...)
	out = append(out, recs...)
	for i := 0; i < len(recs); i += 16 {
		tOff, tLen := int(be.Uint32(recs[i+8:])), int(be.Uint32(recs[i+12:]))
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		be.PutUint32(out[12+i+8:], uint32(len(out)))
		out = append(out, src[tOff:tOff+tLen]...)
	}
	return out, nil
}
