package wecomtest_test

import (
	"bytes"
	"encoding/base64"
	"image"
	_ "image/png"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func TestQRCodeCreate(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	mp := c.mpToken()
	tests := []struct {
		fixture, want string
		expire        float64
	}{
		{"request_qr_scene.json", "ok_temporary.json", 604800},
		{"request_qr_str_scene.json", "ok_temporary.json", 604800},
		{"request_qr_limit_scene.json", "ok_permanent.json", 0},
		{"request_qr_limit_str_scene.json", "ok_permanent.json", 0},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			_, body := c.do("POST", "/cgi-bin/qrcode/create", tq(mp), fixture(t, "qrcode/create/"+tt.fixture))
			assertShape(t, fixture(t, "qrcode/create/"+tt.want), body)
			m := c.json("POST", "/cgi-bin/qrcode/create", tq(mp), fixture(t, "qrcode/create/"+tt.fixture))
			assert.NotContains(t, m, "errcode", "success has no errcode, like upstream")
			if tt.expire > 0 {
				assert.Equal(t, tt.expire, m["expire_seconds"])
			}
		})
	}
	scene := func(action string, kv ...any) map[string]any {
		s := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			s[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"action_name": action, "action_info": map[string]any{"scene": s}}
	}
	withExpire := func(m map[string]any, e int) map[string]any { m["expire_seconds"] = e; return m }
	long := string(bytes.Repeat([]byte("码"), 65))
	bad := []struct {
		name string
		body map[string]any
	}{
		{"unknown action", scene("QR_NOPE", "scene_id", 1)},
		{"temporary scene_id 0", scene("QR_SCENE", "scene_id", 0)},
		{"temporary scene_id > 32 bits", scene("QR_SCENE", "scene_id", 1<<32)},
		{"permanent scene_id 0", scene("QR_LIMIT_SCENE", "scene_id", 0)},
		{"permanent scene_id > 100000", scene("QR_LIMIT_SCENE", "scene_id", 100001)},
		{"missing scene_id", scene("QR_SCENE")},
		{"empty scene_str", scene("QR_STR_SCENE", "scene_str", "")},
		{"scene_str > 64", scene("QR_LIMIT_STR_SCENE", "scene_str", long)},
		{"expire too short", withExpire(scene("QR_SCENE", "scene_id", 1), 59)},
		{"expire too long", withExpire(scene("QR_SCENE", "scene_id", 1), 2592001)},
	}
	for _, tt := range bad {
		assert.Equal(t, 40097, c.errcode("POST", "/cgi-bin/qrcode/create", tq(mp), tt.body), tt.name)
	}
	m := c.ok("POST", "/cgi-bin/qrcode/create", tq(mp), scene("QR_SCENE", "scene_id", 4294967295))
	assert.EqualValues(t, 60, m["expire_seconds"], "absent expire_seconds → 60 s (current doc)")
	assert.Equal(t, 40001, c.errcode("POST", "/cgi-bin/qrcode/create", tq(c.token()), scene("QR_SCENE", "scene_id", 1)))
	assert.Equal(t, 47001, c.errcode("POST", "/cgi-bin/qrcode/create", tq(mp), []byte("nope")))
}

func TestShowQRCode(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	m := c.ok("POST", "/cgi-bin/qrcode/create", tq(c.mpToken()), fixture(t, "qrcode/create/request_qr_str_scene.json"))
	ticket := m["ticket"].(string)
	_, err := base64.StdEncoding.DecodeString(ticket)
	require.NoError(t, err, "tickets are standard base64, like upstream")

	status, body := c.do("GET", "/cgi-bin/showqrcode", url.Values{"ticket": {ticket}}, nil)
	require.Equal(t, http.StatusOK, status)
	img, format, err := image.Decode(bytes.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, "png", format)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	// PURE_BARCODE: the image is the symbol alone; gozxing's general detector misses ~0.7% of them.
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	require.NoError(t, err)
	assert.Equal(t, m["url"], res.GetText(), "the PNG encodes the ticket's url")

	status, _ = c.do("GET", "/cgi-bin/showqrcode", url.Values{"ticket": {"nope"}}, nil)
	assert.Equal(t, http.StatusNotFound, status)
	clk.Add(604800 * time.Second)
	status, _ = c.do("GET", "/cgi-bin/showqrcode", url.Values{"ticket": {ticket}}, nil)
	assert.Equal(t, http.StatusNotFound, status, "expired")
	assert.Len(t, srv.QRTickets(), 1)
}
