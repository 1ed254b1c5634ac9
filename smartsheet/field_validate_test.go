package smartsheet_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
)

// The 添加字段 field table marks the property of these types required: without it (or with a member
// outside its closed set of values) AddFields refuses before sending anything.
func TestAddFieldsValidatesRequiredProperties(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    smartsheet.Field
		prop string
	}{
		{smartsheet.Field{Type: smartsheet.FieldNumber}, "property_number"},
		{smartsheet.Field{Type: smartsheet.FieldDateTime}, "property_date_time"},
		{smartsheet.Field{Type: smartsheet.FieldURL}, "property_url"},
		{smartsheet.Field{Type: smartsheet.FieldSelect}, "property_select"},
		{smartsheet.Field{Type: smartsheet.FieldSingleSelect}, "property_single_select"},
		{smartsheet.Field{Type: smartsheet.FieldCreatedTime}, "property_created_time"},
		{smartsheet.Field{Type: smartsheet.FieldModifiedTime}, "property_modified_time"},
		{smartsheet.Field{Type: smartsheet.FieldProgress}, "property_progress"},
		{smartsheet.Field{Type: smartsheet.FieldReference}, "property_reference"},
		{smartsheet.Field{Type: smartsheet.FieldLocation}, "property_location"},
		{smartsheet.Field{Type: smartsheet.FieldAutoNumber}, "property_auto_number"},
		{smartsheet.Field{Type: smartsheet.FieldCurrency}, "property_currency"},
		// Members with a closed set of values.
		{smartsheet.Field{Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{DecimalPlaces: 5}}, "property_number.decimal_places"},
		{smartsheet.Field{Type: smartsheet.FieldDateTime, DateTime: &smartsheet.DateTimeProperty{}}, "property_date_time.format"},
		{smartsheet.Field{Type: smartsheet.FieldDateTime, DateTime: &smartsheet.DateTimeProperty{Format: "YYYY-MM-DD"}}, "property_date_time.format"},
		{smartsheet.Field{Type: smartsheet.FieldURL, URL: &smartsheet.URLProperty{}}, "property_url.type"},
		{smartsheet.Field{Type: smartsheet.FieldSelect, Select: &smartsheet.SelectProperty{Options: []smartsheet.SelectOption{{}}}}, "property_select.options"},
		{smartsheet.Field{Type: smartsheet.FieldSingleSelect, SingleSelect: &smartsheet.SelectProperty{
			Options: []smartsheet.SelectOption{{Text: "x", Style: 28}}}}, "property_single_select.options"},
		{smartsheet.Field{Type: smartsheet.FieldCreatedTime, CreatedTime: &smartsheet.TimeFormatProperty{}}, "property_created_time.format"},
		{smartsheet.Field{Type: smartsheet.FieldProgress, Progress: &smartsheet.ProgressProperty{DecimalPlaces: -2}}, "property_progress.decimal_places"},
		{smartsheet.Field{Type: smartsheet.FieldLocation, Location: &smartsheet.LocationProperty{}}, "property_location.input_type"},
		{smartsheet.Field{Type: smartsheet.FieldAutoNumber, AutoNumber: &smartsheet.AutoNumberProperty{}}, "property_auto_number.type"},
		{smartsheet.Field{Type: smartsheet.FieldAutoNumber, AutoNumber: &smartsheet.AutoNumberProperty{Type: smartsheet.AutoNumberCustom}}, "property_auto_number.rules"},
		{smartsheet.Field{Type: smartsheet.FieldAutoNumber, AutoNumber: &smartsheet.AutoNumberProperty{Type: smartsheet.AutoNumberCustom,
			Rules: []smartsheet.AutoNumberRule{{Type: smartsheet.RuleIncr}}}}, "property_auto_number.rules"},
		{smartsheet.Field{Type: smartsheet.FieldCurrency, Currency: &smartsheet.CurrencyProperty{}}, "property_currency.currency_type"},
		{smartsheet.Field{Type: smartsheet.FieldCurrency, Currency: &smartsheet.CurrencyProperty{CurrencyType: smartsheet.CurrencyCNY,
			DecimalPlaces: 9}}, "property_currency.decimal_places"},
	}
	w := newWire(t)
	for _, tt := range tests {
		tt.f.Title = "列"
		_, err := w.c.AddFields(t.Context(), "D", "S", smartsheet.Field{Title: "名称", Type: smartsheet.FieldText}, tt.f)
		var ve *smartsheet.ValidationError
		if assert.ErrorAs(t, err, &ve, tt.prop) {
			assert.Equal(t, tt.prop, ve.Property)
			assert.Equal(t, "列", ve.Field)
			assert.Equal(t, "AddFields", ve.Call)
		}
		assert.ErrorIs(t, err, smartsheet.ErrInvalidInput)
		assert.False(t, smartsheet.MayHaveApplied(err))
	}
	assert.Zero(t, w.mt.GetTotalCallCount(), "nothing may be sent")

	for _, typ := range []smartsheet.FieldType{smartsheet.FieldNumber, smartsheet.FieldAutoNumber, smartsheet.FieldCurrency} {
		assert.True(t, typ.RequiresProperty(), typ)
	}
	for _, typ := range []smartsheet.FieldType{smartsheet.FieldText, smartsheet.FieldCheckbox, smartsheet.FieldUser, smartsheet.FieldImage} {
		assert.False(t, typ.RequiresProperty(), typ)
	}
}

