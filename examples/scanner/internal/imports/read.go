package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const (
	// MaxBytes bounds an uploaded file.
	MaxBytes = 10 << 20
	// MaxRows bounds the data rows of one sheet.
	MaxRows = 5000
	// headerScan is how many rows from the top are searched for the header (title rows, a date,
	// the shop's name above it).
	headerScan = 10
	// maxScanRows bounds the rows (empty ones included) read from one sheet: a sheet formatted
	// down to row 1,048,576 is not read to its end.
	maxScanRows = 20 * MaxRows
	// maxCells bounds the columns read from a row.
	maxCells = 100
	// maxUnzipped bounds an .xlsx file's unpacked size (a zip bomb is refused, not unpacked); a
	// sheet of 5,000 rows unpacks to a few MB.
	maxUnzipped = 64 << 20
)

// table is one sheet (a CSV file is a single sheet with no name) as rows of trimmed cells.
type table struct {
	name   string
	hidden bool
	rows   [][]string
	over   bool // more rows than a sheet may hold
}

// Encodings a CSV is read in.
const (
	EncUTF8  = "UTF-8"
	EncGBK   = "GBK"
	EncUTF16 = "UTF-16"
	EncXLSX  = "xlsx"
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") // .xls (Excel 97–2003), also .et / .doc
)

// readTables reads a workbook's sheets or a CSV file. The content decides, not the file name: an
// .xlsx renamed .csv is still read as a workbook.
func readTables(name string, data []byte) ([]table, string, error) {
	lower := strings.ToLower(name)
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, "", errors.New("文件是空的 (empty file)")
	case bytes.HasPrefix(data, zipMagic):
		ts, err := readXLSX(data)
		return ts, EncXLSX, err
	case bytes.HasPrefix(data, oleMagic):
		// An .xls (Excel 97–2003) file, or an .xlsx with a password (Office encrypts it into the
		// same container).
		return nil, "", errors.New("暂不支持旧版 .xls 或有密码保护的文件，请在 Excel/WPS 中取消密码并另存为 .xlsx 或 .csv 后上传 (.xls or password-protected)")
	case strings.HasSuffix(lower, ".xlsx") || strings.HasSuffix(lower, ".xlsm"):
		return nil, "", errors.New("不是有效的 Excel 文件，请确认文件未损坏 (not a valid .xlsx file)")
	case !(strings.HasSuffix(lower, ".csv") || strings.HasSuffix(lower, ".txt") || strings.HasSuffix(lower, ".tsv")):
		return nil, "", errors.New("仅支持 .xlsx 和 .csv 文件 (only .xlsx and .csv)")
	}
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, "", err
	}
	t, err := readCSV(text)
	if err != nil {
		return nil, "", err
	}
	return []table{t}, enc, nil
}

// decodeText returns a CSV file as UTF-8: UTF-8 with or without a BOM as it is, UTF-16 with a BOM
// (Excel's 「Unicode 文本」), otherwise GBK — what Excel and WPS on Chinese Windows write for
// 「CSV (逗号分隔)」. GB18030 is read, the superset of GBK and GB2312.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", errors.New("文件编码错误：标记为 UTF-8 但含无效字符 (invalid UTF-8)")
		}
		return string(data), EncUTF8, nil
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, err := io.ReadAll(transform.NewReader(bytes.NewReader(data), dec))
		if err != nil || !utf8.Valid(out) {
			return "", "", errors.New("无法识别文件编码 (unreadable UTF-16)")
		}
		return string(out), EncUTF16, nil
	case utf8.Valid(data):
		return string(data), EncUTF8, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) || bytes.IndexByte(out, 0) >= 0 {
		return "", "", errors.New("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV (unknown text encoding)")
	}
	return string(out), EncGBK, nil
}

// readCSV reads comma-, tab- or semicolon-separated text; the separator is the one the first lines
// use most.
func readCSV(text string) (table, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = sniffComma(text)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // stray quotes in names (15" 托特包) are common
	var t table
	for {
		from := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := cr.FieldPos(0)
			return t, fmt.Errorf("CSV 格式错误（第 %d 行）(malformed CSV)", line)
		}
		// The reader skips empty lines; a spreadsheet shows them as rows, and the row numbers
		// in messages must be the ones the shop sees.
		for rest := text[from:]; len(t.rows) < maxScanRows && (strings.HasPrefix(rest, "\n") || strings.HasPrefix(rest, "\r\n")); {
			t.rows = append(t.rows, nil)
			rest = rest[strings.IndexByte(rest, '\n')+1:]
		}
		if len(t.rows) >= maxScanRows {
			t.over = true
			break
		}
		t.rows = append(t.rows, cleanRow(rec))
	}
	return t, nil
}

func sniffComma(text string) rune {
	head := text[:min(len(text), 4096)]
	best, n := ',', strings.Count(head, ",")
	for _, c := range []rune{'\t', ';'} {
		if k := strings.Count(head, string(c)); k > n {
			best, n = c, k
		}
	}
	return best
}

// readXLSX reads every sheet of a workbook with raw cell values: a price cell formatted as
// "¥1,299.00" reads 1299, a stock of 2 reads 2, whatever the cell's number format.
func readXLSX(data []byte) ([]table, error) {
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		if strings.Contains(err.Error(), "exceeds") {
			return nil, errors.New("这个 Excel 文件解压后过大 (workbook too large)")
		}
		return nil, errors.New("不是有效的 Excel 文件，请确认文件未损坏 (not a valid .xlsx file)")
	}
	defer x.Close()
	var out []table
	for _, name := range x.GetSheetList() {
		t := table{name: name}
		if v, err := x.GetSheetVisible(name); err == nil {
			t.hidden = !v
		}
		rows, err := x.Rows(name)
		if err != nil {
			continue // a chart sheet or a damaged one: not a table
		}
		raw, content := 0, 0
		for rows.Next() {
			raw++
			cells, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				break
			}
			row := cleanRow(cells)
			if len(row) > 0 {
				content++
				t.rows = append(t.rows, make([][]string, raw-1-len(t.rows))...)
				t.rows = append(t.rows, row)
			}
			if content > MaxRows+headerScan || raw >= maxScanRows {
				t.over = true
				break
			}
		}
		_ = rows.Close()
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("这个 Excel 文件没有工作表 (no sheets)")
	}
	return out, nil
}

// cleanRow trims the cells and drops the empty ones at the end (nil for an empty row).
func cleanRow(cells []string) []string {
	if len(cells) > maxCells {
		cells = cells[:maxCells]
	}
	end := 0
	for i, c := range cells {
		c = strings.TrimSpace(strings.ReplaceAll(c, "\u00a0", " "))
		cells[i] = c
		if c != "" {
			end = i + 1
		}
	}
	if end == 0 {
		return nil
	}
	return cells[:end]
}
