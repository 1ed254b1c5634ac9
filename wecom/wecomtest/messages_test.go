package wecomtest_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

func TestMessageSend(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok := c.token()
	req := fixture(t, "message/send/request_text.json", "USERID1", wecomtest.DefaultUserID, "USERID2", "ghost")
	_, body := c.do("POST", "/cgi-bin/message/send", tq(tok), req)
	assertShape(t, fixture(t, "message/send/ok.json"), body, "invalidparty", "invalidtag", "unlicenseduser", "response_code")
	assert.Contains(t, string(body), `"invaliduser":"ghost"`)

	_, body = c.do("POST", "/cgi-bin/message/send", tq(tok), fixture(t, "message/send/request_textcard.json", "USERID1", wecomtest.DefaultUserID))
	assertShape(t, fixture(t, "message/send/ok.json"), body, "invaliduser", "invalidparty", "invalidtag", "unlicenseduser", "response_code")

	msgs := srv.Messages(wecomtest.MessageApp)
	require.Len(t, msgs, 2)
	assert.Equal(t, "你的快递已到，请携带工卡前往邮件中心领取。", msgs[0].Content)
	assert.Equal(t, wecomtest.DefaultAgentID, msgs[0].AgentID)
	assert.Equal(t, "textcard", msgs[1].MsgType)
	var card struct {
		TextCard struct{ Title string } `json:"textcard"`
	}
	require.NoError(t, msgs[1].Decode(&card))
	assert.Equal(t, "领奖通知", card.TextCard.Title)

	send := func(body map[string]any) int {
		if _, set := body["agentid"]; !set {
			body["agentid"] = wecomtest.DefaultAgentID
		}
		return c.errcode("POST", "/cgi-bin/message/send", tq(tok), body)
	}
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"everybody unknown", map[string]any{"touser": "ghost", "msgtype": "text", "text": map[string]any{"content": "x"}}, 81013},
		{"nobody", map[string]any{"msgtype": "text", "text": map[string]any{"content": "x"}}, 40058},
		{"wrong agent", map[string]any{"touser": "@all", "msgtype": "text", "agentid": 7, "text": map[string]any{"content": "x"}}, 40056},
		{"unknown msgtype", map[string]any{"touser": "@all", "msgtype": "fax"}, 40008},
		{"empty text", map[string]any{"touser": "@all", "msgtype": "text", "text": map[string]any{"content": ""}}, 44004},
		{"unknown media", map[string]any{"touser": "@all", "msgtype": "image", "image": map[string]any{"media_id": "nope"}}, 40007},
		{"news without articles", map[string]any{"touser": "@all", "msgtype": "news", "news": map[string]any{"articles": []any{}}}, 40058},
		{"party only", map[string]any{"toparty": "1", "msgtype": "markdown", "markdown": map[string]any{"content": "**x**"}}, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, send(tt.body), tt.name)
	}
}

func TestMessageSendDuplicateCheck(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	tok := c.token()
	body := map[string]any{"touser": wecomtest.DefaultUserID, "msgtype": "text", "agentid": wecomtest.DefaultAgentID,
		"text": map[string]any{"content": "到货了"}, "enable_duplicate_check": 1, "duplicate_check_interval": 60}
	a := c.ok("POST", "/cgi-bin/message/send", tq(tok), body)
	b := c.ok("POST", "/cgi-bin/message/send", tq(tok), body)
	assert.Equal(t, a["msgid"], b["msgid"], "a duplicate within the interval is not sent again")
	assert.Len(t, srv.Messages(), 1)
	clk.Add(time.Minute)
	d := c.ok("POST", "/cgi-bin/message/send", tq(tok), body)
	assert.NotEqual(t, a["msgid"], d["msgid"])
	assert.Len(t, srv.Messages(), 2)
}

