package wecomtest_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// batchBodies encodes n add_records bodies of size rows each for the fixture columns 款号 and 库存.
func batchBodies(tb testing.TB, doc, sheet string, n, size int) [][]byte {
	tb.Helper()
	out := make([][]byte, n)
	for i := range out {
		recs := make([]any, size)
		for j := range recs {
			recs[j] = map[string]any{"values": map[string]any{"款号": text(fmt.Sprintf("B-%06d", i*size+j)), "库存": j % 7}}
		}
		data, err := json.Marshal(map[string]any{"docid": doc, "sheet_id": sheet, "records": recs})
		require.NoError(tb, err)
		out[i] = data
	}
	return out
}

// post sends a pre-encoded add_records body and requires errcode 0.
func (c *raw) post(tb testing.TB, tok, endpoint string, body []byte) map[string]any {
	tb.Helper()
	m := c.json("POST", "/cgi-bin/wedoc/smartsheet/"+endpoint, tq(tok), body)
	require.EqualValues(tb, 0, m["errcode"], "%v", m)
	return m
}

// BenchmarkWrite10k adds 10,000 records (20 add_records calls of 500) and reads them back in pages of
// 1,000, over HTTP on a loopback port. "memory" keeps the state in memory only (the floor);
// "state-file" uses WithStateFile, so every acknowledged write is also made durable.
func BenchmarkWrite10k(b *testing.B) {
	for _, mode := range []string{"memory", "state-file"} {
		b.Run(mode, func(b *testing.B) {
			var opts []wecomtest.Option
			if mode == "state-file" {
				opts = append(opts, wecomtest.WithStateFile(filepath.Join(b.TempDir(), "fake.json")))
			}
			srv := newServer(b, opts...)
			c := newRaw(b, srv)
			tok := c.token()
			for range b.N {
				b.StopTimer()
				doc, sheet, _, _ := newDoc(c, tok)
				bodies := batchBodies(b, doc, sheet, 20, 500)
				b.StartTimer()
				for _, body := range bodies {
					c.post(b, tok, "add_records", body)
				}
				for offset := 0; offset < 10000; offset += 1000 {
					m := c.post(b, tok, "get_records", []byte(fmt.Sprintf(`{"docid":%q,"sheet_id":%q,"offset":%d,"limit":1000}`, doc, sheet, offset)))
					require.Len(b, m["records"], 1000)
				}
				b.StopTimer()
				c.ok("POST", "/cgi-bin/wedoc/del_doc", tq(tok), map[string]any{"docid": doc})
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/10k")
		})
	}
}

// BenchmarkLoad50k measures NewHandler on a state holding one sheet of 50,000 records: "snapshot"
// as a clean Close leaves it, "journal" as kill -9 leaves it before any compaction (every change only
// in the journal).
func BenchmarkLoad50k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "fake.json")
	srv := wecomtest.NewServer(wecomtest.WithStateFile(path))
	c := newRaw(b, srv)
	tok := c.token()
	doc, sheet, _, _ := newDoc(c, tok)
	for _, body := range batchBodies(b, doc, sheet, 100, 500) {
		c.post(b, tok, "add_records", body)
	}
	killed := copyState(b, path)
	srv.Close()
	for _, mode := range []string{"snapshot", "journal"} {
		b.Run(mode, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				state := path
				if mode == "journal" {
					state = copyState(b, killed)
				}
				b.StartTimer()
				h, err := wecomtest.NewHandler(wecomtest.WithStateFile(state))
				require.NoError(b, err)
				b.StopTimer()
				n, err := h.RecordCount(doc, sheet)
				require.NoError(b, err)
				require.Equal(b, 50000, n)
				require.NoError(b, h.Close())
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/load")
		})
	}
}
