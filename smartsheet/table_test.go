package smartsheet_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
)

func TestNewTableTags(t *testing.T) {
	c := smartsheet.New(nil)
	check := func(t *testing.T, err error) {
		t.Helper()
		assert.ErrorIs(t, err, smartsheet.ErrInvalidInput)
	}
	t.Run("not a struct", func(t *testing.T) {
		_, err := smartsheet.NewTable[int](c, "d", "s")
		check(t, err)
	})
	t.Run("two keys", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A string `smartsheet:"a,key"`
			B string `smartsheet:"b,key"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("duplicate title", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A string `smartsheet:"a"`
			B int    `smartsheet:"a"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("unknown type", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A string `smartsheet:"a,type=colour"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("unknown option", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A string `smartsheet:"a,unique"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("Go type cannot hold the column type", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A bool `smartsheet:"a,type=number"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("unsupported Go type", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct{ M map[string]int }](c, "d", "s")
		check(t, err)
	})
	t.Run("key must be text or number", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A bool `smartsheet:"a,key"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("id field must be a string", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			ID int    `smartsheet:"-,id"`
			A  string `smartsheet:"a"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("bad decimals", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A float64 `smartsheet:"a,decimals=9"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("only skipped fields", func(t *testing.T) {
		_, err := smartsheet.NewTable[struct {
			A string `smartsheet:"-"`
		}](c, "d", "s")
		check(t, err)
	})
	t.Run("embedded structs and pointers are fine", func(t *testing.T) {
		type Base struct {
			Code string `smartsheet:"编码,key"`
		}
		type Meta struct {
			At time.Time `smartsheet:"-,updated"`
		}
		_, err := smartsheet.NewTable[struct {
			Base
			*Meta
			N    *float64 `smartsheet:"数"`
			Tags []string
			V    smartsheet.Value `smartsheet:"原始,type=wwgroup"`
		}](c, "d", "s")
		require.NoError(t, err)
	})
}

// Row exercises every Go type a Table maps.
type Row struct {
	Key   int64                     `smartsheet:"编号,key"`
	Text  string                    `smartsheet:"文本"`
	URL   string                    `smartsheet:"链接,type=url"`
	Float *float64                  `smartsheet:"小数,decimals=2"`
	Pct   float64                   `smartsheet:"比例,type=percentage"`
	U8    uint8                     `smartsheet:"小数字"`
	Flag  bool                      `smartsheet:"标记"`
	When  time.Time                 `smartsheet:"时间,format=datetime"`
	Users []string                  `smartsheet:"人,type=user,notify"`
	Imgs  []smartsheet.Image        `smartsheet:"图"`
	Files []smartsheet.Attachment   `smartsheet:"文件"`
	Opts  []smartsheet.SelectOption `smartsheet:"选项,type=single_select"`
	Where smartsheet.Location       `smartsheet:"地点"`
	Code  string                    `smartsheet:"条码,type=barcode,scan"`
	Ref   []string                  `smartsheet:"关联,type=reference"`
	Seq   int                       `smartsheet:"序号,type=autonumber"`
	Made  time.Time                 `smartsheet:"-,created"`
}

// TestTableRoundTrip writes every mapped Go type to the fake and reads it back.
func TestTableRoundTrip(t *testing.T) {
	f := newFake(t, nil)
	ctx := t.Context()
	tbl, err := smartsheet.NewTable[Row](f.c, f.docID, f.sheetID)
	require.NoError(t, err)
	created, err := tbl.EnsureSchema(ctx)
	require.NoError(t, err)
	assert.Len(t, created, 16)
	assert.Equal(t, "文本", created[0].Title, "the default column became the first text column")
	img, err := f.c.UploadImage(ctx, f.docID, tinyPNG)
	require.NoError(t, err)
	half := 0.5
	when := time.Date(2025, 5, 14, 9, 30, 0, 0, cst)
	in := Row{Key: 42, Text: "文本", URL: "https://example.com", Float: &half, Pct: 0.25, U8: 200, Flag: true, When: when,
		Users: []string{"zhangsan"}, Imgs: []smartsheet.Image{img.Image("a.png")},
		Files: []smartsheet.Attachment{{Name: "a.pdf", FileID: "F1", FileURL: "https://f/1"}},
		Opts:  []smartsheet.SelectOption{{Text: "甲"}},
		Where: smartsheet.Location{SourceType: 1, ID: "1", Latitude: "23.10647", Longitude: "113.32446", Title: "广州塔"},
		Code:  "6901234567892"}
	_, err = tbl.Insert(ctx, in)
	require.NoError(t, err)
	out, err := tbl.Get(ctx, 42)
	require.NoError(t, err)
	assert.Equal(t, in.Key, out.Key)
	assert.Equal(t, in.Text, out.Text)
	assert.Equal(t, in.URL, out.URL)
	require.NotNil(t, out.Float)
	assert.Equal(t, half, *out.Float)
	assert.Equal(t, in.Pct, out.Pct)
	assert.Equal(t, in.U8, out.U8)
	assert.True(t, out.Flag)
	assert.True(t, out.When.Equal(when))
	assert.Equal(t, in.Users, out.Users)
	require.Len(t, out.Imgs, 1)
	assert.Equal(t, img.URL, out.Imgs[0].URL)
	assert.Equal(t, "a.pdf", out.Files[0].Name)
	require.Len(t, out.Opts, 1)
	assert.Equal(t, "甲", out.Opts[0].Text)
	assert.NotEmpty(t, out.Opts[0].ID)
	assert.Equal(t, in.Where, out.Where)
	assert.Equal(t, in.Code, out.Code)
	assert.Equal(t, 1, out.Seq, "the auto number is read, never written")
	assert.False(t, out.Made.IsZero())

	_, err = tbl.Get(ctx, "42")
	assert.NoError(t, err, "a numeric key may be given as a string")
	_, err = tbl.Get(ctx, "forty-two")
	assert.ErrorIs(t, err, smartsheet.ErrInvalidInput)
}

// tinyPNG is a 1×1 PNG.
var tinyPNG = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00,
	0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d,
	0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}
