package imports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// Options choose what to read from an uploaded file.
type Options struct {
	// Sheet is the workbook sheet to import; empty: the first visible sheet with a recognisable
	// header. A CSV file has one sheet and ignores it.
	Sheet string
}

// Sheet is one sheet of a workbook as the preview lists it.
type Sheet struct {
	Name   string `json:"name"`
	Rows   int    `json:"rows"`             // non-empty rows, header and title rows included
	Over   bool   `json:"over,omitempty"`   // more rows than one import takes
	Header bool   `json:"header"`           // a header with 名称 and 售价 was found
	Hidden bool   `json:"hidden,omitempty"` // hidden in Excel
}

// File is an uploaded file as it was understood.
type File struct {
	Name      string   `json:"name"`
	Hash      string   `json:"sha256"`
	Encoding  string   `json:"encoding"` // UTF-8, GBK, UTF-16 (a CSV) or xlsx
	Sheets    []Sheet  `json:"sheets"`
	Sheet     string   `json:"sheet"`      // the sheet read ("" for a CSV)
	HeaderRow int      `json:"header_row"` // 1-based, as Excel shows it
	Columns   []Column `json:"columns"`
	Notes     []string `json:"notes,omitempty"` // rows left out on purpose (合计)
	Rows      []Row    `json:"-"`
}

