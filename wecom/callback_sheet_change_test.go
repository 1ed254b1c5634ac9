package wecom_test

import (
	"testing"

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
