package smartsheet_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
)

// wireCase is one endpoint call: the exact request body it must send and what it makes of the answer.
type wireCase struct {
	name     string
	path     string // below /cgi-bin/wedoc/
	request  string // fixture with the exact body
	response string // fixture answered ("" → {"errcode":0,"errmsg":"ok"})
	call     func(ctx context.Context, c *smartsheet.Client) (any, error)
	check    func(t *testing.T, got any)
}

func runWire(t *testing.T, cases []wireCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWire(t)
			resp := okBody
			if tc.response != "" {
				resp = fixture(t, tc.response)
			}
			cs := w.expect(tc.path, resp)
			got, err := tc.call(t.Context(), w.c)
			require.NoError(t, err)
			require.Equal(t, 1, cs.n())
			assert.JSONEq(t, string(fixture(t, tc.request)), cs.body(0))
			assert.Contains(t, cs.query[0], "access_token=ACCESS_TOKEN")
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestWireDocs(t *testing.T) {
	runWire(t, []wireCase{
		{"create_doc", "create_doc", "create_doc/request.json", "create_doc/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.CreateDoc(ctx, &smartsheet.CreateDocRequest{Name: "库存", AdminUsers: []string{"zhangsan"}})
			}, func(t *testing.T, got any) {
				assert.Equal(t, &smartsheet.Doc{ID: "DOCID", URL: "https://doc.weixin.qq.com/smartsheet/s3_DOCID"}, got)
			}},
		{"rename_doc", "rename_doc", "rename_doc/request.json", "",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return nil, c.RenameDoc(ctx, "DOCID", "新名字")
			}, nil},
		{"del_doc", "del_doc", "del_doc/request.json", "",
			func(ctx context.Context, c *smartsheet.Client) (any, error) { return nil, c.DeleteDoc(ctx, "DOCID") }, nil},
		{"get_doc_base_info", "get_doc_base_info", "get_doc_base_info/request.json", "get_doc_base_info/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) { return c.DocInfo(ctx, "DOCID") },
			func(t *testing.T, got any) {
				info := got.(*smartsheet.DocInfo)
				assert.Equal(t, "库存", info.Name)
				assert.Equal(t, smartsheet.DocTypeSmartsheet, info.Type)
				assert.Equal(t, int64(1715846245), info.CreatedAt.Unix())
				assert.Equal(t, int64(1715846248), info.ModifiedAt.Unix())
			}},
		{"doc_share", "doc_share", "doc_share/request.json", "doc_share/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) { return c.ShareURL(ctx, "DOCID") },
			func(t *testing.T, got any) {
				assert.Equal(t, "https://doc.weixin.qq.com/smartsheet/s3_DOCID?scode=SHARE", got)
			}},
		{"mod_doc_member", "mod_doc_member", "mod_doc_member/request.json", "",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return nil, c.ModDocMembers(ctx, "DOCID", &smartsheet.ModDocMembersRequest{
					Update: []smartsheet.DocMember{{UserID: "zhangsan", Auth: smartsheet.AuthReadWrite}},
					Remove: []smartsheet.DocMember{{UserID: "lisi", Auth: smartsheet.AuthAdmin}},
				})
			}, nil},
		{"image_upload", "image_upload", "image_upload/request.json", "image_upload/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.UploadImage(ctx, "DOCID", []byte("\x89PNG\r\n\x1a\n"))
			}, func(t *testing.T, got any) {
				img := got.(*smartsheet.UploadedImage)
				assert.Equal(t, smartsheet.Image{Title: "a.png", URL: "https://wework.qpic.cn/wwpic/IMAGE", Width: 234, Height: 234},
					img.Image("a.png"))
				assert.Equal(t, int64(1024), img.Size)
			}},
		// The parameter table documents height, width and size as strings; the example shows numbers.
		{"image_upload, numbers as strings", "image_upload", "image_upload/request.json", "image_upload/response_strings.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.UploadImage(ctx, "DOCID", []byte("\x89PNG\r\n\x1a\n"))
			}, func(t *testing.T, got any) {
				assert.Equal(t, &smartsheet.UploadedImage{URL: "https://wework.qpic.cn/wwpic/IMAGE", Width: 320, Height: 234, Size: 1024}, got)
			}},
	})
}

