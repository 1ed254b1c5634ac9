package imports

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The spreadsheets in testdata/ are what shops send: `go test -run TestFixtures -update` writes
// them again from the code below (they are committed so that the fuzz corpus and other tools see
// the same bytes).
var update = flag.Bool("update", false, "write the testdata fixtures")

// gbkCSV is a list saved by Excel on Chinese Windows as 「CSV (逗号分隔)」: GBK, a title row,
// ￥ and thousands separators.
const gbkCSV = "秋季新品清单,,,,\r\n" +
	"品名,零售价,进价,数量,颜色\r\n" +
	"棕色托特包,\"￥1,299\",600,2,棕色\r\n" +
	"黑色斜挎包,899元,400,1,黑\r\n" +
	"红色手拿包,面议,,1,红\r\n"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to write testdata/")
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(gbkCSV)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile("testdata/gbk.csv", []byte(gbk), 0o644))
	require.NoError(t, os.WriteFile("testdata/title.xlsx", titleWorkbook(t), 0o644))
	require.NoError(t, os.WriteFile("testdata/sheets.xlsx", sheetsWorkbook(t), 0o644))
}

// titleWorkbook has a merged title row and a date row above the header, number cells formatted as
// currency, a price typed as text with ￥ and full-width digits, a duplicate code, a bad price and
// a 合计 row.
func titleWorkbook(t testing.TB) []byte {
	x := excelize.NewFile()
	defer x.Close()
	s := "Sheet1"
	require.NoError(t, x.SetSheetName(s, "商品清单"))
	s = "商品清单"
	set := func(cell string, v any) { require.NoError(t, x.SetCellValue(s, cell, v)) }
	set("A1", "小雅箱包店 · 商品清单")
	require.NoError(t, x.MergeCell(s, "A1", "I1"))
	set("A2", "导出日期：2026-12-01")
	for i, h := range []string{"货号", "商品名称", "品牌", "色号", "售价（元）", "进货价", "件数", "货位", "备注"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		set(cell, h)
	}
	rows := [][]any{
		{"TB-001", "棕色托特包", "Coach", "棕", 1299, 600.5, 2, "A-1", "新款"},
		{"TB-002", "黑色斜挎包", "MK", "黑", "￥２，５００", 1200, 1, "A-2", ""},
		{"TB-003", "米色水桶包", "", "米", 899.9000000000001, "", "", "", ""},
		{"TB-001", "棕色托特包", "Coach", "棕", 1299, 600.5, 2, "A-1", "重复的一行"},
		{"TB-004", "红色手拿包", "", "红", "面议", "", 1, "", ""},
		{"", "合计", "", "", 5997.9, "", 6, "", ""},
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+4)
			set(cell, v)
		}
	}
	style, err := x.NewStyle(&excelize.Style{NumFmt: 164, CustomNumFmt: ptr(`"¥"#,##0.00`)})
	require.NoError(t, err)
	require.NoError(t, x.SetCellStyle(s, "E4", "F9", style))
	buf, err := x.WriteToBuffer()
	require.NoError(t, err)
	return buf.Bytes()
}

// sheetsWorkbook has an instructions sheet first, then 在售 and 已售 lists with different headers.
func sheetsWorkbook(t testing.TB) []byte {
	x := excelize.NewFile()
	defer x.Close()
	require.NoError(t, x.SetSheetName("Sheet1", "说明"))
	require.NoError(t, x.SetCellValue("说明", "A1", "本表由店长维护，请勿修改表头。"))
	_, err := x.NewSheet("在售")
	require.NoError(t, err)
	require.NoError(t, x.SetSheetRow("在售", "A1", &[]any{"名称", "价格", "库存", "位置"}))
	require.NoError(t, x.SetSheetRow("在售", "A2", &[]any{"驼色托特包", 1580, 3, "橱窗"}))
	require.NoError(t, x.SetSheetRow("在售", "A3", &[]any{"白色腋下包", "¥999", 1, "B-2"}))
	require.NoError(t, x.SetSheetRow("在售", "A4", &[]any{"灰色双肩包", "1,080.00", 2, ""}))
	_, err = x.NewSheet("已售")
	require.NoError(t, err)
	require.NoError(t, x.SetSheetRow("已售", "A1", &[]any{"Name", "Price", "Qty"}))
	require.NoError(t, x.SetSheetRow("已售", "A2", &[]any{"Vintage clutch", 450, 1}))
	require.NoError(t, x.SetSheetRow("已售", "A3", &[]any{"Canvas tote", 120, 4}))
	buf, err := x.WriteToBuffer()
	require.NoError(t, err)
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }
