package wecomtest_test

import (
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFixturesAreJSON keeps the fixture tree loadable for the SDK's httpmock tests.
func TestFixturesAreJSON(t *testing.T) {
	n := 0
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		n++
		var v map[string]any
		assert.NoError(t, json.Unmarshal(fixture(t, strings.TrimPrefix(path, "testdata/")), &v), path)
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, n, 90)
}

// shapeRecorder is a testing.TB that remembers failures, to test assertShape itself.
type shapeRecorder struct {
	testing.TB
	failed bool
}

func (r *shapeRecorder) Errorf(string, ...any) { r.failed = true }
func (r *shapeRecorder) Helper()               {}

func TestAssertShape(t *testing.T) {
	tests := []struct {
		name, fixture, got string
		optional           []string
		fails              bool
	}{
		{"same", `{"a":1,"b":[{"c":"x"}]}`, `{"a":2,"b":[{"c":"y"},{"c":"z"}]}`, nil, false},
		{"missing key", `{"a":1,"b":2}`, `{"a":1}`, nil, true},
		{"optional key", `{"a":1,"b":2}`, `{"a":1}`, []string{"b"}, false},
		{"extra key", `{"a":1}`, `{"a":1,"b":2}`, nil, true},
		{"kind differs", `{"a":"1"}`, `{"a":1}`, nil, true},
		{"nested kind differs", `{"b":[{"c":"x"}]}`, `{"b":[{"c":1}]}`, nil, true},
		{"free-form values", `{"values":{"x":1}}`, `{"values":{"y":"z"}}`, nil, false},
	}
	for _, tt := range tests {
		r := &shapeRecorder{TB: t}
		assertShape(r, []byte(tt.fixture), []byte(tt.got), tt.optional...)
		assert.Equal(t, tt.fails, r.failed, tt.name)
	}
}

// TestConcurrentWrites runs writers and readers at once (run with -race): nothing is lost, ids are
// unique, and ver counts every write.
func TestConcurrentWrites(t *testing.T) {
	_, f := newSheet(t)
	ver0 := f.get(map[string]any{})["ver"].(float64)
	const writers, calls, batch = 6, 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newRaw(t, f.c.srv)
			recs := make([]any, batch)
			for i := range recs {
				recs[i] = map[string]any{"values": map[string]any{"库存": w}}
			}
			for range calls {
				m := c.json("POST", "/cgi-bin/wedoc/smartsheet/add_records", tq(f.tok),
					map[string]any{"docid": f.doc, "sheet_id": f.sheet, "records": recs})
				assert.EqualValues(t, 0, m["errcode"])
				c.json("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(f.tok),
					map[string]any{"docid": f.doc, "sheet_id": f.sheet, "limit": 100})
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	total := 0
	for offset := 0.0; ; {
		m := f.get(map[string]any{"offset": offset})
		for _, id := range recordIDs(m) {
			assert.False(t, seen[id], "duplicate id %s", id)
			seen[id] = true
		}
		total = int(m["total"].(float64))
		if m["has_more"] != true {
			assert.Equal(t, ver0+writers*calls, m["ver"])
			break
		}
		offset = m["next"].(float64)
	}
	assert.Equal(t, writers*calls*batch, total)
	assert.Len(t, seen, total)
}
