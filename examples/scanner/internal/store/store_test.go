package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
)

func TestParseDSN(t *testing.T) {
	d, w, r, err := store.ParseDSN("./data/scanner.db")
	require.NoError(t, err)
	assert.Equal(t, store.SQLite, d)
	assert.Contains(t, w, "_txlock=immediate")
	assert.Contains(t, r, "query_only(1)")
	d, w, _, err = store.ParseDSN("postgres://u:p@db:5432/shop?sslmode=disable")
	require.NoError(t, err)
	assert.Equal(t, store.Postgres, d)
	assert.Equal(t, "postgres://u:p@db:5432/shop?sslmode=disable", w)
	for _, bad := range []string{"", "mysql://x/y", "a.db?x=1"} {
		_, _, _, err := store.ParseDSN(bad)
		assert.Error(t, err, bad)
	}
}

// Opening a store twice applies nothing twice; replicas opening a new PostgreSQL database together
// agree (SQLite has one process).
func TestMigrations(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			var wg sync.WaitGroup
			errs := make([]error, 3)
			if d == store.SQLite {
				errs = errs[:1]
			}
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := store.Open(context.Background(), dsn)
					if err == nil {
						_ = s.Close()
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			s, err := store.Open(t.Context(), dsn)
			require.NoError(t, err)
			defer s.Close()
			v, err := s.SchemaVersion(t.Context())
			require.NoError(t, err)
			assert.Equal(t, 3, v)
		})
	}
}

func TestOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		now := time.Now()
		require.NoError(t, s.WriteTx(ctx, func(tx *store.Tx) error {
			for _, e := range []string{"A", "B", "A"} {
				if err := tx.Enqueue(ctx, store.TopicProducts, e); err != nil {
					return err
				}
			}
			return tx.EnqueueFull(ctx, store.TopicLedger, "L1")
		}))
		items, err := s.Outbox(ctx, store.TopicProducts, now.Add(time.Second), 10)
		require.NoError(t, err)
		require.Len(t, items, 3)
		assert.Equal(t, "A", items[0].Entity)
		assert.Less(t, items[0].Seq, items[1].Seq)
		st, err := s.OutboxStats(ctx)
		require.NoError(t, err)
		assert.Equal(t, 4, st.Pending)
		n, _, err := s.Due(ctx, store.TopicProducts, now.Add(time.Second), 2)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "counts at most the limit")

		// A failed delivery waits for its back-off and is listed with its error.
		next := now.Add(time.Hour)
		require.NoError(t, s.WriteTx(ctx, func(tx *store.Tx) error {
			return tx.OutboxRetry(ctx, []int64{items[0].Seq, items[2].Seq}, next, "wecom: errcode 45009 接口调用超过限制")
		}))
		due, err := s.Outbox(ctx, store.TopicProducts, now.Add(time.Second), 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, "B", due[0].Entity)
		failing, err := s.Failing(ctx, 10)
		require.NoError(t, err)
		require.Len(t, failing, 2)
		assert.Equal(t, 1, failing[0].Attempts)
		assert.Contains(t, failing[0].LastError, "45009")
		require.NoError(t, s.RetryNow(ctx))
		due, err = s.Outbox(ctx, store.TopicProducts, now.Add(time.Second), 10)
		require.NoError(t, err)
		assert.Len(t, due, 3)

		require.NoError(t, s.WriteTx(ctx, func(tx *store.Tx) error {
			return tx.OutboxDone(ctx, []int64{items[0].Seq, items[1].Seq, items[2].Seq})
		}))
		st, err = s.OutboxStats(ctx, store.SheetTopics...)
		require.NoError(t, err)
		assert.Equal(t, 1, st.Pending)
		l, err := s.Outbox(ctx, store.TopicLedger, now.Add(time.Second), 10)
		require.NoError(t, err)
		require.Len(t, l, 1)
		assert.True(t, l[0].Full)
	})
}

