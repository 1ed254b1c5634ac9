package wecom_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// One fixture per smart_sheet_change ChangeType, copied from the official 记录变更事件 and
// 字段变更事件 examples (https://developer.work.weixin.qq.com/document/path/101019, 101016);
// update_field_or_record is the third-party value, carrying both lists.
func TestParseSmartSheetChangeTypes(t *testing.T) {
	records := []string{"RecordId1", "RecordId2"}
	fields := []string{"FieldId1", "FieldId2"}
	tests := []struct {
		changeType      string
		records, fields []string
	}{
		{wecom.ChangeTypeAddRecord, records, nil},
		{wecom.ChangeTypeUpdateRecord, records, nil},
		{wecom.ChangeTypeDeleteRecord, records, nil},
		{wecom.ChangeTypeAddField, nil, fields},
		{wecom.ChangeTypeUpdateField, nil, fields},
		{wecom.ChangeTypeDeleteField, nil, fields},
		{wecom.ChangeTypeFieldOrRecord, records, fields},
	}
	for _, tt := range tests {
		t.Run(tt.changeType, func(t *testing.T) {
			m, err := wecom.ParseMessage(fixture(t, "testdata/callback/smart_sheet_change/"+tt.changeType+".xml"))
			require.NoError(t, err)
			assert.Equal(t, wecom.MsgTypeEvent, m.MsgType)
			assert.Equal(t, wecom.EventSmartSheetChange, m.Event)
			assert.Equal(t, tt.changeType, m.ChangeType)
			assert.Equal(t, []string{"dcjgewCwAAqeJcPI1d8Pwbjt7nttzAAA"}, m.DocIDs)
			assert.Equal(t, "SheetId", m.SheetID)
			assert.Equal(t, tt.records, m.RecordIDs)
			assert.Equal(t, tt.fields, m.FieldIDs)
			assert.Equal(t, "fromUser", m.FromUserName)
			assert.Equal(t, int64(1348831860), m.CreateTime)
		})
	}
	// The constants are the wire values, "filed" misspelling included.
	assert.Equal(t, []string{"add_record", "update_record", "delete_record", "add_filed", "update_filed", "delete_filed",
		"update_field_or_record"}, []string{wecom.ChangeTypeAddRecord, wecom.ChangeTypeUpdateRecord,
		wecom.ChangeTypeDeleteRecord, wecom.ChangeTypeAddField, wecom.ChangeTypeUpdateField, wecom.ChangeTypeDeleteField,
		wecom.ChangeTypeFieldOrRecord})
}

// Two identical smart_sheet_change (or doc_change) deliveries may be one change and its retry or two
// changes of one record by one member within one second: both reach the handler. A message with a
// MsgId is still deduplicated. Synchronous and asynchronous handlers behave alike.
func TestCallbackChangeNotificationsAreNotDeduplicated(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []wecom.CallbackOption
	}{{"sync", nil}, {"async", []wecom.CallbackOption{wecom.WithAsync(2, 8, time.Minute)}}} {
		t.Run(mode.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := map[string]int{}
			h, err := wecom.NewCallbackHandler(newCallbackClient(t), cbToken, cbAESKey,
				func(_ context.Context, m *wecom.Message) (wecom.Reply, error) {
					mu.Lock()
					calls[m.MsgType+"/"+m.Event]++
					mu.Unlock()
					return nil, nil
				}, mode.opts...)
			require.NoError(t, err)
			side := newWeComSide(t, cbToken, cbAESKey, cbCorpID)
			for _, file := range []string{"smart_sheet_change.xml", "doc_change.xml", "text.xml"} {
				plain := fixture(t, "testdata/callback/"+file)
				m, err := wecom.ParseMessage(plain)
				require.NoError(t, err)
				assert.Equal(t, file != "text.xml", m.SkipsDedupe(), file)
				for range 2 {
					assert.Equal(t, http.StatusOK, serve(h, side.post(plain, nil)).Code, file)
				}
			}
			require.NoError(t, h.Shutdown(t.Context()))
			assert.Equal(t, map[string]int{
				"event/" + wecom.EventSmartSheetChange: 2,
				"event/" + wecom.EventDocChange:        2,
				"text/":                                1,
			}, calls)
		})
	}
}
