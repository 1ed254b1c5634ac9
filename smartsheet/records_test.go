package smartsheet_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
)

func TestWireAddRecords(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	cs := w.expect("smartsheet/add_records", fixture(t, "add_records/response.json"))
	got, err := w.c.AddRecords(t.Context(), "DOCID", "123Abc", []smartsheet.Record{
		{ID: "ignored", Values: map[string]smartsheet.Value{"字段标题": smartsheet.Text("文本内容")}},
	})
	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "add_records/request.json")), cs.body(0))
	require.Len(t, got, 1)
	assert.Equal(t, "re9IqD", got[0].ID)
	assert.Equal(t, "文本内容", got[0].Values["字段标题"].String())
	assert.Equal(t, smartsheet.FieldText, got[0].Values["字段标题"].Type())
}

func TestWireUpdateRecords(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	cs := w.expect("smartsheet/update_records", fixture(t, "update_records/response.json"))
	got, err := w.c.UpdateRecords(t.Context(), "DOCID", "123Abc", []smartsheet.Record{{ID: "re9IqD",
		Values: map[string]smartsheet.Value{
			"库存": smartsheet.Number(3), "状态": smartsheet.SingleSelectByText("在售"),
			"创建时间": smartsheet.RawValue(smartsheet.FieldCreatedTime, []byte(`"1"`)), // read-only: skipped
			"空":    {},                                                              // absent: skipped
		}}})
	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "update_records/request.json")), cs.body(0))
	require.Len(t, got, 1)
	assert.Equal(t, "re9IqD", got[0].ID)
	assert.Equal(t, "在售", got[0].Values["状态"].String())
	assert.Equal(t, int64(3), got[0].Values["库存"].Int())
}

func TestWireDeleteRecords(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	cs := w.expect("smartsheet/delete_records", okBody)
	require.NoError(t, w.c.DeleteRecords(t.Context(), "DOCID", "123Abc", []string{"re9IqD", "rpS0P9"}))
	assert.JSONEq(t, string(fixture(t, "delete_records/request.json")), cs.body(0))
	require.NoError(t, w.c.DeleteRecords(t.Context(), "DOCID", "123Abc", nil))
	assert.Equal(t, 1, cs.n(), "no ids, no call")
}

func TestWireGetRecords(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	fields := w.expect("smartsheet/get_fields", fixture(t, "get_fields/response.json"))
	recs := w.expect("smartsheet/get_records", fixture(t, "get_records/response.json"))
	page, err := w.c.GetRecords(t.Context(), "DOCID", "123Abc", &smartsheet.Query{
		ViewID: "vCRl8n", RecordIDs: []string{"r5ud8u"}, Fields: []string{"名称", "库存"},
		Sort:  []smartsheet.Sort{{Field: "fStock"}}, // an id is sent as its title
		Limit: 100, Ver: 160,
	})
	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "get_records/request.json")), recs.body(0))
	assert.JSONEq(t, `{"docid":"DOCID","sheet_id":"123Abc","offset":0,"limit":1000}`, fields.body(0))
	assert.Equal(t, int64(160), page.Ver)
	require.Len(t, page.Records, 1)
	r := page.Records[0]
	assert.Equal(t, "r5ud8u", r.ID)
	assert.Equal(t, "NAME", r.CreatorName)
	assert.Equal(t, int64(1715846245084), r.CreatedAt.UnixMilli())
	assert.Equal(t, int64(1715846248810), r.UpdatedAt.UnixMilli())

	v := r.Values
	assert.Equal(t, "托特包详情", v["名称"].String())
	assert.Equal(t, "https://example.com/p/1", v["名称"].Segments()[1].Link)
	assert.Equal(t, int64(2), v["库存"].Int())
	assert.Equal(t, smartsheet.FieldCurrency, v["单价"].Type())
	assert.Equal(t, 1299.5, v["单价"].Float())
	assert.Equal(t, "在售", v["状态"].String())
	assert.Equal(t, "2025-05-14", v["日期"].String(), "midnight Beijing time reads as that day")
	assert.Equal(t, time.Date(2025, 5, 14, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).Unix(), v["日期"].Time().Unix())
	_, off := v["日期"].Time().Zone()
	assert.Equal(t, 8*3600, off)
	assert.True(t, v["上架"].Bool())
	assert.Equal(t, []string{"zhangsan"}, v["负责人"].Strings())
	assert.Equal(t, smartsheet.FieldPhone, v["电话"].Type())
	assert.Equal(t, "13800000000", v["电话"].String())
	// An odd shape keeps its JSON and does not fail the page.
	assert.Equal(t, smartsheet.FieldNumber, v["奇怪"].Type())
	assert.JSONEq(t, `{"unexpected":true}`, string(v["奇怪"].Raw()))
	// A column the cached fields do not know is decoded by shape ...
	assert.Equal(t, "x", v["新列"].String())
	assert.True(t, v["缺"].IsZero())
	assert.Equal(t, "", v["缺"].String())
	assert.Equal(t, 0.0, v["缺"].Float())

	// ... but a cache younger than 2 s is not re-read at once (see TestStaleSchema).
	_, err = w.c.GetRecords(t.Context(), "DOCID", "123Abc", nil)
	require.NoError(t, err)
	assert.Equal(t, 1, fields.n())
	assert.JSONEq(t, `{"docid":"DOCID","sheet_id":"123Abc","key_type":"CELL_VALUE_KEY_TYPE_FIELD_TITLE","offset":0,"limit":1000}`,
		recs.body(1))
}