// The properties, with the members WeCom requires always present, as they go on the wire.
func TestWireAddFieldsRequiredProperties(t *testing.T) {
	runWire(t, []wireCase{{"add_fields with every required property", "smartsheet/add_fields",
		"add_fields/required_request.json", "add_fields/response.json",
		func(ctx context.Context, c *smartsheet.Client) (any, error) {
			return c.AddFields(ctx, "DOCID", "123abc",
				smartsheet.Field{Title: "数量", Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{DecimalPlaces: -1, UseSeparate: true}},
				smartsheet.Field{Title: "日期", Type: smartsheet.FieldDateTime, DateTime: &smartsheet.DateTimeProperty{Format: smartsheet.DateFormatChinese}},
				smartsheet.Field{Title: "链接", Type: smartsheet.FieldURL, URL: &smartsheet.URLProperty{Type: smartsheet.LinkIconText}},
				smartsheet.Field{Title: "标签", Type: smartsheet.FieldSelect, Select: &smartsheet.SelectProperty{}},
				smartsheet.Field{Title: "状态", Type: smartsheet.FieldSingleSelect, SingleSelect: &smartsheet.SelectProperty{IsQuickAdd: true,
					Options: []smartsheet.SelectOption{{Text: "在售", Style: 16}}}},
				smartsheet.Field{Title: "创建", Type: smartsheet.FieldCreatedTime, CreatedTime: &smartsheet.TimeFormatProperty{Format: smartsheet.DateFormatISOMinute}},
				smartsheet.Field{Title: "修改", Type: smartsheet.FieldModifiedTime, ModifiedTime: &smartsheet.TimeFormatProperty{Format: smartsheet.DateFormatISO}},
				smartsheet.Field{Title: "进度", Type: smartsheet.FieldProgress, Progress: &smartsheet.ProgressProperty{}},
				smartsheet.Field{Title: "关联", Type: smartsheet.FieldReference, Reference: &smartsheet.ReferenceProperty{SubID: "SUB"}},
				smartsheet.Field{Title: "位置", Type: smartsheet.FieldLocation, Location: &smartsheet.LocationProperty{InputType: smartsheet.LocationAuto}},
				smartsheet.Field{Title: "编号", Type: smartsheet.FieldAutoNumber, AutoNumber: &smartsheet.AutoNumberProperty{Type: smartsheet.AutoNumberCustom,
					Rules: []smartsheet.AutoNumberRule{{Type: smartsheet.RuleFixedChar, Value: "BAG-"}, {Type: smartsheet.RuleIncr, Value: "4"}}}},
				smartsheet.Field{Title: "售价", Type: smartsheet.FieldCurrency, Currency: &smartsheet.CurrencyProperty{CurrencyType: smartsheet.CurrencyCNY, DecimalPlaces: 2}},
			)
		}, nil}})
}

// Table[T]'s schema builder creates every column with the property its type requires.
func TestTableSchemaSendsRequiredProperties(t *testing.T) {
	t.Parallel()
	type row struct {
		Qty      int                 `smartsheet:"数量"`
		Date     time.Time           `smartsheet:"日期,type=date,format=date"`
		Link     string              `smartsheet:"链接,type=url"`
		Tags     []string            `smartsheet:"标签"`
		State    string              `smartsheet:"状态,type=single_select,options=在售|售罄"`
		Created  time.Time           `smartsheet:"创建,type=created_time"`
		Modified time.Time           `smartsheet:"修改,type=modified_time,format=chinese_minute"`
		Progress float64             `smartsheet:"进度,type=progress"`
		Refs     []string            `smartsheet:"关联,type=reference,sheet=SUB"`
		Place    smartsheet.Location `smartsheet:"位置"`
		No       string              `smartsheet:"编号,type=autonumber"`
		Price    float64             `smartsheet:"售价,type=currency,currency=USD"`
	}
	w := newWire(t)
	gets := w.expect("smartsheet/get_fields", []byte(`{"errcode":0,"errmsg":"ok","total":0,"fields":[]}`))
	adds := w.expect("smartsheet/add_fields", fixture(t, "add_fields/table_response.json"))
	tbl, err := smartsheet.NewTable[row](w.c, "DOCID", "123abc")
	require.NoError(t, err)
	created, err := tbl.EnsureSchema(t.Context())
	require.NoError(t, err)
	assert.Len(t, created, 12)
	assert.GreaterOrEqual(t, gets.n(), 1)
	require.Equal(t, 1, adds.n())
	assert.JSONEq(t, string(fixture(t, "add_fields/table_request.json")), adds.body(0))

	// A tag value WeCom would refuse fails when the table is mapped.
	_, err = smartsheet.NewTable[struct {
		D time.Time `smartsheet:"日期,format=YYYY"`
	}](w.c, "DOCID", "123abc")
	var ve *smartsheet.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "property_date_time.format", ve.Property)
}