func TestTemplateAndCustomMessages(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	mp := c.mpToken()
	req := fixture(t, "message/template/send/request.json", "OPENID", wecomtest.DefaultOpenID)
	_, body := c.do("POST", "/cgi-bin/message/template/send", tq(mp), req)
	assertShape(t, fixture(t, "message/template/send/ok.json"), body)
	again := c.ok("POST", "/cgi-bin/message/template/send", tq(mp), req)
	assert.Contains(t, string(body), fmt.Sprintf(`"msgid":%.0f`, again["msgid"]), "client_msg_id dedupes")
	assert.Len(t, srv.Messages(wecomtest.MessageTemplate), 1)
	assert.Equal(t, 40003, c.errcode("POST", "/cgi-bin/message/template/send", tq(mp), fixture(t, "message/template/send/request.json", "OPENID", "oStranger")))
	assert.Equal(t, 40037, c.errcode("POST", "/cgi-bin/message/template/send", tq(mp), map[string]any{"touser": wecomtest.DefaultOpenID}))
	srv.Follow("oNewFan")
	c.ok("POST", "/cgi-bin/message/template/send", tq(mp), fixture(t, "message/template/send/request.json", "OPENID", "oNewFan"))

	_, body = c.do("POST", "/cgi-bin/message/custom/send", tq(mp), fixture(t, "message/custom/send/request.json", "OPENID", wecomtest.DefaultOpenID))
	assertShape(t, fixture(t, "message/custom/send/ok.json"), body)
	custom := srv.Messages(wecomtest.MessageCustom)
	require.Len(t, custom, 1)
	assert.Equal(t, "Hello World", custom[0].Content)
	assert.Equal(t, 40008, c.errcode("POST", "/cgi-bin/message/custom/send", tq(mp), map[string]any{"touser": wecomtest.DefaultOpenID, "msgtype": "x"}))
	srv.ClearMessages()
	assert.Empty(t, srv.Messages())
}