func TestWireGetRecordsByFieldID(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	w.expect("smartsheet/get_fields", fixture(t, "get_fields/response.json"))
	recs := w.expect("smartsheet/get_records", []byte(`{"errcode":0,"errmsg":"ok","total":1,"has_more":false,"next":1,
		"records":[{"record_id":"r1","values":{"fDate0":"1747152000000","fStock":"7"}}]}`))
	page, err := w.c.GetRecords(t.Context(), "DOCID", "123Abc", &smartsheet.Query{KeyByFieldID: true, Fields: []string{"fDate0", "fStock"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"docid":"DOCID","sheet_id":"123Abc","key_type":"CELL_VALUE_KEY_TYPE_FIELD_ID",
		"field_ids":["fDate0","fStock"],"offset":0,"limit":1000}`, recs.body(0))
	assert.Equal(t, smartsheet.FieldDateTime, page.Records[0].Values["fDate0"].Type())
	assert.Equal(t, 7.0, page.Records[0].Values["fStock"].Float(), "a numeric string in a number column")
}

// echoAdd answers add_records like WeCom: one record id per record, values echoed.
func echoAdd(next *atomic.Int64) func(int, []byte) (int, []byte) {
	return func(_ int, body []byte) (int, []byte) {
		var req struct {
			Records []struct {
				Values map[string]json.RawMessage `json:"values"`
			} `json:"records"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return 400, nil
		}
		type rec struct {
			RecordID string                     `json:"record_id"`
			Values   map[string]json.RawMessage `json:"values"`
		}
		out := struct {
			Errcode int   `json:"errcode"`
			Records []rec `json:"records"`
		}{}
		for _, r := range req.Records {
			out.Records = append(out.Records, rec{fmt.Sprintf("r%d", next.Add(1)), r.Values})
		}
		b, _ := json.Marshal(out)
		return 200, b
	}
}

func rows(n int) []smartsheet.Record {
	recs := make([]smartsheet.Record, n)
	for i := range recs {
		recs[i] = smartsheet.Record{Values: map[string]smartsheet.Value{
			"编号": smartsheet.Text(fmt.Sprintf("P%05d", i)), "库存": smartsheet.Number(float64(i % 7))}}
	}
	return recs
}

func TestAddRecordsBatches(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	var ids atomic.Int64
	cs := w.expectFunc("smartsheet/add_records", echoAdd(&ids))
	got, err := w.c.AddRecords(t.Context(), "DOCID", "S", rows(1234))
	require.NoError(t, err)
	require.Equal(t, 3, cs.n())
	for i, want := range []int{500, 500, 234} {
		var body struct{ Records []json.RawMessage }
		require.NoError(t, json.Unmarshal([]byte(cs.body(i)), &body))
		assert.Len(t, body.Records, want)
	}
	require.Len(t, got, 1234)
	for i, r := range got {
		require.Equal(t, fmt.Sprintf("r%d", i+1), r.ID, "results are in input order")
		require.Equal(t, fmt.Sprintf("P%05d", i), r.Values["编号"].String())
	}
	_, err = w.c.AddRecords(t.Context(), "DOCID", "S", nil)
	require.NoError(t, err)
	assert.Equal(t, 3, cs.n(), "no rows, no call")
}

