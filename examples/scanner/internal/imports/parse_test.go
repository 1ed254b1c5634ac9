package imports

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Every header text shops use finds its field; brackets, units, case, spaces and full-width forms
// do not matter.
func TestHeaderSynonyms(t *testing.T) {
	for header, want := range map[string]string{
		"售价": fPrice, "价格": fPrice, "零售价": fPrice, "售价（元）": fPrice, "售价(元)": fPrice, "单价": fPrice,
		"标价": fPrice, "吊牌价": fPrice, "零售价/元": fPrice, "*售价": fPrice, "售价：": fPrice, "Price": fPrice,
		"PRICE (CNY)": fPrice, "价格【元】": fPrice, " 售 价 ": fPrice, "Ｐｒｉｃｅ": fPrice, "单价¥": fPrice,
		"名称": fName, "品名": fName, "商品名称": fName, "商品名": fName, "款式": fName, "产品名称": fName,
		"Product Name": fName, "*名称": fName,
		"品牌": fBrand, "Brand": fBrand,
		"颜色": fColor, "色号": fColor, "Colour": fColor,
		"型号": fModel, "款号": fModel, "规格": fModel,
		"成本": fCost, "进价": fCost, "进货价": fCost, "成本价（元）": fCost, "采购价": fCost,
		"库存": fStock, "数量": fStock, "件数": fStock, "库存数量": fStock, "Qty": fStock,
		"位置": fLocation, "货位": fLocation, "柜台": fLocation, "库位": fLocation,
		"备注": fNotes, "说明": fNotes, "Remarks": fNotes,
		"供应商": fSupplier, "进货来源": fSupplier, "厂家": fSupplier,
		"编码": fCode, "货号": fCode, "条码": fCode, "条形码": fCode, "商品编码": fCode, "SKU": fCode, "编号": fCode,
		"最低售价": fFloor, "底价": fFloor,
		"图片链接": fPhoto,
	} {
		assert.Equal(t, want, headerField[foldHeader(header)], "%q → %q", header, foldHeader(header))
	}
	for _, other := range []string{"序号", "会员价备注说明书", "日期", "", "（元）"} {
		assert.Empty(t, headerField[foldHeader(other)], other)
	}
}

func TestParseMoney(t *testing.T) {
	for in, want := range map[string]float64{
		"1299": 1299, "1299.00": 1299, "¥1,299": 1299, "￥1,299.50": 1299.5, "￥１，２９９": 1299, "１２９９元": 1299,
		"1 299 元": 1299, "RMB 1299": 1299, "CNY1299": 1299, "1299元整": 1299, "1.2万": 12000, "12,345,678": 12345678,
		"899.9000000000001": 899.9, "1.299E+3": 1299, "0.5": 0.5, "¥ 88": 88, "88块": 88, "1299/件": 1299,
	} {
		m, err := parseMoney(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, shop.Yuan(want), m, in)
		}
	}
	for _, bad := range []string{"1,2", "1,2345", "-5", "abc", "面议", "NaN", "Inf", "¥", "1.2.3", "12e999", "0x10", "1299 起"} {
		_, err := parseMoney(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int{"2": 2, "２": 2, "2件": 2, "2.0": 2, " 3 个": 3, "0": 0} {
		n, err := parseCount(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, n, in)
		}
	}
	for _, bad := range []string{"x", "1.5", "-1", "二", "1e20"} {
		_, err := parseCount(bad)
		assert.Error(t, err, bad)
	}
}

