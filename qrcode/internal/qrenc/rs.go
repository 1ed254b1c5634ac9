package qrenc

import "sync"

// Reed–Solomon over GF(2^8) with the QR polynomial x^8+x^4+x^3+x^2+1 (0x11D).

// gfMul is the full multiplication table: gfMul[a][b] = a·b.
var gfMul = func() *[256][256]byte {
	var exp [510]byte
	var log [256]int
	x := 1
	for i := range 255 {
		exp[i] = byte(x)
		log[x] = i
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	for i := 255; i < len(exp); i++ {
		exp[i] = exp[i-255]
	}
	t := new([256][256]byte)
	for a := 1; a < 256; a++ {
		for b := 1; b < 256; b++ {
			t[a][b] = exp[log[a]+log[b]]
		}
	}
	return t
}()

var generators struct {
	once [31]sync.Once
	poly [31][]byte
}

// generator returns the coefficients, highest degree first and without the leading 1, of
// the generator polynomial (x-α^0)(x-α^1)…(x-α^(degree-1)).
func generator(degree int) []byte {
	generators.once[degree].Do(func() {
		g := make([]byte, degree)
		g[degree-1] = 1
		root := byte(1)
		for range degree {
			for j := range degree {
				g[j] = gfMul[g[j]][root]
				if j+1 < degree {
					g[j] ^= g[j+1]
				}
			}
			root = gfMul[root][2]
		}
		generators.poly[degree] = g
	})
	return generators.poly[degree]
}

// rsRemainder writes into rem (len(gen) bytes) the EC codewords of data.
func rsRemainder(data, gen, rem []byte) {
	clear(rem)
	last := len(rem) - 1
	for _, d := range data {
		f := d ^ rem[0]
		copy(rem, rem[1:])
		rem[last] = 0
		if f == 0 {
			continue
		}
		row := &gfMul[f]
		for i, g := range gen {
			rem[i] ^= row[g]
		}
	}
}
