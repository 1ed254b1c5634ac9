package wecom_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

func sampleMenu() []wecom.MenuButton {
	return []wecom.MenuButton{
		{Type: wecom.MenuClick, Name: "今日歌曲", Key: "V1001_TODAY_MUSIC"},
		{Name: "菜单", SubButtons: []wecom.MenuButton{
			{Type: wecom.MenuView, Name: "搜索", URL: "http://www.soso.com/"},
			{Type: wecom.MenuMiniProgram, Name: "wxa", URL: "http://mp.weixin.qq.com", AppID: "wx286b93c14bbf93aa", PagePath: "pages/lunar/index"},
			{Type: wecom.MenuScanCodeWaitMsg, Name: "扫码入库", Key: "scan_in"},
			{Type: wecom.MenuPicPhotoOrAlbum, Name: "拍照", Key: "photo"},
		}},
	}
}

func TestMenuCreate(t *testing.T) {
	t.Run("公众号", func(t *testing.T) {
		c, mt := newMockedMP(t)
		rec := captureJSON(t, mt, http.MethodPost, testBase+"/cgi-bin/menu/create", "testdata/menu_create/ok.json")
		require.NoError(t, c.Menu().Create(t.Context(), sampleMenu()))
		body, req := rec.last(t)
		assertJSONFixture(t, "testdata/menu_create/request.json", body)
		assert.Empty(t, req.URL.Query().Get("agentid"))
	})
	t.Run("WeCom app adds agentid", func(t *testing.T) {
		c, mt := newMocked(t)
		rec := captureJSON(t, mt, http.MethodPost, testBase+"/cgi-bin/menu/create", "testdata/menu_create/ok.json")
		require.NoError(t, c.Menu().Create(t.Context(), sampleMenu()))
		body, req := rec.last(t)
		assertJSONFixture(t, "testdata/menu_create/request.json", body)
		assert.Equal(t, "1000002", req.URL.Query().Get("agentid"))
	})
}

func TestMenuValidation(t *testing.T) {
	subs := func(n int) []wecom.MenuButton {
		out := make([]wecom.MenuButton, n)
		for i := range out {
			out[i] = wecom.MenuButton{Type: wecom.MenuClick, Name: "b", Key: "k"}
		}
		return out
	}
	tests := map[string][]wecom.MenuButton{
		"empty":                   nil,
		"four top-level buttons":  subs(4),
		"six sub-buttons":         {{Name: "m", SubButtons: subs(6)}},
		"three levels":            {{Name: "m", SubButtons: []wecom.MenuButton{{Name: "s", SubButtons: subs(1)}}}},
		"click without key":       {{Type: wecom.MenuClick, Name: "b"}},
		"view without url":        {{Type: wecom.MenuView, Name: "b"}},
		"miniprogram no fallback": {{Type: wecom.MenuMiniProgram, Name: "b", AppID: "wx", PagePath: "p"}},
		"no name":                 {{Type: wecom.MenuClick, Key: "k"}},
		"no type":                 {{Name: "b"}},
		"parent without name":     {{SubButtons: subs(1)}},
		"key too long":            {{Type: wecom.MenuClick, Name: "b", Key: string(make([]byte, 129))}},
	}
	for name, buttons := range tests {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockedMP(t)
			assert.ErrorIs(t, c.Menu().Create(t.Context(), buttons), wecom.ErrInvalidRequest)
			assert.Zero(t, mt.GetTotalCallCount())
		})
	}
}

func TestMenuGet(t *testing.T) {
	t.Run("公众号 menu/get", func(t *testing.T) {
		c, mt := newMockedMP(t)
		captureJSON(t, mt, http.MethodGet, testBase+"/cgi-bin/menu/get", "testdata/menu_get/mp.json")
		got, err := c.Menu().Get(t.Context())
		require.NoError(t, err)
		assert.Equal(t, []wecom.MenuButton{
			{Type: wecom.MenuClick, Name: "今日歌曲", Key: "V1001_TODAY_MUSIC"},
			{Name: "菜单", SubButtons: []wecom.MenuButton{{Type: wecom.MenuView, Name: "搜索", URL: "http://www.soso.com/"}}},
		}, got)
	})
	t.Run("WeCom menu/get", func(t *testing.T) {
		c, mt := newMocked(t)
		rec := captureJSON(t, mt, http.MethodGet, testBase+"/cgi-bin/menu/get", "testdata/menu_get/wecom.json")
		got, err := c.Menu().Get(t.Context())
		require.NoError(t, err)
		assert.Equal(t, []wecom.MenuButton{
			{Type: wecom.MenuScanCodeWaitMsg, Name: "扫码", Key: "scan"},
			{Name: "更多", SubButtons: []wecom.MenuButton{{Type: wecom.MenuView, Name: "库存", URL: "https://shop.example/"}}},
		}, got)
		_, req := rec.last(t)
		assert.Equal(t, "1000002", req.URL.Query().Get("agentid"))
	})
	t.Run("no menu", func(t *testing.T) {
		c, mt := newMockedMP(t)
		captureJSON(t, mt, http.MethodGet, testBase+"/cgi-bin/menu/get", "testdata/menu_get/46003.json")
		_, err := c.Menu().Get(t.Context())
		assert.ErrorIs(t, err, wecom.ErrCode(46003))
	})
	t.Run("current selfmenu info, sub_button.list", func(t *testing.T) {
		c, mt := newMockedMP(t)
		captureJSON(t, mt, http.MethodGet, testBase+"/cgi-bin/get_current_selfmenu_info", "testdata/get_current_selfmenu_info/ok.json")
		open, got, err := c.Menu().Current(t.Context())
		require.NoError(t, err)
		assert.True(t, open)
		assert.Equal(t, []wecom.MenuButton{
			{Type: wecom.MenuClick, Name: "今日歌曲", Key: "V1001_TODAY_MUSIC"},
			{Name: "菜单", SubButtons: []wecom.MenuButton{
				{Type: wecom.MenuView, Name: "搜索", URL: "http://www.soso.com/"},
				{Type: "text", Name: "文本", Value: "你好"},
			}},
		}, got)
		wc, _ := newMocked(t)
		_, _, err = wc.Menu().Current(t.Context())
		assert.ErrorIs(t, err, wecom.ErrOfficialAccountOnly)
	})
}

func TestMenuDelete(t *testing.T) {
	c, mt := newMocked(t)
	rec := captureJSON(t, mt, http.MethodGet, testBase+"/cgi-bin/menu/delete", "testdata/menu_delete/ok.json")
	require.NoError(t, c.Menu().Delete(t.Context()))
	_, req := rec.last(t)
	assert.Equal(t, "1000002", req.URL.Query().Get("agentid"))

	noAgent, err := wecom.New("corp", "secret")
	require.NoError(t, err)
	assert.ErrorIs(t, noAgent.Menu().Delete(t.Context()), wecom.ErrNoAgentID)
}