// Title rows above the header, a 合计 row at the end, a row with bad cells: the header is found and
// every data row keeps its row number as Excel shows it.
func TestReadTitleRows(t *testing.T) {
	csv := "小雅箱包店商品清单\n\n导出：2026-12-01,,\n商品名称,售价（元）,库存,备注\n托特包,\"¥1,299\",2,\n斜挎包,299元,x,\n,100,1,\n合计,1598,3,\n"
	f, err := Read("list.csv", []byte(csv), Options{})
	require.NoError(t, err)
	assert.Equal(t, 4, f.HeaderRow)
	require.Len(t, f.Rows, 3)
	assert.Equal(t, 5, f.Rows[0].Row)
	assert.Equal(t, shop.Yuan(1299), f.Rows[0].Product.Price)
	assert.Equal(t, 2, f.Rows[0].Product.Stock)
	assert.Equal(t, "库存「x」不是整数", f.Rows[1].Error)
	assert.Equal(t, "缺少名称", f.Rows[2].Error)
	assert.Equal(t, []string{"第 8 行是合计行，已忽略"}, f.Notes)

	x, err := Read("title.xlsx", fixture(t, "title.xlsx"), Options{})
	require.NoError(t, err)
	assert.Equal(t, 3, x.HeaderRow)
	assert.Equal(t, "商品清单", x.Sheet)
	byRow := map[int]Row{}
	for _, r := range x.Rows {
		byRow[r.Row] = r
	}
	assert.Equal(t, shop.NewProduct{Code: "TB-001", Name: "棕色托特包", Brand: "Coach", Color: "棕", Price: shop.Yuan(1299),
		Cost: shop.Yuan(600.5), Stock: 2, Location: "A-1", Notes: "新款"}, byRow[4].Product, "currency-formatted number cells read raw")
	assert.Equal(t, shop.Yuan(2500), byRow[5].Product.Price, "a text cell ￥２，５００")
	assert.Equal(t, shop.Yuan(899.9), byRow[6].Product.Price, "a float cell rounds to fen")
	assert.Equal(t, 1, byRow[6].Product.Stock, "no stock: one bag")
	assert.Equal(t, 4, byRow[7].Dup, "the same code twice")
	assert.Equal(t, "售价「面议」不是有效金额", byRow[8].Error)
	assert.NotContains(t, byRow, 9, "合计")
	assert.Equal(t, []string{"第 9 行是合计行，已忽略"}, x.Notes)
}

// CSV in the encodings shops' computers write: GBK (Excel on Chinese Windows), UTF-8 with and
// without a BOM, UTF-16 tab-separated (Excel's 「Unicode 文本」).
func TestReadEncodings(t *testing.T) {
	f, err := Read("gbk.csv", fixture(t, "gbk.csv"), Options{})
	require.NoError(t, err)
	assert.Equal(t, EncGBK, f.Encoding)
	require.Len(t, f.Rows, 3)
	assert.Equal(t, "棕色托特包", f.Rows[0].Product.Name)
	assert.Equal(t, shop.Yuan(1299), f.Rows[0].Product.Price)
	assert.Equal(t, shop.Yuan(600), f.Rows[0].Product.Cost)
	assert.Equal(t, "棕色", f.Rows[0].Product.Color)

	utf8 := "名称,售价\n托特包,1299\n"
	for name, data := range map[string][]byte{
		"bom.csv": append([]byte("\ufeff"), utf8...), "plain.csv": []byte(utf8),
		"tab.txt": []byte("名称\t售价\n托特包\t1299\n"),
	} {
		f, err := Read(name, data, Options{})
		require.NoError(t, err, name)
		assert.Equal(t, EncUTF8, f.Encoding, name)
		assert.Equal(t, "托特包", f.Rows[0].Product.Name, name)
	}
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("名称\t售价\r\n托特包\t1299\r\n")
	require.NoError(t, err)
	f, err = Read("unicode.txt", []byte(u16), Options{})
	require.NoError(t, err)
	assert.Equal(t, EncUTF16, f.Encoding)
	assert.Equal(t, shop.Yuan(1299), f.Rows[0].Product.Price)
}

// A workbook with several sheets: the first visible one with a header by default, any by name; the
// sheet list comes with the row counts.
func TestReadSheetChoice(t *testing.T) {
	data := fixture(t, "sheets.xlsx")
	f, err := Read("book.xlsx", data, Options{})
	require.NoError(t, err)
	assert.Equal(t, "在售", f.Sheet, "说明 has no header")
	assert.Equal(t, []Sheet{{Name: "说明", Rows: 1}, {Name: "在售", Rows: 4, Header: true}, {Name: "已售", Rows: 3, Header: true}}, f.Sheets)
	assert.Len(t, f.Rows, 3)

	f, err = Read("book.xlsx", data, Options{Sheet: "已售"})
	require.NoError(t, err)
	assert.Equal(t, "已售", f.Sheet)
	require.Len(t, f.Rows, 2)
	assert.Equal(t, "Canvas tote", f.Rows[1].Product.Name)
	assert.Equal(t, 4, f.Rows[1].Product.Stock)

	_, err = Read("book.xlsx", data, Options{Sheet: "说明"})
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Msg, "找不到表头")
	assert.Len(t, pe.Sheets, 3, "the sheets come with the error, to pick another")

	_, err = Read("book.xlsx", data, Options{Sheet: "库存"})
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "工作表「库存」不存在 (no such sheet)", pe.Msg)
}

