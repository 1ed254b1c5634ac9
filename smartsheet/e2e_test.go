package smartsheet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

const (
	epAdd     = "POST /cgi-bin/wedoc/smartsheet/add_records"
	epGet     = "POST /cgi-bin/wedoc/smartsheet/get_records"
	epUpdate  = "POST /cgi-bin/wedoc/smartsheet/update_records"
	epFields  = "POST /cgi-bin/wedoc/smartsheet/get_fields"
	epAddFlds = "POST /cgi-bin/wedoc/smartsheet/add_fields"
)

// fake is a smart sheet on a wecomtest server.
type fake struct {
	srv     *wecomtest.Server
	wc      *wecom.Client
	c       *smartsheet.Client
	docID   string
	sheetID string
}

func newFake(t testing.TB, srvOpts []wecomtest.Option, opts ...smartsheet.Option) *fake {
	t.Helper()
	srv := wecomtest.NewServer(append([]wecomtest.Option{wecomtest.WithSeed(1)}, srvOpts...)...)
	t.Cleanup(srv.Close)
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(srv.URL), wecom.WithRetry(wecom.RetryPolicy{Attempts: 10, Base: time.Millisecond}))
	require.NoError(t, err)
	c := smartsheet.New(wc, opts...)
	require.NoError(t, c.Err())
	ctx := context.Background()
	doc, err := c.CreateDoc(ctx, &smartsheet.CreateDocRequest{Name: "库存", AdminUsers: []string{wecomtest.DefaultUserID}})
	require.NoError(t, err)
	sheets, err := c.Sheets(ctx, doc.ID, nil)
	require.NoError(t, err)
	require.Len(t, sheets, 1)
	return &fake{srv: srv, wc: wc, c: c, docID: doc.ID, sheetID: sheets[0].ID}
}

func (f *fake) addFields(t testing.TB, fields ...smartsheet.Field) {
	t.Helper()
	_, err := f.c.AddFields(context.Background(), f.docID, f.sheetID, fields...)
	require.NoError(t, err)
}

func importRows(n int) []smartsheet.Record {
	recs := make([]smartsheet.Record, n)
	for i := range recs {
		recs[i] = smartsheet.Record{Values: map[string]smartsheet.Value{
			"编号": smartsheet.Text(fmt.Sprintf("P%05d", i)), "库存": smartsheet.Number(float64(i % 10))}}
	}
	return recs
}

// TestImportRead10k: 10,000 rows go in with exactly 20 add_records calls and come back with exactly 10
// get_records calls (the fewest the API allows).
func TestImportRead10k(t *testing.T) {
	f := newFake(t, nil)
	f.addFields(t, smartsheet.Field{Title: "编号", Type: smartsheet.FieldText},
		smartsheet.Field{Title: "库存", Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{}})
	ctx := t.Context()
	f.srv.ResetCalls()

	start := time.Now()
	added, err := f.c.AddRecords(ctx, f.docID, f.sheetID, importRows(10000))
	require.NoError(t, err)
	t.Logf("import of 10,000 rows: %v", time.Since(start))
	require.Len(t, added, 10000)
	assert.Equal(t, 20, f.srv.Calls(epAdd))
	n, err := f.srv.RecordCount(f.docID, f.sheetID)
	require.NoError(t, err)
	assert.Equal(t, 10000, n)

	start = time.Now()
	seen := map[string]bool{}
	i := 0
	for rec, err := range f.c.Records(ctx, f.docID, f.sheetID, nil) {
		require.NoError(t, err)
		code := rec.Values["编号"].String()
		require.False(t, seen[code])
		seen[code] = true
		require.Equal(t, added[i].ID, rec.ID)
		require.Equal(t, int64(i%10), rec.Values["库存"].Int())
		i++
	}
	t.Logf("read of 10,000 rows: %v", time.Since(start))
	assert.Len(t, seen, 10000)
	assert.Equal(t, 10, f.srv.Calls(epGet))
	assert.Equal(t, 1, f.srv.Calls(epFields), "the columns are read once")
}

