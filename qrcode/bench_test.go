package qrcode_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/boombuler/barcode/qr"
	skip2 "github.com/skip2/go-qrcode"

	"github.com/qiwei-go/qiwei/qrcode"
)

// benchURL returns a distinct ~50-character URL per i, so no encoder can hit a cache.
func benchURL(i int) string {
	return fmt.Sprintf("https://shop.example.com/p/BAG-%06d?s=%012x", i, uint64(i)*0x9e3779b97f4a7c15>>16)
}

// BenchmarkPNG compares a 256 px PNG of a 50-character URL from this package with its peer,
// skip2/go-qrcode (encoder and PNG), and with the floor under it: boombuler/barcode's encoder
// alone, which builds the matrix this package renders. qiwei-logo adds a 64×64 logo.
func BenchmarkPNG(b *testing.B) {
	b.Run("qiwei", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := qrcode.PNG(benchURL(i), 256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("skip2", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := skip2.Encode(benchURL(i), skip2.Medium, 256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("boombuler-encode-only", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := qr.Encode(benchURL(i), qr.M, qr.Unicode); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("qiwei-logo", func(b *testing.B) {
		b.ReportAllocs()
		logo := qrcode.WithLogo(badgeLogo(64, 64))
		for i := 0; b.Loop(); i++ {
			if _, err := qrcode.PNGWith(benchURL(i), 256, logo); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLabels renders 64 labels per op with one worker and with GOMAXPROCS workers; on
// two cores the second should take about half the time.
func BenchmarkLabels(b *testing.B) {
	specs := batchSpecs(64)
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			opts := &qrcode.LabelOptions{Workers: workers}
			for b.Loop() {
				if _, err := qrcode.Labels(b.Context(), specs, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(specs)), "ns/label")
		})
	}
}

// BenchmarkSheet1000 writes 1,000 labels (42 A4 pages) into one PDF.
func BenchmarkSheet1000(b *testing.B) {
	specs := batchSpecs(1000)
	qrcode.SystemFont() // font discovery is a one-off cost, not part of a sheet
	for b.Loop() {
		pdf, err := qrcode.Sheet(b.Context(), specs, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(pdf)), "pdf-bytes")
	}
}
