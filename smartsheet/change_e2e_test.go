package smartsheet_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// A member edits the same record twice within one second. WeCom's two smart_sheet_change callbacks
// are byte for byte what one callback and its retry would be; the app's handler must see both, and
// re-reading the record after the second one gives the final value.
func TestTwoEditsInOneSecondBothReachTheHandler(t *testing.T) {
	at := time.Date(2026, 5, 16, 10, 0, 0, 0, time.UTC)
	f := newFake(t, []wecomtest.Option{wecomtest.WithClock(func() time.Time { return at })})
	f.addFields(t, smartsheet.Field{Title: "库存", Type: smartsheet.FieldNumber,
		Number: &smartsheet.NumberProperty{DecimalPlaces: 0}})
	ctx := t.Context()
	recs, err := f.c.AddRecords(ctx, f.docID, f.sheetID, []smartsheet.Record{{Values: map[string]smartsheet.Value{
		"库存": smartsheet.Number(3)}}})
	require.NoError(t, err)
	id := recs[0].ID

	var mu sync.Mutex
	var events []*wecom.Message
	var stock []float64 // what the handler read back, per delivery
	h, err := wecom.NewCallbackHandler(f.wc, wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey,
		func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
			if m.Event != wecom.EventSmartSheetChange {
				return nil, nil
			}
			// The handling these events call for: re-read the records they name.
			var got float64
			for rec, err := range f.c.Records(ctx, m.DocIDs[0], m.SheetID, &smartsheet.Query{RecordIDs: m.RecordIDs}) {
				if err != nil {
					return nil, err
				}
				got = rec.Values["库存"].Float()
			}
			mu.Lock()
			events, stock = append(events, m), append(stock, got)
			mu.Unlock()
			return nil, nil
		})
	require.NoError(t, err)
	app := httptest.NewServer(h)
	t.Cleanup(app.Close)
	require.NoError(t, f.srv.SetAppCallback(wecomtest.DefaultAgentID, wecomtest.CallbackConfig{URL: app.URL,
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey}))

	for _, n := range []float64{2, 1} { // two sales within the same second
		require.NoError(t, f.srv.EditRecordsAsMember(ctx, wecomtest.DefaultUserID, f.docID, f.sheetID,
			[]wecomtest.MemberEdit{{RecordID: id, Values: map[string]any{"库存": n}}}))
	}
	require.Len(t, events, 2, "the second edit is not a retry")
	assert.Equal(t, events[0].DedupeKey(), events[1].DedupeKey(), "the deliveries are indistinguishable")
	assert.Equal(t, []float64{2, 1}, stock, "each delivery re-read the record; the last read is the final value")
}