func TestAddRecordsBatchError(t *testing.T) {
	tests := []struct {
		name        string
		failure     string
		wantUnknown []smartsheet.Range
	}{
		{"ambiguous failure (-1)", "errcode/-1.json", []smartsheet.Range{{From: 500, To: 1000}}},
		{"rejected (40058)", "errcode/40058.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWire(t)
			var ids atomic.Int64
			ok := echoAdd(&ids)
			fail := fixture(t, tt.failure)
			cs := w.expectFunc("smartsheet/add_records", func(i int, body []byte) (int, []byte) {
				if i == 1 {
					return 200, fail
				}
				return ok(i, body)
			})
			got, err := w.c.AddRecords(t.Context(), "DOCID", "S", rows(1500))
			assert.Nil(t, got)
			var be *smartsheet.BatchError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, 2, cs.n(), "no batch after the failed one")
			assert.Equal(t, "add_records", be.Op)
			assert.Equal(t, 1500, be.Total)
			assert.Equal(t, []smartsheet.Range{{From: 0, To: 500}}, be.Applied)
			assert.Equal(t, smartsheet.Range{From: 500, To: 1000}, be.Failed)
			assert.Equal(t, tt.wantUnknown, be.Unknown)
			assert.Equal(t, tt.wantUnknown != nil, smartsheet.MayHaveApplied(err))
			require.Len(t, be.Done, 500)
			assert.Equal(t, "r500", be.Done[499].ID)
			assert.Equal(t, wecom.ErrorCode(fixtureErr(t, tt.failure)), wecom.ErrorCode(err))
			assert.Contains(t, err.Error(), "rows [500,1000) of 1500 failed")
		})
	}
}

func fixtureErr(t *testing.T, path string) error {
	var e struct {
		Errcode int `json:"errcode"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, path), &e))
	return wecom.ErrCode(e.Errcode)
}

func TestAddRecordsConcurrency(t *testing.T) {
	t.Parallel()
	w := newWire(t, smartsheet.WithConcurrency(3), smartsheet.WithBatchSize(100))
	var ids atomic.Int64
	ok := echoAdd(&ids)
	var mu sync.Mutex
	inFlight, peak := 0, 0
	// No call answers before 3 calls are in flight at once, so the test sees the overlap without
	// depending on timing. Without concurrency the first call would wait for company that never
	// comes, until the guard below gives up.
	full := make(chan struct{})
	var fullOnce sync.Once
	cs := w.expectFunc("smartsheet/add_records", func(i int, body []byte) (int, []byte) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		if inFlight == 3 {
			fullOnce.Do(func() { close(full) })
		}
		mu.Unlock()
		select {
		case <-full:
		case <-time.After(time.Minute): // deadlock guard: the peak assertion below fails
			fullOnce.Do(func() { close(full) })
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return ok(i, body)
	})
	got, err := w.c.AddRecords(t.Context(), "DOCID", "S", rows(1000))
	require.NoError(t, err)
	assert.Equal(t, 10, cs.n())
	assert.Equal(t, 3, peak, "three batches at once, never more")
	for i, r := range got {
		require.Equal(t, fmt.Sprintf("P%05d", i), r.Values["编号"].String(), "results are in input order")
	}
}

func TestRecordsPaging(t *testing.T) {
	const total = 2500
	pages := func(i int, body []byte) (int, []byte) {
		var req struct{ Offset, Limit int }
		_ = json.Unmarshal(body, &req)
		hi := min(req.Offset+req.Limit, total)
		type rec struct {
			ID     string         `json:"record_id"`
			Values map[string]any `json:"values"`
		}
		var recs []rec
		for j := req.Offset; j < hi; j++ {
			recs = append(recs, rec{fmt.Sprintf("r%d", j), map[string]any{"库存": j}})
		}
		b, _ := json.Marshal(map[string]any{"errcode": 0, "total": total, "has_more": hi < total, "next": hi, "records": recs})
		return 200, b
	}
	tests := []struct {
		name      string
		q         *smartsheet.Query
		stopAfter int
		wantCalls int
		wantRecs  int
	}{
		{"all, pages of 1000", nil, -1, 3, total},
		{"pages of 700 from 100", &smartsheet.Query{Offset: 100, Limit: 700}, -1, 4, total - 100},
		{"break after the first record", nil, 1, 1, 1},
		{"break on the second page", nil, 1001, 2, 1001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWire(t)
			w.expect("smartsheet/get_fields", fixture(t, "get_fields/response.json"))
			cs := w.expectFunc("smartsheet/get_records", pages)
			n, off := 0, 0
			if tt.q != nil {
				off = tt.q.Offset
			}
			for rec, err := range w.c.Records(t.Context(), "DOCID", "S", tt.q) {
				require.NoError(t, err)
				require.Equal(t, int64(n+off), rec.Values["库存"].Int())
				if n++; n == tt.stopAfter {
					break
				}
			}
			assert.Equal(t, tt.wantRecs, n)
			assert.Equal(t, tt.wantCalls, cs.n())
		})
	}
}

func TestRecordsError(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	w.expect("smartsheet/get_fields", fixture(t, "get_fields/response.json"))
	w.expect("smartsheet/get_records", fixture(t, "errcode/40058.json"))
	n := 0
	var last error
	for _, err := range w.c.Records(t.Context(), "DOCID", "S", nil) {
		n++
		last = err
	}
	assert.Equal(t, 1, n)
	assert.True(t, errors.Is(last, wecom.ErrCode(40058)))
}
