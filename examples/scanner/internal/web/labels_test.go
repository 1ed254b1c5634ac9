package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// decodeBoth reads a label PNG's QR with gozxing (pure hint: TRY_HARDER) and with zbarimg.
func decodeBoth(t *testing.T, b []byte) (string, string) {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err, "gozxing")
	bin := testsvc.Require(t, "zbarimg", "apt-get install zbar-tools")
	f := filepath.Join(t.TempDir(), "label.png")
	require.NoError(t, os.WriteFile(f, b, 0o600))
	out, err := exec.Command(bin, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", f).Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 4) {
		t.Fatalf("zbarimg: %v", err)
	}
	return res.GetText(), strings.TrimSpace(string(out))
}

// Label settings (stored, managers only), the logo uploaded once and put in every QR's centre,
// labels of each stock decoding with two decoders, the preview, and bad input.
func TestLabelSettingsLogoAndPDF(t *testing.T) {
	e := newEnv(t)
	code := e.register(t, map[string]any{"name": "焦糖色托特包", "color": "焦糖色", "price": 12800, "stock": 1})
	st, m := e.json(t, staff, "GET", "/api/labels/settings", nil)
	expect(t, 200, st, m)
	assert.Equal(t, "a4", m["size"])
	assert.Equal(t, true, m["price"])
	assert.Len(t, m["sizes"], 3)

	st, m = e.json(t, staff, "PUT", "/api/labels/settings", map[string]any{"price": false})
	expect(t, 403, st, m)
	st, m = e.json(t, mgr, "PUT", "/api/labels/settings", map[string]any{"size": "A0"})
	expect(t, 400, st, m)
	st, m = e.json(t, mgr, "PUT", "/api/labels/settings", map[string]any{"shop_name": strings.Repeat("店", 31)})
	expect(t, 400, st, m)
	st, m = e.json(t, mgr, "PUT", "/api/labels/settings", map[string]any{"size": "50x30", "shop_name": "贝拉箱包"})
	expect(t, 200, st, m)
	st, m = e.json(t, staff, "GET", "/api/labels/settings", nil)
	expect(t, 200, st, m)
	assert.Equal(t, "50x30", m["size"], "kept in the store")
	assert.Equal(t, "贝拉箱包", m["shop_name"])

	st, m = e.multipart(t, mgr, "POST", "/api/labels/logo", "logo", []byte("not a picture at all"))
	expect(t, 400, st, m)
	st, m = e.multipart(t, mgr, "POST", "/api/labels/logo", "other")
	expect(t, 400, st, m)
	st, m = e.multipart(t, staff, "POST", "/api/labels/logo", "logo", pngOf(t, 64, 64, color.RGBA{200, 30, 30, 255}))
	expect(t, 403, st, m)
	resp, _ := e.do(t, staff, "GET", "/labels/logo.png", "", nil)
	assert.Equal(t, 404, resp.StatusCode)
	st, m = e.multipart(t, mgr, "POST", "/api/labels/logo", "logo", pngOf(t, 600, 600, color.RGBA{200, 30, 30, 255}))
	expect(t, 200, st, m)
	require.NotEmpty(t, m["logo"])
	resp, logo := e.do(t, staff, "GET", "/labels/logo.png", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(logo))
	require.NoError(t, err)
	assert.Equal(t, 256, cfg.Width, "scaled once, on upload")
	_, _, err = e.st.Photo(t.Context(), m["logo"].(string))
	require.NoError(t, err, "the logo lives in the store")

	st, m = e.json(t, mgr, "GET", "/api/products/"+code, nil)
	require.Equal(t, 200, st)
	want := m["url"].(string)
	for _, size := range []string{"a4", "50x30", "40x30"} {
		resp, b := e.do(t, staff, "GET", "/label/"+code+".png?size="+size, "", nil)
		require.Equal(t, 200, resp.StatusCode, size)
		gz, zb := decodeBoth(t, b)
		assert.Equal(t, want, gz, "gozxing %s", size)
		assert.Equal(t, want, zb, "zbarimg %s", size)
		resp, pdf := e.do(t, staff, "GET", "/labels.pdf?size="+size+"&codes="+code, "", nil)
		require.Equal(t, 200, resp.StatusCode, size)
		assert.True(t, bytes.HasPrefix(pdf, []byte("%PDF")))
	}
	resp, b := e.do(t, staff, "GET", "/labels/preview.png?size=40x30&price=0&shop=1&shop_name=试试", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	cfg, _, err = image.DecodeConfig(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, image.Pt(472, 354), image.Pt(cfg.Width, cfg.Height), "40×30 mm at 300 dpi")

	for _, q := range []string{"", "codes=NOPE", "codes=,,,", "job=nope", "size=A0&codes=" + code, "price=maybe&codes=" + code} {
		resp, body := e.do(t, staff, "GET", "/labels.pdf?"+q, "", nil)
		assert.True(t, resp.StatusCode >= 400 && resp.StatusCode < 500, "%s: %d", q, resp.StatusCode)
		assert.Contains(t, string(body), "</html>", q)
	}
	resp, _ = e.do(t, staff, "GET", "/labels/preview.png?size=huge", "", nil)
	assert.Equal(t, 400, resp.StatusCode)

	resp, page := e.do(t, staff, "GET", "/labels?q=焦糖", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), `value="`+code+`"`)
	assert.NotContains(t, string(page), `id="settings-form"`, "staff do not change the settings")
	resp, page = e.do(t, mgr, "GET", "/labels", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), `id="logo-delete"`)

	st, m = e.json(t, mgr, "DELETE", "/api/labels/logo", nil)
	expect(t, 200, st, m)
	assert.Empty(t, m["logo"])
}

// labels.pdf?job= prints the bags an import created, once the job is done.
func TestLabelsOfImportJob(t *testing.T) {
	e := newEnv(t)
	j := e.upload(t, "bags.csv", []byte("名称,售价,库存\n棕色托特包,1299,1\n黑色斜挎包,899,2\n"))
	resp, pdf := e.do(t, staff, "GET", "/labels.pdf?job="+j["job"].(string), "", nil)
	require.Equal(t, 200, resp.StatusCode, string(pdf))
	assert.True(t, bytes.HasPrefix(pdf, []byte("%PDF")))

	// A job still running is not printed yet.
	ct, body := form(t, "file", []byte("名称,售价\n酒红色手提包,1599\n"))
	resp, data := e.do(t, mgr, "POST", "/api/import", ct, body)
	require.Equal(t, 202, resp.StatusCode, string(data))
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	resp, data = e.do(t, staff, "GET", "/labels.pdf?job="+m["job"].(string), "", nil)
	assert.Equal(t, 409, resp.StatusCode)
	assert.Contains(t, string(data), "导入尚未完成")
}
