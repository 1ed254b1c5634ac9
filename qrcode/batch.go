package qrcode

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Labels renders many labels as PNGs in parallel, with at most opts.Workers (default
// GOMAXPROCS) goroutines. The result has one PNG per spec, in order. The first failure, or
// ctx being cancelled, stops the batch; the error names the failing spec's index.
func Labels(ctx context.Context, specs []LabelSpec, opts *LabelOptions) ([][]byte, error) {
	var o LabelOptions
	if opts != nil {
		o = *opts
	}
	cfg, err := newConfig(o.QR)
	if err != nil {
		return nil, err
	}
	// One geometry for the batch, so that its labels look alike: a line any label has is laid out
	// on all of them.
	var shape LabelSpec
	for _, sp := range specs {
		if sp.Shop != "" {
			shape.Shop = "x"
		}
		if sp.Price != "" {
			shape.Price = "x"
		}
	}
	g, err := newLabelGeometry(o.Width, o.Height, shape, o.Landscape)
	if err != nil {
		return nil, err
	}
	f := o.Font
	if f == nil {
		f = SystemFont() // look the font up once, before the workers start
	}
	out := make([][]byte, len(specs))
	err = parallel(ctx, len(specs), o.Workers, func(i int) error {
		code, err := encode(specs[i].Content, cfg)
		if err != nil {
			return err
		}
		img, err := renderLabel(code, specs[i], g, f)
		if err != nil {
			return err
		}
		var buf bytesBuffer
		if err := pngEncoder.Encode(&buf, img); err != nil {
			return err
		}
		out[i] = buf.b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// bytesBuffer is a minimal io.Writer that keeps its slice (no bytes.Buffer copy needed).
type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// parallel runs fn(0..n-1) on at most workers goroutines (0: GOMAXPROCS). It returns the
// error of the lowest failing index seen, wrapped with that index, or ctx.Err().
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	var (
		next     atomic.Int64
		stop     atomic.Bool
		mu       sync.Mutex
		firstErr error
		firstIdx = n
		wg       sync.WaitGroup
	)
	fail := func(i int, err error) {
		mu.Lock()
		if i < firstIdx {
			firstIdx, firstErr = i, err
		}
		mu.Unlock()
		stop.Store(true)
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(i, err)
					return
				}
				if err := fn(i); err != nil {
					fail(i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		if ctx.Err() != nil && firstErr == ctx.Err() {
			return firstErr
		}
		return fmt.Errorf("qrcode: item %d: %w", firstIdx, firstErr)
	}
	return nil
}