func TestUploadedImageRejectsNonNumbers(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"width":"wide"}`, `{"height":1.5}`, `{"size":-1}`, `{"size":"NaN"}`, `{"width":[1]}`} {
		var u smartsheet.UploadedImage
		assert.Error(t, json.Unmarshal([]byte(body), &u), body)
	}
	var u smartsheet.UploadedImage
	require.NoError(t, json.Unmarshal([]byte(`{"url":"u","width":null,"height":"","size":0}`), &u))
	assert.Equal(t, smartsheet.UploadedImage{URL: "u"}, u)
}

// smart sheets are WeCom only: a 公众号 client fails every call before sending anything.
func TestSmartSheetOnOfficialAccount(t *testing.T) {
	t.Parallel()
	mp, err := wecom.NewOfficialAccount("wxappid", "secret", wecom.WithBaseURL(testBase))
	require.NoError(t, err)
	c := smartsheet.New(mp)
	assert.ErrorIs(t, c.Err(), wecom.ErrWrongPlatform)
	_, err = c.CreateDoc(t.Context(), &smartsheet.CreateDocRequest{Name: "x"})
	assert.ErrorIs(t, err, wecom.ErrWrongPlatform)
	_, err = c.Sheets(t.Context(), "D", nil)
	assert.ErrorIs(t, err, wecom.ErrWrongPlatform)
	assert.False(t, smartsheet.MayHaveApplied(err))
}

func TestWireSheets(t *testing.T) {
	three := 3
	runWire(t, []wireCase{
		{"add_sheet", "smartsheet/add_sheet", "add_sheet/request.json", "add_sheet/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.AddSheet(ctx, "DOCID", &smartsheet.AddSheetRequest{Title: "智能表", Index: &three})
			}, func(t *testing.T, got any) {
				assert.Equal(t, &smartsheet.Sheet{ID: "123abc", Title: "智能表", Index: 3, Visible: true,
					Type: smartsheet.SheetSmartsheet}, got)
			}},
		{"get_sheet", "smartsheet/get_sheet", "get_sheet/request.json", "get_sheet/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.Sheets(ctx, "DOCID", &smartsheet.SheetQuery{AllTypes: true})
			}, func(t *testing.T, got any) {
				assert.Equal(t, []smartsheet.Sheet{
					{ID: "123abc", Title: "智能表", Visible: true, Type: smartsheet.SheetSmartsheet},
					{ID: "456def", Title: "仪表盘", Type: smartsheet.SheetDashboard},
				}, got)
			}},
		{"update_sheet", "smartsheet/update_sheet", "update_sheet/request.json", "",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return nil, c.RenameSheet(ctx, "DOCID", "123abc", "库存表")
			}, nil},
		{"delete_sheet", "smartsheet/delete_sheet", "delete_sheet/request.json", "",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return nil, c.DeleteSheet(ctx, "DOCID", "123abc")
			}, nil},
	})
}

func TestWireViews(t *testing.T) {
	yes, one := true, 1
	runWire(t, []wireCase{
		{"add_view", "smartsheet/add_view", "add_view/request.json", "add_view/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.AddView(ctx, "DOCID", "123abc", &smartsheet.AddViewRequest{Title: "甘特图", Type: smartsheet.ViewGantt,
					Gantt: &smartsheet.DateRange{StartFieldID: "fStart", EndFieldID: "fEnd0"}})
			}, func(t *testing.T, got any) {
				assert.Equal(t, &smartsheet.View{ID: "vCRl8n", Title: "甘特图", Type: smartsheet.ViewGantt}, got)
			}},
		{"update_view", "smartsheet/update_view", "update_view/request.json", "update_view/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.UpdateView(ctx, "DOCID", "123abc", &smartsheet.UpdateViewRequest{ViewID: "vCRl8n", Title: "低库存",
					Property: &smartsheet.ViewProperty{
						AutoSort: &yes,
						SortSpec: &smartsheet.SortSpec{SortInfos: []smartsheet.FieldOrder{{FieldID: "f53B4X", Desc: true}}},
						FilterSpec: &smartsheet.FilterSpec{Conjunction: smartsheet.ConjunctionAnd, Conditions: []smartsheet.Condition{{
							FieldID: "f53B4X", FieldType: smartsheet.FieldText, Operator: smartsheet.Contains,
							StringValue: &smartsheet.StringFilter{Value: []string{"123"}}}}},
						FieldVisibility:  map[string]bool{"f53B4X": true},
						FrozenFieldCount: &one,
					}})
			}, func(t *testing.T, got any) {
				assert.Equal(t, "低库存", got.(*smartsheet.View).Title)
			}},
		{"get_views", "smartsheet/get_views", "get_views/request.json", "get_views/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.GetViews(ctx, "DOCID", "123abc", nil)
			}, func(t *testing.T, got any) {
				page := got.(*smartsheet.ViewPage)
				assert.Equal(t, 2, page.Total)
				assert.False(t, page.HasMore)
				// The second view's property has an odd shape: it keeps id, title and type.
				assert.Equal(t, []smartsheet.View{
					{ID: "vCRl8n", Title: "表格视图", Type: smartsheet.ViewGrid},
					{ID: "vAbcde", Title: "看板", Type: smartsheet.ViewKanban},
				}, page.Views)
			}},
		{"delete_views", "smartsheet/delete_views", "delete_views/request.json", "",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return nil, c.DeleteViews(ctx, "DOCID", "123abc", "vCRl8n", "vAbcde")
			}, nil},
	})
}

func TestWireFields(t *testing.T) {
	runWire(t, []wireCase{
		{"add_fields", "smartsheet/add_fields", "add_fields/request.json", "add_fields/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.AddFields(ctx, "DOCID", "123abc",
					smartsheet.Field{Title: "名称", Type: smartsheet.FieldText},
					smartsheet.Field{Title: "库存", Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{}},
					smartsheet.Field{Title: "单价", Type: smartsheet.FieldCurrency, Currency: &smartsheet.CurrencyProperty{
						CurrencyType: smartsheet.CurrencyCNY, DecimalPlaces: 2, UseSeparate: true}},
					smartsheet.Field{Title: "状态", Type: smartsheet.FieldSingleSelect, SingleSelect: &smartsheet.SelectProperty{
						Options: []smartsheet.SelectOption{{Text: "在售", Style: 16}, {Text: "售罄", Style: 18}}}},
					smartsheet.Field{Title: "关联", Type: smartsheet.FieldReference, Reference: &smartsheet.ReferenceProperty{
						SubID: "456def", FieldID: "fTitle", IsMultiple: true}},
				)
			}, func(t *testing.T, got any) {
				fs := got.([]smartsheet.Field)
				require.Len(t, fs, 5)
				assert.Equal(t, "fStock", fs[1].ID)
				assert.Equal(t, []smartsheet.SelectOption{{ID: "opt1", Text: "在售", Style: 16}, {ID: "opt2", Text: "售罄", Style: 18}},
					fs[3].Options())
				assert.Equal(t, "fTitle", fs[4].Reference.FieldID)
			}},
		{"update_fields", "smartsheet/update_fields", "update_fields/request.json", "update_fields/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.UpdateFields(ctx, "DOCID", "123abc", smartsheet.Field{ID: "fStock", Title: "库存数量",
					Type: smartsheet.FieldNumber, Number: &smartsheet.NumberProperty{DecimalPlaces: 1, UseSeparate: true}})
			}, func(t *testing.T, got any) {
				assert.Equal(t, "库存数量", got.([]smartsheet.Field)[0].Title)
			}},
		{"delete_fields", "smartsheet/delete_fields", "delete_fields/request.json", "",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return nil, c.DeleteFields(ctx, "DOCID", "123abc", "fStock", "fPrice")
			}, nil},
		{"get_fields", "smartsheet/get_fields", "get_fields/request.json", "get_fields/response.json",
			func(ctx context.Context, c *smartsheet.Client) (any, error) {
				return c.GetFields(ctx, "DOCID", "123abc", nil)
			}, func(t *testing.T, got any) {
				page := got.(*smartsheet.FieldPage)
				require.Len(t, page.Fields, 9)
				assert.Equal(t, smartsheet.DateFormatISO, page.Fields[4].DateTime.Format)
				// An odd property keeps the field's id, title and type.
				assert.Equal(t, smartsheet.Field{ID: "fOdd00", Title: "奇怪", Type: smartsheet.FieldNumber}, page.Fields[8])
			}},
	})
}

// TestWireInvalidInput: bad input is refused before anything is sent.
func TestWireInvalidInput(t *testing.T) {
	t.Parallel()
	w := newWire(t)
	ctx := t.Context()
	nan := func() float64 { var z float64; return z / z }()
	tests := []struct {
		name string
		err  error
	}{
		{"create_doc without name", func() error { _, err := w.c.CreateDoc(ctx, &smartsheet.CreateDocRequest{}); return err }()},
		{"add_records without sheet", func() error { _, err := w.c.AddRecords(ctx, "DOCID", "", nil); return err }()},
		{"add_records NaN", func() error {
			_, err := w.c.AddRecords(ctx, "D", "S", []smartsheet.Record{{Values: map[string]smartsheet.Value{"x": smartsheet.Number(nan)}}})
			return err
		}()},
		{"update_records without id", func() error {
			_, err := w.c.UpdateRecords(ctx, "D", "S", []smartsheet.Record{{Values: map[string]smartsheet.Value{"x": smartsheet.Text("a")}}})
			return err
		}()},
		{"delete_records empty id", w.c.DeleteRecords(ctx, "D", "S", []string{"r1", ""})},
		{"add_fields formula", func() error {
			_, err := w.c.AddFields(ctx, "D", "S", smartsheet.Field{Title: "f", Type: smartsheet.FieldFormula})
			return err
		}()},
		{"filter with sort", func() error {
			_, err := w.c.GetRecords(ctx, "D", "S", &smartsheet.Query{FilterSpec: &smartsheet.FilterSpec{},
				Sort: []smartsheet.Sort{{Field: "x"}}})
			return err
		}()},
		{"mod members without auth", w.c.ModDocMembers(ctx, "D", &smartsheet.ModDocMembersRequest{
			Update: []smartsheet.DocMember{{UserID: "zhangsan"}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.err, smartsheet.ErrInvalidInput)
			assert.False(t, smartsheet.MayHaveApplied(tt.err))
		})
	}
	assert.Zero(t, w.mt.GetTotalCallCount(), "nothing may be sent")
}

func TestNilClient(t *testing.T) {
	t.Parallel()
	c := smartsheet.New(nil)
	assert.ErrorIs(t, c.Err(), smartsheet.ErrNoClient)
	_, err := c.CreateDoc(t.Context(), &smartsheet.CreateDocRequest{Name: "x"})
	assert.ErrorIs(t, err, smartsheet.ErrNoClient)
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	_, err = smartsheet.NewTable[struct{ A string }](nil, "d", "s")
	assert.ErrorIs(t, err, smartsheet.ErrNoClient)
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, o := range []smartsheet.Option{
		smartsheet.WithBatchSize(0), smartsheet.WithBatchSize(1001), smartsheet.WithConcurrency(0),
		smartsheet.WithPageSize(1001), smartsheet.WithRetry(wecom.RetryPolicy{}),
		smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 2, Base: time.Second, Max: time.Millisecond}),
		smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 2, AttemptTimeout: -1}),
		smartsheet.WithLocation(nil), smartsheet.WithSchemaTTL(-1),
	} {
		w := newWireUnchecked(t, o)
		require.ErrorIs(t, w.c.Err(), smartsheet.ErrInvalidOption)
		// Every call fails the same way, before anything is sent.
		_, err := w.c.CreateDoc(t.Context(), &smartsheet.CreateDocRequest{Name: "x"})
		assert.ErrorIs(t, err, smartsheet.ErrInvalidOption)
		assert.False(t, smartsheet.MayHaveApplied(err))
		for _, err := range w.c.Records(t.Context(), "D", "S", nil) {
			assert.ErrorIs(t, err, smartsheet.ErrInvalidOption)
		}
		assert.Zero(t, w.mt.GetTotalCallCount(), "nothing may be sent")
	}
	assert.NoError(t, newWire(t, nil).c.Err(), "a nil option is ignored")
}

// TestRetryPolicy: rate limits and version conflicts are waited out for any call; ambiguous failures
// are retried for reads only.
func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		answers   []string // fixtures in order
		call      func(ctx context.Context, c *smartsheet.Client) error
		wantCalls int
		wantCode  wecom.ErrCode
	}{
		{"add_records rate limited, then ok", "smartsheet/add_records",
			[]string{"errcode/45009.json", "errcode/45009.json", "add_records/response.json"}, addOne, 3, 0},
		{"add_records version conflict, then ok", "smartsheet/add_records",
			[]string{"errcode/6000.json", "add_records/response.json"}, addOne, 2, 0},
		{"add_records -1 is not retried", "smartsheet/add_records",
			[]string{"errcode/-1.json", "add_records/response.json"}, addOne, 1, wecom.CodeSystemBusy},
		{"add_records rate limit gives up after 3 tries", "smartsheet/add_records",
			[]string{"errcode/45009.json"}, addOne, 3, wecom.CodeRateLimited},
		{"get_views -1 is retried", "smartsheet/get_views",
			[]string{"errcode/-1.json", "get_views/response.json"},
			func(ctx context.Context, c *smartsheet.Client) error {
				_, err := c.GetViews(ctx, "D", "S", nil)
				return err
			}, 2, 0},
		{"get_views 40058 is not retried", "smartsheet/get_views",
			[]string{"errcode/40058.json", "get_views/response.json"},
			func(ctx context.Context, c *smartsheet.Client) error {
				_, err := c.GetViews(ctx, "D", "S", nil)
				return err
			}, 1, 40058},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWire(t)
			var answers [][]byte
			for _, a := range tt.answers {
				answers = append(answers, fixture(t, a))
			}
			cs := w.expect(tt.path, answers...)
			err := tt.call(t.Context(), w.c)
			assert.Equal(t, tt.wantCalls, cs.n())
			if tt.wantCode == 0 {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantCode)
			assert.Equal(t, tt.wantCode == wecom.CodeSystemBusy, smartsheet.MayHaveApplied(err))
		})
	}
}

func addOne(ctx context.Context, c *smartsheet.Client) error {
	_, err := c.AddRecords(ctx, "DOCID", "123Abc", []smartsheet.Record{{Values: map[string]smartsheet.Value{"字段标题": smartsheet.Text("文本内容")}}})
	return err
}

// TestRetryHonoursContext: a cancelled context ends the backoff at once.
func TestRetryHonoursContext(t *testing.T) {
	t.Parallel()
	w := newWire(t, smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 5, Base: time.Hour, Max: time.Hour, RetryLater: true}))
	w.expect("smartsheet/add_records", fixture(t, "errcode/45009.json"))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := addOne(ctx, w.c)
	assert.ErrorIs(t, err, wecom.CodeRateLimited)
	assert.True(t, errors.Is(ctx.Err(), context.DeadlineExceeded))
}
