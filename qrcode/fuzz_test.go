package qrcode_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

// FuzzEncode checks that any content either encodes or fails with a typed error, never
// panics, yields a well-formed symbol, and that short printable-ASCII content reads back.
func FuzzEncode(f *testing.F) {
	f.Add("https://shop.example.com/p/BAG-000123", byte(1))
	f.Add("0123456789", byte(0))
	f.Add("HELLO WORLD $%*+-./:", byte(3))
	levels := []qrcode.Level{qrcode.LevelL, qrcode.LevelM, qrcode.LevelQ, qrcode.LevelH}
	f.Fuzz(func(t *testing.T, content string, level byte) {
		c, err := qrcode.Encode(content, qrcode.WithLevel(levels[level%4]))
		if err != nil {
			if content == "" {
				require.ErrorIs(t, err, qrcode.ErrEmptyContent)
			} else {
				require.ErrorIs(t, err, qrcode.ErrContentTooLong)
				require.Greater(t, len(content), 1273, "level H holds 1,273 bytes of anything")
			}
			return
		}
		require.Equal(t, 4*c.Version()+17, c.Size())
		require.Equal(t, content, c.Content())
		if len(content) > 120 {
			return
		}
		for i := range len(content) {
			if content[i] < 0x20 || content[i] > 0x7e {
				return // gozxing guesses the charset of other bytes
			}
		}
		img, err := c.Image(2 * c.MinSize())
		require.NoError(t, err)
		got, err := gozxingDecode(img)
		require.NoError(t, err)
		require.Equal(t, content, got)
	})
}
