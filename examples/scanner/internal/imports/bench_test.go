package imports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// bigBook is a workbook of MaxRows bags under a title row, money cells formatted as currency.
func bigBook(b *testing.B) []byte {
	x := excelize.NewFile()
	defer x.Close()
	_ = x.SetCellValue("Sheet1", "A1", "小雅箱包店 商品清单")
	_ = x.SetSheetRow("Sheet1", "A2", &[]any{"货号", "商品名称", "品牌", "颜色", "售价（元）", "进货价", "数量", "货位"})
	for i := range MaxRows {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		_ = x.SetSheetRow("Sheet1", cell, &[]any{fmt.Sprintf("TB-%05d", i), "棕色托特包", "Coach", "棕", 1299 + i, 600.5, 2, "A-1"})
	}
	buf, err := x.WriteToBuffer()
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadXLSX reads a 5,000-row workbook; BenchmarkExcelizeRows (the floor) only has excelize
// read the same rows.
func BenchmarkReadXLSX(b *testing.B) {
	data := bigBook(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Read("big.xlsx", data, Options{})
		if err != nil || len(f.Rows) != MaxRows {
			b.Fatal(err)
		}
	}
}

func BenchmarkExcelizeRows(b *testing.B) {
	data := bigBook(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ts, err := readXLSX(data)
		if err != nil || len(ts[0].rows) != MaxRows+2 {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadCSV reads the same 5,000 rows as a GBK-free UTF-8 CSV.
func BenchmarkReadCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("货号,商品名称,品牌,颜色,售价（元）,进货价,数量,货位\n")
	for i := range MaxRows {
		fmt.Fprintf(&sb, "TB-%05d,棕色托特包,Coach,棕,\"¥1,%03d\",600.5,2,A-1\n", i, i%1000)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Read("big.csv", data, Options{})
		if err != nil || len(f.Rows) != MaxRows {
			b.Fatal(err)
		}
	}
}
