package qrenc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzEncode checks that any content either fits or reports ErrTooLong, that the symbol is
// well formed, and that short printable-ASCII content decodes back with gozxing.
func FuzzEncode(f *testing.F) {
	f.Add("https://shop.example.com/p/BAG-000123", uint8(1))
	f.Add("0123456789", uint8(0))
	f.Add("HELLO WORLD $%*+-./:", uint8(3))
	f.Fuzz(func(t *testing.T, content string, level uint8) {
		l := Level(level % 4)
		m, err := Encode(content, l)
		if err != nil {
			require.ErrorIs(t, err, ErrTooLong)
			return
		}
		require.Equal(t, 4*m.Version+17, m.Size)
		require.Len(t, m.Modules, m.Size*m.Size)
		if content == "" || len(content) > 120 {
			return
		}
		for i := 0; i < len(content); i++ {
			if content[i] < 0x20 || content[i] > 0x7e {
				return // gozxing guesses the charset of other bytes
			}
		}
		got, err := decode(render(m, 2))
		require.NoError(t, err)
		require.Equal(t, content, got)
	})
}
