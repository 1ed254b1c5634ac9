package wecomtest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func TestStateFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "fake.json")
	srv := wecomtest.NewServer(wecomtest.WithStateFile(path))
	_, f := func() (*wecomtest.Server, *sheetFixture) {
		c := newRaw(t, srv)
		tok := c.token()
		doc, sheet, _, _ := newDoc(c, tok)
		return srv, &sheetFixture{c: c, tok: tok, doc: doc, sheet: sheet}
	}()
	ids := f.add(map[string]any{"款号": text("B-001"), "库存": 3}, map[string]any{"款号": text("B-002"), "库存": 1})
	f.call("add_fields", map[string]any{"fields": []any{map[string]any{"field_title": "颜色", "field_type": "FIELD_TYPE_SINGLE_SELECT", "property_single_select": map[string]any{}}}})
	f.call("update_records", map[string]any{"records": []any{map[string]any{"record_id": ids[1], "values": map[string]any{"颜色": []any{map[string]any{"text": "棕"}}}}}})
	img := f.c.ok("POST", "/cgi-bin/wedoc/image_upload", tq(f.tok), fixture(t, "wedoc/image_upload/request.json", "DOCID", f.doc))
	mp := f.c.mpToken()
	f.c.ok("POST", "/cgi-bin/qrcode/create", tq(mp), fixture(t, "qrcode/create/request_qr_limit_str_scene.json"))
	srv.Follow("oFan")
	f.c.ok("POST", "/cgi-bin/message/template/send", tq(mp), map[string]any{"touser": "oFan", "template_id": "t"})
	before := f.get(map[string]any{})
	srv.Close()

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, json.Valid(data))
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp*"))
	assert.Empty(t, leftovers, "written atomically: no temporary files left")

	srv2 := newServer(t, wecomtest.WithStateFile(path))
	c2 := newRaw(t, srv2)
	tok := c2.token()
	f2 := &sheetFixture{c: c2, tok: tok, doc: f.doc, sheet: f.sheet}
	after := f2.get(map[string]any{})
	assert.Equal(t, before["records"], after["records"], "records, values and times survive a restart")
	assert.Equal(t, before["ver"], after["ver"])
	more := f2.add(map[string]any{"款号": text("B-003")})
	assert.NotContains(t, ids, more[0])
	assert.Len(t, f2.get(map[string]any{})["records"], 3, "the byID index is rebuilt")
	assert.Len(t, srv2.QRTickets(), 1)
	assert.Len(t, srv2.Messages(wecomtest.MessageTemplate), 1)
	assert.Zero(t, c2.errcode("POST", "/cgi-bin/message/template/send", tq(c2.mpToken()), map[string]any{"touser": "oFan", "template_id": "t"}),
		"followers survive")
	stored, ctype, ok := srv2.Media(img["url"].(string))
	assert.True(t, ok)
	assert.Equal(t, "image/png", ctype)
	assert.NotEmpty(t, stored)
	require.NoError(t, srv2.Save())
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{"), 0o600))
	_, err := wecomtest.NewHandler(wecomtest.WithStateFile(bad))
	assert.Error(t, err)
	old := filepath.Join(dir, "old.json")
	require.NoError(t, os.WriteFile(old, []byte(`{"version":99}`), 0o600))
	_, err = wecomtest.NewHandler(wecomtest.WithStateFile(old))
	assert.ErrorContains(t, err, "version")

	h, err := wecomtest.NewHandler(wecomtest.WithStateFile(filepath.Join(dir, "new.json")))
	require.NoError(t, err, "a missing file is a fresh start")
	require.NoError(t, h.Close())
	require.NoError(t, h.Close(), "Close is idempotent")
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opt  wecomtest.Option
	}{
		{"empty corp", wecomtest.WithCorpID("")},
		{"app without secret", wecomtest.WithApp(wecomtest.App{AgentID: 1})},
		{"member without id", wecomtest.WithMember(wecomtest.Member{})},
		{"bad rate", wecomtest.WithFailureRate(2, 0)},
		{"bad public URL", wecomtest.WithPublicURL("/relative")},
		{"bad callback key", wecomtest.WithOfficialAccountCallback(wecomtest.CallbackConfig{URL: "http://x", Token: "t", EncodingAESKey: "short"})},
		{"nil clock", wecomtest.WithClock(nil)},
		{"zero TTL", wecomtest.WithTokenTTL(0)},
	}
	for _, tt := range tests {
		_, err := wecomtest.NewHandler(tt.opt)
		assert.Error(t, err, tt.name)
	}
	assert.Panics(t, func() { wecomtest.NewServer(wecomtest.WithCorpID("")) }, "NewServer panics like httptest")
	_, err := wecomtest.NewHandler(wecomtest.WithApp(wecomtest.App{AgentID: 1, Secret: "a"}), wecomtest.WithApp(wecomtest.App{AgentID: 1, Secret: "b"}))
	assert.Error(t, err, "duplicate agent id")
}
