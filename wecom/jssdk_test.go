package wecom_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/qiwei-go/qiwei/wecom"
)

func TestSignJSAPIVectors(t *testing.T) {
	const ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
	assert.Equal(t, "0f9de62fce790f9a083d5c99e95740ceb90c27ed",
		wecom.SignJSAPI(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value"))
	assert.Equal(t, "f4d90daf4b3bca3078ab155816175ba34c443a7b",
		wecom.SignJSAPI(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com"))
	assert.Equal(t, "f4d90daf4b3bca3078ab155816175ba34c443a7b",
		wecom.SignJSAPI(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com#/route?a=1"))
}

func TestJSSDKConfigRequiresTheExactPageURL(t *testing.T) {
	for _, page := range []string{"", "/p/BAG1", "p/BAG1", "shop.example/p/BAG1", "https://shop.example/p/BAG1#frag",
		"https://shop.example/#", "javascript:alert(1)", "ftp://shop.example/", "https:///nohost", "https:opaque"} {
		c, mt := newMocked(t)
		_, err := c.JSSDKConfig(t.Context(), page, "scanQRCode")
		var ve *wecom.ValidationError
		if assert.ErrorAs(t, err, &ve, page) {
			assert.Equal(t, "pageURL", ve.Field)
		}
		assert.Zero(t, mt.GetTotalCallCount(), "%q: nothing fetched", page)
	}
}