func TestWebhook(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	key := url.Values{"key": {"693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}}
	for _, f := range []string{"request_text.json", "request_markdown.json"} {
		_, body := c.do("POST", "/cgi-bin/webhook/send", key, fixture(t, "webhook/send/"+f))
		assertShape(t, fixture(t, "webhook/send/ok.json"), body)
	}
	png := fixture(t, "wedoc/image_upload/request.json")
	raw := []byte(strings.Split(string(png), `"base64_content": "`)[1][:96])
	img, err := base64.StdEncoding.DecodeString(string(raw))
	require.NoError(t, err)
	sum := md5.Sum(img)
	assert.Zero(t, c.errcode("POST", "/cgi-bin/webhook/send", key, map[string]any{"msgtype": "image",
		"image": map[string]any{"base64": string(raw), "md5": hex.EncodeToString(sum[:])}}))
	assert.Equal(t, 40058, c.errcode("POST", "/cgi-bin/webhook/send", key, map[string]any{"msgtype": "image",
		"image": map[string]any{"base64": string(raw), "md5": "0123"}}), "md5 mismatch")
	assert.Equal(t, 93000, c.errcode("POST", "/cgi-bin/webhook/send", nil, fixture(t, "webhook/send/request_text.json")))
	assert.Equal(t, 45002, c.errcode("POST", "/cgi-bin/webhook/send", key, map[string]any{"msgtype": "text",
		"text": map[string]any{"content": strings.Repeat("x", 2049)}}))
	for range 17 {
		require.Zero(t, c.errcode("POST", "/cgi-bin/webhook/send", key, fixture(t, "webhook/send/request_text.json")))
	}
	assert.Equal(t, 45009, c.errcode("POST", "/cgi-bin/webhook/send", key, fixture(t, "webhook/send/request_text.json")),
		"20 messages a minute per robot")
	clk.Add(time.Minute)
	assert.Zero(t, c.errcode("POST", "/cgi-bin/webhook/send", key, fixture(t, "webhook/send/request_text.json")))
	msgs := srv.Messages(wecomtest.MessageWebhook)
	assert.Len(t, msgs, 21)
	assert.Equal(t, "markdown", msgs[1].MsgType)
}

func TestMenu(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	tok, mp := c.token(), c.mpToken()
	agent := fmt.Sprint(wecomtest.DefaultAgentID)
	menu := map[string]any{"button": []any{map[string]any{"type": "scancode_waitmsg", "name": "扫码", "key": "scan"}}}
	assert.Equal(t, 46003, c.errcode("GET", "/cgi-bin/menu/get", tq(tok, "agentid", agent), nil))
	c.ok("POST", "/cgi-bin/menu/create", tq(tok, "agentid", agent), menu)
	m := c.ok("GET", "/cgi-bin/menu/get", tq(tok, "agentid", agent), nil)
	assert.Equal(t, menu["button"], m["button"])
	assert.Equal(t, 40056, c.errcode("GET", "/cgi-bin/menu/get", tq(tok, "agentid", "1"), nil))
	c.ok("POST", "/cgi-bin/menu/create", tq(mp), menu)
	m = c.ok("GET", "/cgi-bin/menu/get", tq(mp), nil)
	assert.Equal(t, menu, m["menu"], "公众号 wraps the menu")
	assert.Equal(t, 40016, c.errcode("POST", "/cgi-bin/menu/create", tq(mp), map[string]any{"button": []any{}}))
	c.ok("GET", "/cgi-bin/menu/delete", tq(tok, "agentid", agent), nil)
	assert.Equal(t, 46003, c.errcode("GET", "/cgi-bin/menu/get", tq(tok, "agentid", agent), nil))
}

// upload posts a multipart media upload.
func upload(t *testing.T, c *raw, path string, q url.Values, name string, data []byte) (int, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("media", name)
	require.NoError(t, err)
	_, _ = part.Write(data)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", c.srv.URL+path+"?"+q.Encode(), &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func TestMedia(t *testing.T) {
	clk := newClock()
	srv := newServer(t, wecomtest.WithClock(clk.Now))
	c := newRaw(t, srv)
	tok := c.token()
	png := []byte("\x89PNG\r\n\x1a\n0000000000000000")
	_, body := upload(t, c, "/cgi-bin/media/upload", tq(tok, "type", "image"), "a.png", png)
	assertShape(t, fixture(t, "media/upload/ok.json"), body)
	m := c.json("POST", "/cgi-bin/media/upload", tq(tok, "type", "file"), nil) // not multipart
	assert.EqualValues(t, 44001, m["errcode"])
	_, body = upload(t, c, "/cgi-bin/media/upload", tq(tok, "type", "file"), "notes.txt", []byte("hello media"))
	var up struct {
		MediaID string `json:"media_id"`
	}
	require.NoError(t, json.Unmarshal(body, &up))
	mediaID := up.MediaID
	require.NotEmpty(t, mediaID)
	status, data := c.do("GET", "/cgi-bin/media/get", tq(tok, "media_id", mediaID), nil)
	assert.Equal(t, 200, status)
	assert.Equal(t, "hello media", string(data))
	stored, ctype, found := srv.Media(mediaID)
	assert.True(t, found)
	assert.Equal(t, "hello media", string(stored))
	assert.Contains(t, ctype, "text/plain")
	req, _ := http.NewRequest("GET", srv.URL+"/cgi-bin/media/get?"+tq(tok, "media_id", mediaID).Encode(), nil)
	req.Header.Set("Range", "bytes=0-4")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, "hello", string(part))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), `filename=notes.txt`)

	_, body = c.do("GET", "/cgi-bin/media/get", tq(tok, "media_id", "nope"), nil)
	assertShape(t, fixture(t, "media/get/40007.json"), body)
	assert.Contains(t, string(body), "40007")
	clk.Add(72 * time.Hour)
	_, body = c.do("GET", "/cgi-bin/media/get", tq(c.token(), "media_id", mediaID), nil)
	assert.Contains(t, string(body), `"errcode":40007`, "media expire after 3 days")

	tok = c.token()
	tests := []struct {
		name, typ string
		data      []byte
		want      string
	}{
		{"unknown type", "doc", png, `"errcode":40005`},
		{"too small", "file", []byte("tiny"), `"errcode":40006`},
		{"image not an image", "image", []byte("GIF89a-not-allowed"), `"errcode":40004`},
		{"voice too big", "voice", make([]byte, 2<<20+1), `"errcode":40006`},
	}
	for _, tt := range tests {
		_, body := upload(t, c, "/cgi-bin/media/upload", tq(tok, "type", tt.typ), "x", tt.data)
		assert.Contains(t, string(body), tt.want, tt.name)
	}

	_, body = upload(t, c, "/cgi-bin/media/uploadimg", tq(tok), "a.png", png)
	assertShape(t, fixture(t, "media/uploadimg/ok.json"), body)
	var img struct {
		URL string `json:"url"`
	}
	require.NoError(t, json.Unmarshal(body, &img))
	resp, err = http.Get(img.URL)
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, png, got, "the uploadimg URL serves the image")
	mp := c.mpToken()
	m = c.json("POST", "/cgi-bin/media/upload", tq(mp, "type", "image"), nil)
	assert.EqualValues(t, 44001, m["errcode"])
	_, body = upload(t, c, "/cgi-bin/media/upload", tq(mp, "type", "image"), "a.png", png)
	assert.Contains(t, string(body), `"created_at":`)
	assert.NotContains(t, string(body), `"created_at":"`, "公众号 answers created_at as a number")
}
