package qrenc

import (
	"errors"
	"fmt"
	"sync"
)

// ErrTooLong is returned when the content does not fit in a version-40 symbol at the level.
var ErrTooLong = errors.New("qrenc: content too long")

// ErrLevel is returned for a level other than L, M, Q or H.
var ErrLevel = errors.New("qrenc: invalid level")

// Mode is a data encoding mode.
type Mode uint8

// Encoding modes, valued as their 4-bit mode indicators.
const (
	Numeric      Mode = 1
	Alphanumeric Mode = 2
	Byte         Mode = 4
)

// Matrix is an encoded symbol without its quiet zone.
type Matrix struct {
	Size    int    // modules per side, 4*Version+17
	Version int    // 1–40
	Mode    Mode   // the data mode used
	Mask    int    // 0–7
	Modules []bool // row-major, Size*Size; true is dark
}

// Dark reports whether module (x, y) is dark; out of range is light.
func (m *Matrix) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= m.Size || y >= m.Size {
		return false
	}
	return m.Modules[y*m.Size+x]
}

// alnumValue maps a byte to its alphanumeric-mode value, or -1.
var alnumValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" {
		t[c] = int8(i)
	}
	return t
}()

// chooseMode returns the most compact single mode for content.
func chooseMode(content string) Mode {
	numeric, alnum := true, true
	for i := 0; i < len(content); i++ {
		c := content[i]
		if c < '0' || c > '9' {
			numeric = false
			if alnumValue[c] < 0 {
				alnum = false
				break
			}
		}
	}
	switch {
	case numeric:
		return Numeric
	case alnum:
		return Alphanumeric
	}
	return Byte
}

// countBits returns the width of the character-count indicator.
func countBits(mode Mode, v int) int {
	g := 0
	if v >= 27 {
		g = 2
	} else if v >= 10 {
		g = 1
	}
	switch mode {
	case Numeric:
		return [3]int{10, 12, 14}[g]
	case Alphanumeric:
		return [3]int{9, 11, 13}[g]
	}
	return [3]int{8, 16, 16}[g]
}

// payloadBits returns the number of data bits (without header) for n characters.
func payloadBits(mode Mode, n int) int {
	switch mode {
	case Numeric:
		return 10*(n/3) + [3]int{0, 4, 7}[n%3]
	case Alphanumeric:
		return 11*(n/2) + 6*(n%2)
	}
	return 8 * n
}

// Capacity returns how many characters of the mode fit in version v at level l.
func Capacity(v int, l Level, mode Mode) int {
	bits := dataCodewords(v, l)*8 - 4 - countBits(mode, v)
	n := 0
	switch mode {
	case Numeric:
		n = bits / 10 * 3
		switch r := bits % 10; {
		case r >= 7:
			n += 2
		case r >= 4:
			n++
		}
	case Alphanumeric:
		n = bits / 11 * 2
		if bits%11 >= 6 {
			n++
		}
	default:
		n = bits / 8
	}
	if max := 1<<countBits(mode, v) - 1; n > max {
		n = max
	}
	return n
}

// chooseVersion returns the smallest version holding n characters of mode at level l, or 0.
func chooseVersion(mode Mode, n int, l Level) int {
	for v := 1; v <= 40; v++ {
		cb := countBits(mode, v)
		if n < 1<<cb && 4+cb+payloadBits(mode, n) <= dataCodewords(v, l)*8 {
			return v
		}
	}
	return 0
}

// bitWriter appends bits MSB-first into a zeroed buffer.
type bitWriter struct {
	buf []byte
	n   int // bits written
}

func (w *bitWriter) write(val uint32, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if val>>uint(i)&1 != 0 {
			w.buf[w.n>>3] |= 0x80 >> uint(w.n&7)
		}
		w.n++
	}
}