// TestImportLatency logs the import time against the budget 1.3 × 20 × 30 ms with 30 ms injected
// latency per call. It asserts nothing about time (see BenchmarkImport10k for figures).
func TestImportLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: 20 calls with 30 ms latency")
	}
	f := newFake(t, []wecomtest.Option{wecomtest.WithLatency(30 * time.Millisecond)})
	f.addFields(t, smartsheet.Field{Title: "编号", Type: smartsheet.FieldText},
		smartsheet.Field{Title: "库存", Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{}})
	recs := importRows(10000)
	start := time.Now()
	_, err := f.c.AddRecords(t.Context(), f.docID, f.sheetID, recs)
	require.NoError(t, err)
	took := time.Since(start)
	t.Logf("import of 10,000 rows, sequential, 30 ms latency: %v (budget %v, floor %v)",
		took, 1300*20*30*time.Microsecond, 20*30*time.Millisecond)
}

// BenchmarkImport10k imports 10,000 rows with AddRecords ("client") and, as a floor, posts the same
// 20 add_records bodies, encoded beforehand, straight through wecom.Client.Do ("floor"): the
// difference is the smartsheet package's own cost.
func BenchmarkImport10k(b *testing.B) {
	for _, lat := range []time.Duration{0, 30 * time.Millisecond} {
		f := newFake(b, []wecomtest.Option{wecomtest.WithLatency(lat)})
		recs := importRows(10000)
		ctx := context.Background()
		newSheet := func(b *testing.B) string {
			sheet, err := f.c.AddSheet(ctx, f.docID, nil)
			require.NoError(b, err)
			_, err = f.c.AddFields(ctx, f.docID, sheet.ID, smartsheet.Field{Title: "编号", Type: smartsheet.FieldText},
				smartsheet.Field{Title: "库存", Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{}})
			require.NoError(b, err)
			return sheet.ID
		}
		for _, mode := range []string{"client", "floor"} {
			b.Run(fmt.Sprintf("latency=%v/%s", lat, mode), func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					sheetID := newSheet(b)
					var bodies [][]byte
					if mode == "floor" {
						bodies = rawBatches(b, f.docID, sheetID, recs)
					}
					b.StartTimer()
					if mode == "client" {
						_, err := f.c.AddRecords(ctx, f.docID, sheetID, recs)
						require.NoError(b, err)
					} else {
						for _, body := range bodies {
							err := f.wc.Do(ctx, &wecom.Request{Method: "POST", Path: "/cgi-bin/wedoc/smartsheet/add_records",
								Body: wecom.RawBody{ContentType: "application/json", Data: body}}, nil)
							require.NoError(b, err)
						}
					}
					b.StopTimer()
					require.NoError(b, f.c.DeleteSheet(ctx, f.docID, sheetID))
					b.StartTimer()
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/import")
			})
		}
	}
}

// rawBatches encodes add_records bodies of 500 rows with encoding/json.
func rawBatches(b *testing.B, docID, sheetID string, recs []smartsheet.Record) [][]byte {
	var out [][]byte
	for lo := 0; lo < len(recs); lo += 500 {
		type rec struct {
			Values map[string]smartsheet.Value `json:"values"`
		}
		body := struct {
			DocID   string `json:"docid"`
			SheetID string `json:"sheet_id"`
			KeyType string `json:"key_type"`
			Records []rec  `json:"records"`
		}{docID, sheetID, "CELL_VALUE_KEY_TYPE_FIELD_TITLE", nil}
		for _, r := range recs[lo:min(lo+500, len(recs))] {
			body.Records = append(body.Records, rec{r.Values})
		}
		data, err := json.Marshal(body)
		require.NoError(b, err)
		out = append(out, data)
	}
	return out
}

// Bag is the inventory row of the end-to-end tests.
type Bag struct {
	ID      string    `smartsheet:"-,id"`
	Code    string    `smartsheet:"产品编码,key"`
	Name    string    `smartsheet:"名称"`
	Price   float64   `smartsheet:"价格,type=currency"`
	Stock   int       `smartsheet:"库存"`
	State   string    `smartsheet:"状态,type=single_select,options=在售|售罄"`
	Tags    []string  `smartsheet:"标签"`
	Arrived time.Time `smartsheet:"到货,format=date"`
	Online  bool      `smartsheet:"上架"`
	Phone   *string   `smartsheet:"电话,type=phone"`
	Owner   []string  `smartsheet:"负责人,type=user"`
	Changed time.Time `smartsheet:"-,updated"`
	Skip    string    `smartsheet:"-"`
}