// Row is one data row of an uploaded file: the product it describes, or why it cannot be one.
type Row struct {
	Row     int             `json:"row"` // the row number in the sheet (1-based, as Excel shows it)
	Product shop.NewProduct `json:"product"`
	Error   string          `json:"error,omitempty"`
	// Key identifies the bag across uploads (see identity); Dup is the earlier row of this file
	// with the same key; Existing the code of the bag already in the shop.
	Key      string `json:"key,omitempty"`
	Dup      int    `json:"dup,omitempty"`
	Existing string `json:"existing,omitempty"`
	// Supplier is the 供应商 cell; one the shop does not know is kept in the notes.
	Supplier string   `json:"supplier,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// ParseError is a file that cannot be imported; its message is for the person who uploaded it.
// Sheets lists the workbook's sheets when the file could be opened (to pick another one).
type ParseError struct {
	Msg    string
	Sheets []Sheet
}

func (e *ParseError) Error() string { return e.Msg }

// Parse reads a file with the default options and returns its rows.
func Parse(name string, data []byte) ([]Row, error) {
	f, err := Read(name, data, Options{})
	if err != nil {
		return nil, err
	}
	return f.Rows, nil
}

// Read reads an .xlsx or .csv file: title rows, then a header row (any of the usual Chinese or
// English column names), then one product per row. Bad rows are returned with their error; a bad
// file is a *ParseError.
func Read(name string, data []byte, o Options) (*File, error) {
	if len(data) > MaxBytes {
		return nil, &ParseError{Msg: fmt.Sprintf("文件不能超过 %d MB (file too large)", MaxBytes>>20)}
	}
	tables, enc, err := readTables(name, data)
	if err != nil {
		return nil, &ParseError{Msg: err.Error()}
	}
	sum := sha256.Sum256(data)
	f := &File{Name: name, Hash: hex.EncodeToString(sum[:]), Encoding: enc}
	chosen := -1
	for i, t := range tables {
		s := Sheet{Name: t.name, Over: t.over, Hidden: t.hidden}
		for _, r := range t.rows {
			if r != nil {
				s.Rows++
			}
		}
		_, fields, _ := findHeader(t.rows)
		_, hasName := fields[fName]
		_, hasPrice := fields[fPrice]
		s.Header = hasName && hasPrice
		if o.Sheet == "" && chosen < 0 && s.Header && !s.Hidden {
			chosen = i
		}
		if o.Sheet != "" && t.name == o.Sheet && enc == EncXLSX {
			chosen = i
		}
		f.Sheets = append(f.Sheets, s)
	}
	switch {
	case enc != EncXLSX:
		chosen = 0
	case o.Sheet != "" && chosen < 0:
		return nil, &ParseError{Msg: fmt.Sprintf("工作表「%s」不存在 (no such sheet)", o.Sheet), Sheets: f.Sheets}
	case chosen < 0:
		chosen = 0
	}
	t := tables[chosen]
	f.Sheet = t.name
	if err := f.readSheet(t); err != nil {
		return nil, &ParseError{Msg: err.Error(), Sheets: f.Sheets}
	}
	return f, nil
}

func (f *File) readSheet(t table) error {
	where := ""
	if t.name != "" && len(f.Sheets) > 1 {
		where = "工作表「" + t.name + "」"
	}
	if t.over {
		return fmt.Errorf("%s超过 %d 行，一次最多导入 %d 行，请分成几个文件 (too many rows)", where, MaxRows, MaxRows)
	}
	h, fields, cols := findHeader(t.rows)
	if h < 0 {
		if len(t.rows) == 0 {
			return fmt.Errorf("%s是空的 (empty sheet)", or(where, "文件"))
		}
		return fmt.Errorf("%s前 %d 行中找不到表头：需要“名称”“售价”等列名 (no header row found)", where, headerScan)
	}
	for _, need := range []string{fName, fPrice} {
		if _, ok := fields[need]; !ok {
			return fmt.Errorf("%s缺少“%s”列（可用列名：%s）(missing column)", where, fieldLabels[need],
				strings.Join(synonyms[need][:min(6, len(synonyms[need]))], "、"))
		}
	}
	f.HeaderRow, f.Columns = h+1, cols
	data := t.rows[h+1:]
	n := 0
	for _, r := range data {
		if r != nil {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%s只有表头，没有数据行 (no data rows)", where)
	}
	if n > MaxRows {
		return fmt.Errorf("%s有 %d 行数据，一次最多导入 %d 行，请分成几个文件 (too many rows)", where, n, MaxRows)
	}
	first := map[string]int{} // identity → first row with it
	for i, cells := range data {
		if cells == nil {
			continue
		}
		r := readRow(h+2+i, cells, fields)
		if r.Product.Name != "" && isTotalRow(r.Product.Name) && r.Product.Code == "" {
			f.Notes = append(f.Notes, fmt.Sprintf("第 %d 行是合计行，已忽略", r.Row))
			continue
		}
		if r.Error == "" {
			r.Key = identity(r.Product)
			if at, ok := first[r.Key]; ok {
				r.Dup = at
			} else {
				first[r.Key] = r.Row
			}
		}
		f.Rows = append(f.Rows, r)
	}
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readRow turns a data row into a product; the first problem found is the row's error, with the
// cell's text so that the person can find it.
func readRow(num int, cells []string, cols map[string]int) Row {
	r := Row{Row: num}
	get := func(f string) string {
		if c, ok := cols[f]; ok && c < len(cells) {
			return cells[c]
		}
		return ""
	}
	fail := func(msg string) {
		if r.Error == "" {
			r.Error = msg
		}
	}
	money := func(f string) shop.Money {
		v := get(f)
		if v == "" {
			return 0
		}
		m, err := parseMoney(v)
		if err != nil {
			fail(fmt.Sprintf("%s「%s」不是有效金额", fieldLabels[f], clip(v)))
		}
		return m
	}
	p := shop.NewProduct{Name: get(fName), Brand: get(fBrand), Model: get(fModel), Color: get(fColor),
		Location: get(fLocation), Notes: get(fNotes)}
	if p.Name == "" {
		fail("缺少名称")
	}
	if get(fPrice) == "" {
		fail("缺少售价")
	}
	p.Price, p.Floor, p.Cost = money(fPrice), money(fFloor), money(fCost)
	if p.Price == 0 && get(fPrice) != "" && r.Error == "" {
		fail(fmt.Sprintf("售价「%s」须大于 0", clip(get(fPrice))))
	}
	p.Stock = 1
	if v := get(fStock); v != "" {
		n, err := parseCount(v)
		if err != nil {
			fail(fmt.Sprintf("库存「%s」不是整数", clip(v)))
		}
		p.Stock = n
	}
	if v := get(fCode); v != "" {
		if p.Code = shop.NormalizeCode(squeeze(v)); p.Code == "" {
			fail(fmt.Sprintf("编码「%s」只能含字母、数字、- 和 _，最多 40 位", clip(v)))
		}
	}
	if v := get(fPhoto); v != "" {
		if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
			p.PhotoURL = v
		} else {
			r.Warnings = append(r.Warnings, "图片不是网址，已忽略")
		}
	}
	r.Supplier = get(fSupplier)
	r.Product = p
	return r
}

// clip shortens a cell's text for a message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 20 {
		return s
	}
	return string([]rune(s)[:20]) + "…"
}
