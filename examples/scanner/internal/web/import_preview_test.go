package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func importFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "imports", "testdata", name))
	require.NoError(t, err)
	return b
}

// postFile posts a multipart upload (field "file", and "sheet" when given) and decodes the answer.
func (e *testEnv) postFile(t *testing.T, user, path, name string, data []byte, sheet string) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, _ = fw.Write(data)
	if sheet != "" {
		require.NoError(t, mw.WriteField("sheet", sheet))
	}
	require.NoError(t, mw.Close())
	resp, body := e.do(t, user, "POST", path, mw.FormDataContentType(), buf.Bytes())
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), string(body))
	return resp.StatusCode, m
}

// The preview lists the sheets, the header as understood and per row what would happen; it writes
// nothing. Confirming sends the same file and sheet; uploading it again creates nothing twice.
func TestImportPreviewThenConfirm(t *testing.T) {
	e := newEnv(t)
	book := importFixture(t, "sheets.xlsx")
	st, p := e.postFile(t, "lisi", "/api/import/preview", "库存.xlsx", book, "")
	require.Equal(t, http.StatusOK, st, p)
	assert.Equal(t, "在售", p["sheet"], "the first sheet with a header")
	assert.Equal(t, "xlsx", p["encoding"])
	assert.EqualValues(t, 1, p["header_row"])
	sheets := p["sheets"].([]any)
	require.Len(t, sheets, 3)
	assert.Equal(t, map[string]any{"name": "说明", "rows": 1.0, "header": false}, sheets[0])
	assert.EqualValues(t, 3, p["create"])
	cols := p["columns"].([]any)
	assert.Equal(t, map[string]any{"index": 1.0, "letter": "B", "header": "价格", "field": "price", "label": "售价"}, cols[1])
	rows := p["rows"].([]any)
	require.Len(t, rows, 3)
	assert.Equal(t, map[string]any{"row": 3.0, "status": "create", "name": "白色腋下包", "price": 999.0, "stock": 1.0}, rows[1])

	st, p = e.postFile(t, "lisi", "/api/import/preview", "库存.xlsx", book, "已售")
	require.Equal(t, http.StatusOK, st, p)
	assert.Equal(t, "已售", p["sheet"])
	assert.EqualValues(t, 2, p["create"])
	n, err := e.st.ProductCount(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n, "a preview writes nothing")

	st, m := e.postFile(t, "lisi", "/api/import", "库存.xlsx", book, "已售")
	require.Equal(t, http.StatusAccepted, st, m)
	require.NoError(t, e.jobs.RunOnce(t.Context()))
	_, done := e.json(t, "lisi", "GET", "/api/import/"+m["job"].(string), nil)
	assert.EqualValues(t, 2, done["created"])
	assert.Equal(t, "新增 2 件", done["summary"])
	assert.Equal(t, "库存.xlsx · 已售", done["file"])

	st, p = e.postFile(t, "lisi", "/api/import/preview", "库存.xlsx", book, "已售")
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 0, p["create"])
	assert.EqualValues(t, 2, p["exists"])
	assert.Contains(t, p["rows"].([]any)[0].(map[string]any)["reason"], "店内已有")

	st, m = e.postFile(t, "lisi", "/api/import", "库存.xlsx", book, "已售")
	require.Equal(t, http.StatusAccepted, st, m)
	require.NoError(t, e.jobs.RunOnce(t.Context()))
	_, again := e.json(t, "lisi", "GET", "/api/import/"+m["job"].(string), nil)
	assert.EqualValues(t, 0, again["created"])
	assert.Equal(t, "已存在 2 件，未重复创建", again["summary"])
	resp, page := e.do(t, "lisi", "GET", "/import/"+m["job"].(string), "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "已存在 2 件，未重复创建")
	n, err = e.st.ProductCount(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	resp, page = e.do(t, "lisi", "GET", "/import", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), `id="import-preview-form"`)
}

// Bad uploads are a 4xx with the reason in Chinese, on both endpoints, and nothing is written.
func TestImportBadFiles(t *testing.T) {
	e := newEnv(t)
	var many strings.Builder
	many.WriteString("名称,售价\n")
	for range 5001 {
		many.WriteString("包,1\n")
	}
	for _, path := range []string{"/api/import/preview", "/api/import"} {
		for _, c := range []struct {
			name, data string
			sheet      string
			status     int
			msg        string
		}{
			{"photo.png", "\x89PNG\r\n\x1a\n", "", 422, "仅支持 .xlsx 和 .csv"},
			{"a.xlsx", "PK\x03\x04junk", "", 422, "不是有效的 Excel 文件"},
			{"a.csv", "", "", 422, "文件是空的"},
			{"a.csv", "你好\n世界\n", "", 422, "找不到表头"},
			{"a.csv", "名称,售价\n", "", 422, "没有数据行"},
			{"many.csv", many.String(), "", 422, "一次最多导入 5000 行"},
			{"b.xlsx", string(importFixture(t, "sheets.xlsx")), "没有", 422, "工作表「没有」不存在"},
			{"big.csv", strings.Repeat("a", 10<<20+10), "", 413, "文件不能超过 10 MB"},
		} {
			st, m := e.postFile(t, "lisi", path, c.name, []byte(c.data), c.sheet)
			assert.Equal(t, c.status, st, "%s %s %v", path, c.name, m)
			assert.Contains(t, m["message"], c.msg, "%s %s", path, c.name)
		}
		resp, body := e.do(t, "lisi", "POST", path, "multipart/form-data; boundary=x", []byte("--x--"))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		resp, _ = e.do(t, "lisi", "POST", path, "text/csv", []byte("名称,售价\n包,1\n"))
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	}
	_, m := e.postFile(t, "lisi", "/api/import/preview", "b.xlsx", importFixture(t, "sheets.xlsx"), "说明")
	assert.Len(t, m["sheets"], 3, "a sheet without a header: the others are offered")
	n, err := e.st.ProductCount(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n)
	jobs, err := e.st.RecentJobs(t.Context(), 10)
	require.NoError(t, err)
	assert.Empty(t, jobs, "no job for a bad file")
}
