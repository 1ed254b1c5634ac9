package wecom

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// SignJSAPI returns the JS-SDK signature (JS-SDK使用权限签名算法): the lower-case hex SHA-1 of
// "jsapi_ticket=T&noncestr=N&timestamp=TS&url=U", with pageURL's #fragment removed and nothing escaped.
// It serves wx.config, wx.agentConfig (with the agent_config ticket) and the 公众号 alike.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90506
func SignJSAPI(ticket, nonceStr string, timestamp int64, pageURL string) string {
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	h := sha1.New()
	for _, s := range [...]string{"jsapi_ticket=", ticket, "&noncestr=", nonceStr, "&timestamp=",
		strconv.FormatInt(timestamp, 10), "&url=", pageURL} {
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WXConfig is the argument of wx.config (and of @wecom/jssdk's getConfigSignature result), ready to
// be serialised to JSON for the page. Beta is true for WeCom, as WeCom-specific APIs require.
type WXConfig struct {
	Beta      bool     `json:"beta"`
	Debug     bool     `json:"debug"`
	AppID     string   `json:"appId"` // corpid (WeCom) or appid (公众号)
	Timestamp int64    `json:"timestamp"`
	NonceStr  string   `json:"nonceStr"`
	Signature string   `json:"signature"`
	JSAPIList []string `json:"jsApiList"`
}

// WXAgentConfig is the argument of wx.agentConfig (and of getAgentConfigSignature's result).
type WXAgentConfig struct {
	CorpID    string   `json:"corpid"`
	AgentID   int64    `json:"agentid"`
	Timestamp int64    `json:"timestamp"`
	NonceStr  string   `json:"nonceStr"`
	Signature string   `json:"signature"`
	JSAPIList []string `json:"jsApiList"`
}

// JSConfig holds both JS-SDK configurations for one page.
type JSConfig struct {
	Config      WXConfig       `json:"config"`
	AgentConfig *WXAgentConfig `json:"agentConfig,omitempty"` // WeCom clients with an agent id only
}

// JSSDKConfig signs pageURL for wx.config and, for a WeCom client with an agent id,
// wx.agentConfig. jsAPIList names the APIs the page uses, e.g. "scanQRCode". Tickets come from the
// cache; the page may call it on every load.
//
// pageURL must be exactly what the browser will sign against: an absolute http(s) URL without a
// #fragment, i.e. location.href.split('#')[0] in the page. A relative URL or one with a fragment
// would produce a signature the browser rejects, so it is refused with a [*ValidationError]
// before anything is fetched.
func (c *Client) JSSDKConfig(ctx context.Context, pageURL string, jsAPIList ...string) (*JSConfig, error) {
	if c == nil {
		return nil, fmt.Errorf("%w (JSSDKConfig)", ErrNilClient)
	}
	if err := checkPageURL(pageURL); err != nil {
		return nil, err
	}
	if jsAPIList == nil {
		jsAPIList = []string{}
	}
	ticket, err := c.JSAPITicket(ctx)
	if err != nil {
		return nil, err
	}
	ts := c.now().Unix()
	nonce := randomNonce()
	cfg := &JSConfig{Config: WXConfig{
		Beta: c.kind == kindWeCom, AppID: c.id, Timestamp: ts, NonceStr: nonce,
		Signature: SignJSAPI(ticket, nonce, ts, pageURL), JSAPIList: jsAPIList,
	}}
	if c.kind == kindWeCom && c.agentID != 0 {
		at, err := c.AgentConfigTicket(ctx)
		if err != nil {
			return nil, err
		}
		cfg.AgentConfig = &WXAgentConfig{CorpID: c.id, AgentID: c.agentID, Timestamp: ts, NonceStr: nonce,
			Signature: SignJSAPI(at, nonce, ts, pageURL), JSAPIList: jsAPIList}
	}
	return cfg, nil
}

// checkPageURL accepts the absolute http(s) URL without fragment that wx.config signs.
func checkPageURL(pageURL string) error {
	const call = "JSSDKConfig"
	if pageURL == "" {
		return invalidf(call, "pageURL", "empty")
	}
	if strings.Contains(pageURL, "#") {
		return invalidf(call, "pageURL", "has a #fragment; pass location.href.split('#')[0]")
	}
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return invalidf(call, "pageURL", "must be an absolute http(s) URL (the page's location.href)")
	}
	return nil
}

const nonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomNonce returns 16 random alphanumerics from crypto/rand.
func randomNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (Go ≥ 1.24 crashes the program instead)
	for i := range b {
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	return string(b[:])
}