// TestUpsertUnderFailures: with 10% of calls failing (502, 503, errcode -1, applied-then-dropped) and
// some add_records applied but timed out, Upsert of 1,000 keyed rows ends with exactly 1,000 records.
func TestUpsertUnderFailures(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			// Batches of 50 make 20 add_records calls per 1,000 rows, so the failures hit writes often.
			f := newFake(t, []wecomtest.Option{wecomtest.WithFailureRate(0, seed)}, smartsheet.WithBatchSize(50),
				smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 10, Base: time.Millisecond, Max: 20 * time.Millisecond,
					RetryLater: true, AttemptTimeout: 300 * time.Millisecond}))
			ctx := t.Context()
			tbl, err := smartsheet.NewTable[Bag](f.c, f.docID, f.sheetID)
			require.NoError(t, err)
			_, err = tbl.EnsureSchema(ctx)
			require.NoError(t, err)

			rows := make([]Bag, 1000)
			for i := range rows {
				rows[i] = Bag{Code: fmt.Sprintf("B%04d", i), Name: "包", Price: 99.5, Stock: i % 5, State: "在售"}
			}
			f.srv.SetFailureRate(0.1)
			// On top of the random failures, one of each kind for add_records.
			for _, fault := range []wecomtest.Fault{wecomtest.AppliedTimeoutFault(), wecomtest.ErrCodeFault(45009),
				wecomtest.AppliedDropFault(), wecomtest.ErrCodeFault(-1), wecomtest.StatusFault(502),
				wecomtest.DropFault(), wecomtest.AppliedTimeoutFault()} {
				require.NoError(t, f.srv.InjectFault(epAdd, 1, fault))
			}
			f.srv.ResetCalls()
			got, err := tbl.Upsert(ctx, rows...)
			require.NoError(t, err)
			t.Logf("calls: %v", f.srv.CallCounts())
			for i, r := range got {
				require.NotEmpty(t, r.ID, "row %d has its record id", i)
			}
			// Again, with new stock and 100 new rows: updates, no duplicates.
			for i := range rows {
				rows[i].Stock = 7
			}
			for i := range 100 {
				rows = append(rows, Bag{Code: fmt.Sprintf("N%04d", i), Name: "新包", Stock: 1})
			}
			require.NoError(t, f.srv.InjectFault(epAdd, 1, wecomtest.AppliedDropFault()))
			_, err = tbl.Upsert(ctx, rows...)
			require.NoError(t, err)

			f.srv.SetFailureRate(0)
			n, err := f.srv.RecordCount(f.docID, f.sheetID)
			require.NoError(t, err)
			assert.Equal(t, 1100, n)
			keys := map[string]int{}
			for b, err := range tbl.All(ctx) {
				require.NoError(t, err)
				keys[b.Code]++
				if b.Code[0] == 'B' {
					require.Equal(t, 7, b.Stock, b.Code)
				}
			}
			assert.Len(t, keys, 1100, "every key once")
			for k, c := range keys {
				require.Equal(t, 1, c, k)
			}
		})
	}
}