func TestLeases(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			var mu sync.Mutex
			clock := time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC)
			s := storetest.Open(t, d, store.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }))
			ctx := t.Context()
			held, err := s.Lease(ctx, "sync:products", "a", time.Minute)
			require.NoError(t, err)
			assert.True(t, held)
			held, err = s.Lease(ctx, "sync:products", "b", time.Minute)
			require.NoError(t, err)
			assert.False(t, held, "held by a")
			held, err = s.Lease(ctx, "sync:products", "a", time.Minute)
			require.NoError(t, err)
			assert.True(t, held, "a renews")
			mu.Lock()
			clock = clock.Add(61 * time.Second)
			mu.Unlock()
			held, err = s.Lease(ctx, "sync:products", "b", time.Minute)
			require.NoError(t, err)
			assert.True(t, held, "a stopped renewing: b takes over")
			require.NoError(t, s.ReleaseLease(ctx, "sync:products", "a"), "a cannot release b's lease")
			held, err = s.Lease(ctx, "sync:products", "a", time.Minute)
			require.NoError(t, err)
			assert.False(t, held)
			require.NoError(t, s.ReleaseLease(ctx, "sync:products", "b"))
			held, err = s.Lease(ctx, "sync:products", "a", time.Minute)
			require.NoError(t, err)
			assert.True(t, held)
		})
	}
}

func TestSheetRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		require.NoError(t, s.WriteTx(ctx, func(tx *store.Tx) error {
			if err := tx.SaveSheet(ctx, store.Sheet{Name: "ledger:2026:1", SheetID: "s1", Title: "库存流水2026"}); err != nil {
				return err
			}
			for i := range 3 {
				if err := tx.SaveSheetRow(ctx, store.SheetRow{Topic: store.TopicLedger, Entity: fmt.Sprint("L", i),
					Sheet: "ledger:2026:1", RecordID: fmt.Sprint("r", i)}); err != nil {
					return err
				}
			}
			if err := tx.SaveSheetRow(ctx, store.SheetRow{Topic: store.TopicLedger, Entity: "L9", Sheet: "ledger:2026:1", Maybe: true}); err != nil {
				return err
			}
			return tx.AddSheetRows(ctx, "ledger:2026:1", 3)
		}))
		rows, err := s.SheetRows(ctx, store.TopicLedger, []string{"L1", "L9", "nope"})
		require.NoError(t, err)
		assert.Equal(t, "r1", rows["L1"].RecordID)
		assert.True(t, rows["L9"].Maybe)
		assert.NotContains(t, rows, "nope")
		byRec, err := s.SheetRowsByRecord(ctx, []string{"r2"})
		require.NoError(t, err)
		assert.Equal(t, "L2", byRec["r2"].Entity)
		n, err := s.CountSheetRows(ctx, "ledger:2026:1")
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		shs, err := s.Sheets(ctx)
		require.NoError(t, err)
		require.Len(t, shs, 1)
		assert.Equal(t, 3, shs[0].RowCount)

		// The sub-sheet is gone from the document: every row it held is queued again, in full.
		require.NoError(t, s.WriteTx(ctx, func(tx *store.Tx) error { return tx.ForgetSheet(ctx, "ledger:2026:1") }))
		items, err := s.Outbox(ctx, store.TopicLedger, time.Now().Add(time.Second), 10)
		require.NoError(t, err)
		assert.Len(t, items, 4)
		for _, it := range items {
			assert.True(t, it.Full)
		}
		rows, err = s.SheetRows(ctx, store.TopicLedger, []string{"L1"})
		require.NoError(t, err)
		assert.Empty(t, rows)

		require.NoError(t, s.Set(ctx, "doc", "d1"))
		v, err := s.Get(ctx, "doc")
		require.NoError(t, err)
		assert.Equal(t, "d1", v)
		v, err = s.Get(ctx, "nothing")
		require.NoError(t, err)
		assert.Empty(t, v)
	})
}

