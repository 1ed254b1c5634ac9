package shop_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	. "github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// A scan is counted at once but written with the next flush, all kept scans in one transaction;
// the loop's last flush happens when it stops.
func TestScansAreWrittenInBatches(t *testing.T) {
	eachAt(t, func(t *testing.T, s *Service, st *store.Store, c *clock) {
		ctx := t.Context()
		p := register(t, s, 1)
		for range 3 {
			require.NoError(t, s.RecordScan(ctx, staff, p.Code, ScanLabel))
		}
		stored, _, err := st.Scans(ctx, p.Code, 10)
		require.NoError(t, err)
		assert.Zero(t, stored, "nothing written before the flush")
		n, last, err := s.Scans(ctx, p.Code, 2)
		require.NoError(t, err)
		assert.Equal(t, 3, n, "kept scans count at once")
		assert.Len(t, last, 2)

		require.NoError(t, s.FlushScans(ctx))
		stored, _, err = st.Scans(ctx, p.Code, 10)
		require.NoError(t, err)
		assert.Equal(t, 3, stored)
		n, _, err = s.Scans(ctx, p.Code, 10)
		require.NoError(t, err)
		assert.Equal(t, 3, n, "counted once after the flush")

		// The loop flushes what is kept when it stops.
		require.NoError(t, s.RecordScan(ctx, manager, p.Code, ScanSearch))
		loop, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { s.RunScanLog(loop, ScanFlushEvery); close(done) }()
		stop()
		<-done
		stored, last, err = st.Scans(ctx, p.Code, 10)
		require.NoError(t, err)
		assert.Equal(t, 4, stored)
		assert.Equal(t, ScanSearch, last[0].Source, "newest first")
	})
}

// A failed flush keeps the scans for the next one.
func TestFailedScanFlushKeepsScans(t *testing.T) {
	eachAt(t, func(t *testing.T, s *Service, st *store.Store, c *clock) {
		ctx := t.Context()
		p := register(t, s, 1)
		require.NoError(t, s.RecordScan(ctx, staff, p.Code, ScanLabel))
		dead, cancel := context.WithCancel(ctx)
		cancel()
		require.Error(t, s.FlushScans(dead))
		n, _, err := s.Scans(ctx, p.Code, 10)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		require.NoError(t, s.FlushScans(ctx))
		stored, _, err := st.Scans(ctx, p.Code, 10)
		require.NoError(t, err)
		assert.Equal(t, 1, stored)
	})
}
