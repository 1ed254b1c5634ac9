package imports

import (
	"errors"
	"testing"
)

// FuzzParse: any CSV is either refused with a *ParseError or parsed into rows that each carry a
// product or an error; never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("名称,售价,库存\n托特包,1299,2\n"))
	f.Add([]byte("\ufeffname,price,stock,cost\nbag,\"1,299.50\",x,¥3\n,,,\n"))
	f.Add([]byte("编码,名称,售价\n中文,包,-1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := Parse("f.csv", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a ParseError: %v", err)
			}
			return
		}
		if len(rows) > MaxRows {
			t.Fatalf("%d rows", len(rows))
		}
		for _, r := range rows {
			if r.Row < 2 {
				t.Fatalf("row number %d", r.Row)
			}
		}
	})
}
