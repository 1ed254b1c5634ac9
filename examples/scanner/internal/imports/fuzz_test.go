package imports

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any upload (CSV in any encoding, a workbook, anything else) is either refused with a
// *ParseError or read into rows that each carry a product or an error; never a panic. The seed
// corpus is the spreadsheets in testdata/ and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("名称,售价,库存\n托特包,1299,2\n"), uint8(0), "")
	f.Add([]byte("\ufeffname,price,stock,cost\nbag,\"1,299.50\",x,¥3\n,,,\n"), uint8(0), "")
	f.Add([]byte("编码,名称,售价\n中文,包,-1\n"), uint8(0), "")
	f.Add([]byte("店铺清单\n\n品名\t零售价（元）\t数量\n包\t￥１，２９９\t2件\n合计\t1299\t2\n"), uint8(2), "")
	seeds, _ := filepath.Glob("testdata/*.*")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(1), "")
		f.Add(b, uint8(0), "在售")
	}
	names := []string{"f.csv", "f.xlsx", "f.txt", "f.bin"}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, sheet string) {
		file, err := Read(names[int(kind)%len(names)], data, Options{Sheet: sheet})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Msg == "" {
				t.Fatalf("not a ParseError: %v", err)
			}
			return
		}
		if len(file.Rows) == 0 && len(file.Notes) == 0 {
			t.Fatal("a file without data rows was accepted")
		}
		if len(file.Rows) > MaxRows {
			t.Fatalf("%d rows", len(file.Rows))
		}
		last := file.HeaderRow
		for _, r := range file.Rows {
			if r.Row <= last {
				t.Fatalf("row %d after row %d (header %d)", r.Row, last, file.HeaderRow)
			}
			last = r.Row
			if r.Error != "" {
				continue
			}
			if r.Product.Name == "" || r.Product.Price <= 0 || r.Product.Stock < 0 || r.Key == "" {
				t.Fatalf("row %d has no error but %+v", r.Row, r.Product)
			}
			if r.Dup >= r.Row {
				t.Fatalf("row %d duplicates a later row %d", r.Row, r.Dup)
			}
		}
	})
}