// scratch holds reusable buffers of one encode.
type scratch struct {
	data  []byte // data codewords
	all   []byte // interleaved data + EC codewords
	ecc   []byte // EC codewords, block after block
	base  []byte // unmasked matrix, 0/1 per module
	work  []byte // masked candidate
	runs  []int32
	best  []byte
	bestP int
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// Encode encodes content at level l, choosing the mode and the smallest version.
func Encode(content string, l Level) (*Matrix, error) { return encode(content, l, -1) }

// encode is Encode with the mask forced to force when it is 0–7 (tests).
func encode(content string, l Level, force int) (*Matrix, error) {
	if l > H {
		return nil, fmt.Errorf("%w: %d", ErrLevel, l)
	}
	mode := chooseMode(content)
	v := chooseVersion(mode, len(content), l)
	if v == 0 {
		return nil, fmt.Errorf("%w: %d bytes at level %v", ErrTooLong, len(content), "LMQH"[l:l+1])
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)

	// Data codewords: mode, count, payload, terminator, bit padding, pad bytes.
	nd := dataCodewords(v, l)
	s.data = grow(s.data, nd)
	w := bitWriter{buf: s.data}
	w.write(uint32(mode), 4)
	w.write(uint32(len(content)), countBits(mode, v))
	switch mode {
	case Numeric:
		i := 0
		for ; i+3 <= len(content); i += 3 {
			w.write(uint32(content[i]-'0')*100+uint32(content[i+1]-'0')*10+uint32(content[i+2]-'0'), 10)
		}
		switch len(content) - i {
		case 2:
			w.write(uint32(content[i]-'0')*10+uint32(content[i+1]-'0'), 7)
		case 1:
			w.write(uint32(content[i]-'0'), 4)
		}
	case Alphanumeric:
		i := 0
		for ; i+2 <= len(content); i += 2 {
			w.write(uint32(alnumValue[content[i]])*45+uint32(alnumValue[content[i+1]]), 11)
		}
		if i < len(content) {
			w.write(uint32(alnumValue[content[i]]), 6)
		}
	default:
		if w.n&7 == 4 { // always true after the 4-bit mode and an 8/16-bit count
			for i := 0; i < len(content); i++ {
				c := content[i]
				w.buf[w.n>>3] |= c >> 4
				w.buf[w.n>>3+1] = c << 4
				w.n += 8
			}
		} else {
			for i := 0; i < len(content); i++ {
				w.write(uint32(content[i]), 8)
			}
		}
	}
	w.n += min(4, nd*8-w.n) // terminator: up to four zero bits
	w.n = (w.n + 7) &^ 7
	for i, pad := w.n>>3, byte(0xEC); i < nd; i, pad = i+1, pad^0xEC^0x11 {
		s.data[i] = pad
	}

	// Error correction and interleaving.
	total := totalCodewords(v)
	nb := int(numBlocks[l][v])
	ecLen := int(eccPerBlock[l][v])
	shortLen := total / nb // block length, EC included
	numShort := nb - total%nb
	s.ecc = grow(s.ecc, nb*ecLen)
	s.all = grow(s.all, total)
	gen := generator(ecLen)
	off := 0
	for b := range nb {
		dl := shortLen - ecLen
		if b >= numShort {
			dl++
		}
		rsRemainder(s.data[off:off+dl], gen, s.ecc[b*ecLen:(b+1)*ecLen])
		// Data codeword i of block b goes to i*nb+b, except after the short blocks end.
		for i := range dl {
			k := i*nb + b
			if i == shortLen-ecLen { // the extra codeword of a long block
				k = i*nb + b - numShort
			}
			s.all[k] = s.data[off+i]
		}
		off += dl
	}
	ecStart := nd
	for b := range nb {
		for i := range ecLen {
			s.all[ecStart+i*nb+b] = s.ecc[b*ecLen+i]
		}
	}

	m, mask := s.place(v, l, force)
	n := 4*v + 17
	out := &Matrix{Size: n, Version: v, Mode: mode, Mask: mask, Modules: make([]bool, n*n)}
	for i, b := range m {
		out.Modules[i] = b != 0
	}
	return out, nil
}
