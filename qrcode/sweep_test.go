package qrcode_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

// TestDecodeSweep fills every version 1–40 at every level to its byte-mode capacity, renders
// it at 2 px per module and reads it back with gozxing and zbarimg.
func TestDecodeSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("160 symbols")
	}
	for _, lv := range levels {
		t.Run(lv.String(), func(t *testing.T) {
			t.Parallel()
			var files, contents []string
			dir := t.TempDir()
			for v := 1; v <= 40; v++ {
				content := qrcode.ByteContent(qrcode.ByteCapacity(v, lv), v*4+int(lv))
				c, err := qrcode.Encode(content, qrcode.WithLevel(lv))
				require.NoError(t, err)
				require.Equal(t, v, c.Version())
				b, err := c.PNG(2 * c.MinSize())
				require.NoError(t, err)
				assert.Equal(t, content, gozxingDecodePNG(t, b), "gozxing, version %d", v)
				f := filepath.Join(dir, fmt.Sprintf("v%02d.png", v))
				require.NoError(t, os.WriteFile(f, b, 0o600))
				files, contents = append(files, f), append(contents, content)
			}
			for i, got := range zbarDecodeFiles(t, files) {
				assert.Equal(t, contents[i], got, "zbarimg, version %d", i+1)
			}
		})
	}
}
