package imports

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
)

// A job stopped part-way (a restart) resumes where its last committed chunk ended: every row is
// registered once and the counters add up.
func TestJobResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		svc := shop.NewService(st, shop.Options{})
		var csv strings.Builder
		csv.WriteString("名称,售价,成本,库存\n")
		for i := range 25 {
			price := fmt.Sprint(100 + i)
			if i == 7 {
				price = "x" // a bad row
			}
			fmt.Fprintf(&csv, "包%d,%s,50,2\n", i, price)
		}
		staff := shop.Actor{UserID: "lisi"}
		j, err := Submit(t.Context(), st, svc, staff, "bags.csv", []byte(csv.String()), Options{})
		require.NoError(t, err)
		assert.Equal(t, 25, j.Total)

		ctx, cancel := context.WithCancel(t.Context())
		first := NewRunner(st, svc, "a", nil)
		first.chunk = 10
		first.afterChunk = cancel // stop after the first chunk
		require.Error(t, first.RunOnce(ctx))
		mid, err := st.Job(t.Context(), j.ID)
		require.NoError(t, err)
		assert.Equal(t, store.JobRunning, mid.State)
		assert.Equal(t, 10, mid.Done)
		require.NoError(t, st.ReleaseLease(t.Context(), "import", "a"))

		second := NewRunner(st, svc, "b", nil)
		second.chunk = 10
		require.NoError(t, second.RunOnce(t.Context()))
		done, err := st.Job(t.Context(), j.ID)
		require.NoError(t, err)
		assert.Equal(t, store.JobDone, done.State)
		assert.Equal(t, 25, done.Done)
		assert.Equal(t, 24, done.Created)
		assert.Equal(t, 1, done.Failed)
		n, err := st.ProductCount(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 24, n)
		ps, _, err := svc.Search(t.Context(), shop.Query{Text: "包3"})
		require.NoError(t, err)
		require.NotEmpty(t, ps)
		assert.Zero(t, ps[0].Cost, "only managers record cost")

		// The same file again: nothing new, every row skipped.
		again, err := Submit(t.Context(), st, svc, staff, "bags.csv", []byte(csv.String()), Options{})
		require.NoError(t, err)
		require.NoError(t, second.RunOnce(t.Context()))
		got, err := st.Job(t.Context(), again.ID)
		require.NoError(t, err)
		assert.Equal(t, 24, got.Skipped)
		assert.Zero(t, got.Created)
		n, err = st.ProductCount(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 24, n)
	})
}

func TestParseRefusesBadFiles(t *testing.T) {
	for name, data := range map[string]string{"a.txt": "x", "a.csv": "名称\n包\n", "b.csv": "\xff\xfe", "c.csv": "名称,售价\n"} {
		_, err := Parse(name, []byte(data))
		var pe *ParseError
		assert.ErrorAs(t, err, &pe, name)
	}
}