// TestTableLifecycle: schema, insert, get, find, update, upsert, delete on the fake.
func TestTableLifecycle(t *testing.T) {
	f := newFake(t, nil)
	ctx := t.Context()
	tbl, err := smartsheet.NewTable[Bag](f.c, f.docID, f.sheetID)
	require.NoError(t, err)

	created, err := tbl.EnsureSchema(ctx)
	require.NoError(t, err)
	require.Len(t, created, 10)
	fields, err := f.c.SheetFields(ctx, f.docID, f.sheetID)
	require.NoError(t, err)
	titles := make([]string, len(fields))
	for i, fl := range fields {
		titles[i] = fl.Title
	}
	assert.NotContains(t, titles, "智能表列", "the default column became the key column")
	assert.Equal(t, "产品编码", titles[0])
	byTitle := map[string]smartsheet.Field{}
	for _, fl := range fields {
		byTitle[fl.Title] = fl
	}
	assert.Equal(t, smartsheet.FieldCurrency, byTitle["价格"].Type)
	assert.Equal(t, smartsheet.CurrencyCNY, byTitle["价格"].Currency.CurrencyType)
	assert.Equal(t, 0, byTitle["库存"].Number.DecimalPlaces)
	assert.Equal(t, []string{"在售", "售罄"}, optionTexts(byTitle["状态"].Options()))
	assert.Equal(t, smartsheet.DateFormatISO, byTitle["到货"].DateTime.Format)
	assert.Equal(t, smartsheet.FieldPhone, byTitle["电话"].Type)

	again, err := tbl.EnsureSchema(ctx)
	require.NoError(t, err)
	assert.Empty(t, again)

	phone := "13800000000"
	arrived := time.Date(2025, 5, 14, 0, 0, 0, 0, cst)
	in, err := tbl.Insert(ctx,
		Bag{Code: "TOTE-1", Name: "托特包", Price: 1299, Stock: 3, State: "在售", Tags: []string{"皮", "大"},
			Arrived: arrived, Online: true, Phone: &phone, Owner: []string{wecomtest.DefaultUserID}, Skip: "x"},
		Bag{Code: "MINI-2", Name: "迷你包", Price: 399.5, Stock: 1, State: "在售"},
		Bag{Code: "OLD-3", Name: "旧款", Stock: 0, State: "售罄"},
	)
	require.NoError(t, err)
	require.Len(t, in, 3)
	require.NotEmpty(t, in[0].ID)

	got, err := tbl.Get(ctx, "TOTE-1")
	require.NoError(t, err)
	assert.Equal(t, in[0].ID, got.ID)
	assert.Equal(t, "托特包", got.Name)
	assert.Equal(t, 1299.0, got.Price)
	assert.Equal(t, 3, got.Stock)
	assert.Equal(t, "在售", got.State)
	assert.ElementsMatch(t, []string{"皮", "大"}, got.Tags)
	assert.True(t, got.Arrived.Equal(arrived))
	assert.True(t, got.Online)
	require.NotNil(t, got.Phone)
	assert.Equal(t, phone, *got.Phone)
	assert.Equal(t, []string{wecomtest.DefaultUserID}, got.Owner)
	assert.False(t, got.Changed.IsZero())
	assert.Empty(t, got.Skip)

	_, err = tbl.Get(ctx, "NOPE")
	assert.ErrorIs(t, err, smartsheet.ErrNotFound)

	var low []string
	for b, err := range tbl.Find(ctx, smartsheet.And(smartsheet.Where("库存", smartsheet.LessThan, 2),
		smartsheet.Where("状态", smartsheet.Is, "在售"))) {
		require.NoError(t, err)
		low = append(low, b.Code)
	}
	assert.Equal(t, []string{"MINI-2"}, low)

	got.Stock, got.Phone = 2, nil
	require.NoError(t, tbl.Update(ctx, got))
	got2, err := tbl.Get(ctx, "TOTE-1")
	require.NoError(t, err)
	assert.Equal(t, 2, got2.Stock)
	assert.Nil(t, got2.Phone, "an empty field clears its cell on update")

	assert.ErrorIs(t, tbl.Update(ctx, Bag{Code: "NOPE"}), smartsheet.ErrNotFound)

	up, err := tbl.Upsert(ctx, Bag{Code: "MINI-2", Name: "迷你包", Stock: 5, State: "在售"}, Bag{Code: "NEW-4", Name: "新款", Stock: 9})
	require.NoError(t, err)
	assert.Equal(t, in[1].ID, up[0].ID)
	n, _ := f.srv.RecordCount(f.docID, f.sheetID)
	assert.Equal(t, 4, n)

	require.NoError(t, tbl.Delete(ctx, Bag{Code: "OLD-3"}, up[1], Bag{Code: "NEVER"}))
	var codes []string
	for b, err := range tbl.All(ctx) {
		require.NoError(t, err)
		codes = append(codes, b.Code)
	}
	slices.Sort(codes)
	assert.Equal(t, []string{"MINI-2", "TOTE-1"}, codes)
}

