package qrcode_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
)

var bagNames = []string{"棕色托特包", "黑色斜挎包", "Brown leather tote", "酒红色手提包 大号", ""}

func batchSpecs(n int) []qrcode.LabelSpec {
	s, _ := qrcode.NewSigner([]byte("0123456789abcdef0123456789abcdef"), "https://shop.example.com")
	specs := make([]qrcode.LabelSpec, n)
	for i := range specs {
		code := fmt.Sprintf("BAG-%06d", i)
		specs[i] = qrcode.LabelSpec{Content: s.URL(code), Code: code, Name: bagNames[i%len(bagNames)]}
	}
	return specs
}

// TestLabelsBatchDecodes renders 1,000 labels and reads every one back with gozxing, and a
// sample with zbarimg.
func TestLabelsBatchDecodes(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 labels: skipped with -short")
	}
	specs := batchSpecs(1000)
	pngs, err := qrcode.Labels(t.Context(), specs, &qrcode.LabelOptions{Width: 240})
	require.NoError(t, err)
	require.Len(t, pngs, len(specs))

	var failed atomic.Int32
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(pngs); i += workers {
				if got := gozxingDecodePNG(t, pngs[i]); got != specs[i].Content {
					failed.Add(1)
					t.Errorf("label %d: got %q", i, got)
				}
			}
		}()
	}
	wg.Wait()
	require.Zero(t, failed.Load())

	dir := t.TempDir()
	var files []string
	var want []string
	for i := 0; i < len(pngs); i += 20 { // 50 files, one zbarimg process each
		f := filepath.Join(dir, fmt.Sprintf("%04d.png", i))
		require.NoError(t, os.WriteFile(f, pngs[i], 0o600))
		files = append(files, f)
		want = append(want, specs[i].Content)
	}
	assert.Equal(t, want, zbarDecodeFiles(t, files))
}

func TestLabelsOrderAndWorkers(t *testing.T) {
	specs := batchSpecs(12)
	for _, workers := range []int{0, 1, 3, 50} {
		pngs, err := qrcode.Labels(t.Context(), specs, &qrcode.LabelOptions{Width: 200, Workers: workers})
		require.NoError(t, err)
		for i, b := range pngs {
			assert.Equal(t, specs[i].Content, gozxingDecodePNG(t, b), "workers=%d label %d", workers, i)
		}
	}
	pngs, err := qrcode.Labels(t.Context(), nil, nil)
	require.NoError(t, err)
	assert.Empty(t, pngs)
}

func TestLabelsErrors(t *testing.T) {
	specs := batchSpecs(40)
	specs[17].Content = ""
	_, err := qrcode.Labels(t.Context(), specs, &qrcode.LabelOptions{Width: 200, Workers: 1})
	require.ErrorIs(t, err, qrcode.ErrEmptyContent)
	assert.Contains(t, err.Error(), "item 17")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = qrcode.Labels(ctx, batchSpecs(40), nil)
	assert.ErrorIs(t, err, context.Canceled)

	_, err = qrcode.Labels(t.Context(), specs, &qrcode.LabelOptions{Width: -3})
	assert.ErrorIs(t, err, qrcode.ErrInvalidOption)
}