// Rows that are the same bag: the same code, or the same name, brand, model, colour and price
// however they are written.
func TestReadDuplicates(t *testing.T) {
	f, err := Read("d.csv", []byte("名称,品牌,售价,编码\n托特包,Coach,1299,\n托特包 ,coach,\"¥1,299.00\",\n托特包,Coach,1399,\n"+
		"斜挎包,,299,a-1\n别的包,,99,A-1\n"), Options{})
	require.NoError(t, err)
	dups := map[int]int{}
	for _, r := range f.Rows {
		dups[r.Row] = r.Dup
	}
	assert.Equal(t, map[int]int{2: 0, 3: 2, 4: 0, 5: 0, 6: 5}, dups)
}

// Files that cannot be imported are a *ParseError with a message for the shop, never a panic.
func TestReadBadFiles(t *testing.T) {
	var many strings.Builder
	many.WriteString("名称,售价\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&many, "包%d,%d\n", i, i+1)
	}
	bigBook := func() []byte {
		x := excelize.NewFile()
		defer x.Close()
		require.NoError(t, x.SetSheetRow("Sheet1", "A1", &[]any{"名称", "售价"}))
		for i := range MaxRows + headerScan + 1 {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			require.NoError(t, x.SetSheetRow("Sheet1", cell, &[]any{"包", 100}))
		}
		b, err := x.WriteToBuffer()
		require.NoError(t, err)
		return b.Bytes()
	}
	for _, c := range []struct {
		name, data, msg string
	}{
		{"a.txt", "x", "找不到表头"},
		{"photo.jpg", "\xff\xd8\xff\xe0JFIF", "仅支持 .xlsx 和 .csv"},
		{"a.pdf", "%PDF-1.7", "仅支持 .xlsx 和 .csv"},
		{"a.xlsx", "not a zip", "不是有效的 Excel 文件"},
		{"a.xlsx", "PK\x03\x04garbage", "不是有效的 Excel 文件"},
		{"old.xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....", "暂不支持旧版 .xls 或有密码保护的文件"},
		{"a.csv", "", "文件是空的"},
		{"a.csv", " \n\n", "文件是空的"},
		{"a.csv", "名称\n包\n", "缺少“售价”列"},
		{"a.csv", "售价,库存\n1,2\n", "缺少“名称”列"},
		{"a.csv", "名称,售价\n", "没有数据行"},
		{"a.csv", "名称,售价\n,,\n", "没有数据行"},
		{"b.csv", "\xff\xfe", "是空的"},
		{"c.csv", "\x81\x30\x81", "无法识别文件编码"},
		{"d.csv", "这是,一封,信\n不是表格\n", "找不到表头"},
		{"many.csv", many.String(), "一次最多导入 5000 行"},
		{"big.xlsx", string(bigBook()), "一次最多导入 5000 行"},
	} {
		_, err := Read(c.name, []byte(c.data), Options{})
		var pe *ParseError
		if assert.ErrorAs(t, err, &pe, c.name) {
			assert.Contains(t, pe.Msg, c.msg, "%s %q", c.name, c.data[:min(len(c.data), 20)])
		}
	}
	_, err := Read("x.csv", bytes.Repeat([]byte("a"), MaxBytes+1), Options{})
	assert.True(t, errors.As(err, new(*ParseError)))
}

// A workbook that unpacks to more than maxUnzipped is refused before it is unpacked.
func TestReadZipBomb(t *testing.T) {
	src, err := zip.NewReader(bytes.NewReader(fixture(t, "sheets.xlsx")), int64(len(fixture(t, "sheets.xlsx"))))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range src.File {
		require.NoError(t, zw.Copy(f))
	}
	w, err := zw.Create("xl/media/padding.bin")
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for range maxUnzipped>>20 + 1 {
		_, err = w.Write(zeros)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.Less(t, buf.Len(), MaxBytes)
	_, err = Read("bomb.xlsx", buf.Bytes(), Options{})
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Msg, "解压后过大")
}