func optionTexts(opts []smartsheet.SelectOption) []string {
	var out []string
	for _, o := range opts {
		out = append(out, o.Text)
	}
	return out
}

// TestEnsureSchemaMismatch: an existing column of the wrong type is reported, never changed.
func TestEnsureSchemaMismatch(t *testing.T) {
	f := newFake(t, nil)
	f.addFields(t, smartsheet.Field{Title: "库存", Type: smartsheet.FieldText}, smartsheet.Field{Title: "上架", Type: smartsheet.FieldText})
	tbl, err := smartsheet.NewTable[Bag](f.c, f.docID, f.sheetID)
	require.NoError(t, err)
	_, err = tbl.EnsureSchema(t.Context())
	var se *smartsheet.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Error(), `"上架"`)
	assert.NotContains(t, se.Error(), `"库存"`, "an int can live in a text column")
}

// TestDeleteAmbiguous: a delete_records call that was applied but whose answer was lost, and one that
// was dropped before it was applied, still end with exactly the records asked for gone.
func TestDeleteAmbiguous(t *testing.T) {
	f := newFake(t, nil, smartsheet.WithBatchSize(10), smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 5, Base: time.Millisecond, Max: time.Millisecond, RetryLater: true}))
	ctx := t.Context()
	tbl, err := smartsheet.NewTable[Bag](f.c, f.docID, f.sheetID)
	require.NoError(t, err)
	_, err = tbl.EnsureSchema(ctx)
	require.NoError(t, err)
	rows := make([]Bag, 50)
	for i := range rows {
		rows[i] = Bag{Code: fmt.Sprintf("D%02d", i)}
	}
	rows, err = tbl.Insert(ctx, rows...)
	require.NoError(t, err)

	require.NoError(t, f.srv.InjectFault("POST /cgi-bin/wedoc/smartsheet/delete_records", 1, wecomtest.AppliedDropFault()))
	require.NoError(t, f.srv.InjectFault("POST /cgi-bin/wedoc/smartsheet/delete_records", 1, wecomtest.DropFault()))
	require.NoError(t, tbl.Delete(ctx, rows[:35]...))
	n, err := f.srv.RecordCount(f.docID, f.sheetID)
	require.NoError(t, err)
	assert.Equal(t, 15, n)

	// Plain DeleteRecords reports the doubt instead of resolving it.
	require.NoError(t, f.srv.InjectFault("POST /cgi-bin/wedoc/smartsheet/delete_records", 1, wecomtest.AppliedDropFault()))
	err = f.c.DeleteRecords(ctx, f.docID, f.sheetID, []string{rows[40].ID})
	var be *smartsheet.BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []smartsheet.Range{{From: 0, To: 1}}, be.Unknown)
	assert.True(t, smartsheet.MayHaveApplied(err))
}