// Two replicas edit one member's draft at once: both edits land (the row is locked in turn).
func TestDrafts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.EditDraft(context.Background(), "lisi", func(data []byte, _ time.Time) ([]byte, error) {
					var photos []string
					if data != nil {
						if err := json.Unmarshal(data, &photos); err != nil {
							return nil, err
						}
					}
					return json.Marshal(append(photos, fmt.Sprint("M", i)))
				})
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		var got []string
		require.NoError(t, s.EditDraft(ctx, "lisi", func(data []byte, updated time.Time) ([]byte, error) {
			assert.False(t, updated.IsZero())
			return nil, json.Unmarshal(data, &got)
		}))
		assert.Len(t, got, 10)
		require.NoError(t, s.EditDraft(ctx, "lisi", func(data []byte, _ time.Time) ([]byte, error) {
			assert.Nil(t, data, "returning nil removed the draft")
			return nil, nil
		}))

		require.NoError(t, s.PutChatImage(ctx, "img", []byte("jpeg"), time.Minute))
		img, err := s.ChatImage(ctx, "img", time.Minute)
		require.NoError(t, err)
		assert.Equal(t, []byte("jpeg"), img)
		img, err = s.ChatImage(ctx, "other", time.Minute)
		require.NoError(t, err)
		assert.Nil(t, img)
	})
}

func TestJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		j := &store.Job{ID: "j1", FileName: "bags.csv", Actor: "zhangsan", Manager: true, Total: 3}
		require.NoError(t, s.CreateJob(ctx, j, []byte(`[1,2,3]`)))
		next, err := s.NextJob(ctx)
		require.NoError(t, err)
		assert.Equal(t, "j1", next.ID)
		assert.Equal(t, store.JobQueued, next.State)
		rows, err := s.JobRows(ctx, "j1")
		require.NoError(t, err)
		assert.JSONEq(t, `[1,2,3]`, string(rows))
		j.State, j.Done, j.Created, j.Results = store.JobDone, 3, 3, `[{"row":2}]`
		require.NoError(t, s.WriteTx(ctx, func(tx *store.Tx) error { return tx.SaveJobProgress(ctx, j) }))
		got, err := s.Job(ctx, "j1")
		require.NoError(t, err)
		assert.Equal(t, 3, got.Created)
		assert.Equal(t, `[{"row":2}]`, got.Results)
		_, err = s.NextJob(ctx)
		assert.ErrorIs(t, err, shop.ErrNotFound)
		_, err = s.Job(ctx, "nope")
		assert.ErrorIs(t, err, shop.ErrNotFound)
		recent, err := s.RecentJobs(ctx, 5)
		require.NoError(t, err)
		assert.Len(t, recent, 1)
	})
}

func TestBulkLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		at := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
		var ps []shop.Product
		var ms []shop.Movement
		var sales []shop.Sale
		for i := range 1200 {
			code := fmt.Sprintf("B%05d", i)
			ps = append(ps, shop.Product{Code: code, Name: "包", Price: 100, Stock: 1, Status: shop.StatusOnSale, CreatedAt: at, UpdatedAt: at})
			ms = append(ms, shop.Movement{ID: "o" + code, Code: code, Kind: shop.MoveRegister, Qty: 2, Balance: 2, At: at},
				shop.Movement{ID: "s" + code, Code: code, Kind: shop.MoveSell, Qty: -1, Balance: 1, At: at.Add(time.Hour)})
			sales = append(sales, shop.Sale{ID: "s" + code, Code: code, Name: "包", Price: 100, At: at.Add(time.Hour)})
		}
		require.NoError(t, s.BulkLoad(ctx, ps, ms, sales))
		n, err := s.ProductCount(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1200, n)
		bad, err := s.LedgerMismatches(ctx)
		require.NoError(t, err)
		assert.Empty(t, bad)
		got, err := s.Movements(ctx, "B00007", 10)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, shop.MoveSell, got[0].Kind, "newest first by sequence number")
		st, err := s.OutboxStats(ctx, store.SheetTopics...)
		require.NoError(t, err)
		assert.Equal(t, 1200*4, st.Pending, "every row queued for the sheet")
	})
}