// TestDocsSheetsViewsE2E runs the document, sub-sheet, view and field calls against the fake.
func TestDocsSheetsViewsE2E(t *testing.T) {
	f := newFake(t, nil)
	ctx := t.Context()
	c := f.c

	info, err := c.DocInfo(ctx, f.docID)
	require.NoError(t, err)
	assert.Equal(t, "库存", info.Name)
	assert.Equal(t, smartsheet.DocTypeSmartsheet, info.Type)
	require.NoError(t, c.RenameDoc(ctx, f.docID, "库存2"))
	share, err := c.ShareURL(ctx, f.docID)
	require.NoError(t, err)
	assert.NotEmpty(t, share)
	require.NoError(t, c.ModDocMembers(ctx, f.docID, &smartsheet.ModDocMembersRequest{
		Update: []smartsheet.DocMember{{UserID: wecomtest.DefaultUserID, Auth: smartsheet.AuthReadWrite}}}))
	img, err := c.UploadImage(ctx, f.docID, tinyPNG)
	require.NoError(t, err)
	assert.Equal(t, 1, img.Width)

	zero := 0
	sheet, err := c.AddSheet(ctx, f.docID, &smartsheet.AddSheetRequest{Title: "明细", Index: &zero})
	require.NoError(t, err)
	require.NoError(t, c.RenameSheet(ctx, f.docID, sheet.ID, "流水"))
	sheets, err := c.Sheets(ctx, f.docID, nil)
	require.NoError(t, err)
	assert.Equal(t, "流水", sheets[0].Title)

	fields, err := c.AddFields(ctx, f.docID, sheet.ID,
		smartsheet.Field{Title: "开始", Type: smartsheet.FieldDateTime, DateTime: &smartsheet.DateTimeProperty{Format: smartsheet.DateFormatISO}},
		smartsheet.Field{Title: "结束", Type: smartsheet.FieldDateTime, DateTime: &smartsheet.DateTimeProperty{Format: smartsheet.DateFormatISO}},
		smartsheet.Field{Title: "数量", Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{}})
	require.NoError(t, err)
	for i := range 3 {
		_, err := c.AddView(ctx, f.docID, sheet.ID, &smartsheet.AddViewRequest{Title: fmt.Sprintf("视图%d", i), Type: smartsheet.ViewGrid})
		require.NoError(t, err)
	}
	gantt, err := c.AddView(ctx, f.docID, sheet.ID, &smartsheet.AddViewRequest{Title: "甘特", Type: smartsheet.ViewGantt,
		Gantt: &smartsheet.DateRange{StartFieldID: fields[0].ID, EndFieldID: fields[1].ID}})
	require.NoError(t, err)
	spec, err := c.ResolveFilter(ctx, f.docID, sheet.ID, smartsheet.Where("数量", smartsheet.GreaterThan, 0))
	require.NoError(t, err)
	_, err = c.UpdateView(ctx, f.docID, sheet.ID, &smartsheet.UpdateViewRequest{ViewID: gantt.ID,
		Property: &smartsheet.ViewProperty{FilterSpec: spec}})
	require.NoError(t, err)
	var titles []string
	for v, err := range c.Views(ctx, f.docID, sheet.ID, &smartsheet.ViewQuery{Limit: 2}) {
		require.NoError(t, err)
		titles = append(titles, v.Title)
	}
	assert.Equal(t, []string{"视图0", "视图1", "视图2", "甘特"}, titles, "add_sheet creates no view of its own")
	require.NoError(t, c.DeleteViews(ctx, f.docID, sheet.ID, gantt.ID))

	// Writes keyed by field id, and the field cache follows field changes.
	recs, err := c.AddRecordsByFieldID(ctx, f.docID, sheet.ID, []smartsheet.Record{{Values: map[string]smartsheet.Value{
		fields[2].ID: smartsheet.Number(3)}}})
	require.NoError(t, err)
	_, err = c.UpdateRecordsByFieldID(ctx, f.docID, sheet.ID, []smartsheet.Record{{ID: recs[0].ID,
		Values: map[string]smartsheet.Value{fields[2].ID: smartsheet.Number(4)}}})
	require.NoError(t, err)
	_, err = c.UpdateFields(ctx, f.docID, sheet.ID, smartsheet.Field{ID: fields[2].ID, Type: smartsheet.FieldNumber, Title: "件数"})
	require.NoError(t, err)
	page, err := c.GetRecords(ctx, f.docID, sheet.ID, nil)
	require.NoError(t, err)
	assert.Equal(t, smartsheet.FieldNumber, page.Records[0].Values["件数"].Type())
	assert.Equal(t, 4.0, page.Records[0].Values["件数"].Float())
	require.NoError(t, c.DeleteFields(ctx, f.docID, sheet.ID, fields[2].ID))
	_, err = c.ResolveFilter(ctx, f.docID, sheet.ID, smartsheet.Where("件数", smartsheet.Is, 4))
	var ufe *smartsheet.UnknownFieldError
	assert.ErrorAs(t, err, &ufe)

	require.NoError(t, c.DeleteSheet(ctx, f.docID, sheet.ID))
	require.NoError(t, c.DeleteDoc(ctx, f.docID))
	_, err = c.DocInfo(ctx, f.docID)
	assert.Equal(t, wecom.ErrCode(640002), wecom.ErrorCode(err))
	assert.False(t, smartsheet.MayHaveApplied(err))
}
