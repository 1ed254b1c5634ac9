package wecom

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

type tokenResp struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

type ticketResp struct {
	Ticket    string `json:"ticket"`
	ExpiresIn int64  `json:"expires_in"`
}

func ttlOf(path string, secs int64) (time.Duration, error) {
	if secs <= 0 {
		return 0, fmt.Errorf("wecom: %s: expires_in %d ≤ 0", path, secs)
	}
	return time.Duration(secs) * time.Second, nil
}

// fetchWeComToken calls gettoken (获取access_token). The secret travels in the query; errors carry
// the path only.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/91039
func (c *Client) fetchWeComToken(ctx context.Context, _ string) (string, time.Duration, error) {
	const path = "/cgi-bin/gettoken"
	var r tokenResp
	err := c.Do(ctx, &Request{Method: http.MethodGet, Path: path, Auth: AuthNone,
		Query: url.Values{"corpid": {c.id}, "corpsecret": {c.secret}}}, &r)
	if err != nil {
		return "", 0, err
	}
	ttl, err := ttlOf(path, r.ExpiresIn)
	return r.AccessToken, ttl, err
}

type stableTokenReq struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// fetchStableToken calls the 公众号 stable_token endpoint in normal mode. If it hands back the very token
// WeCom just rejected (stale), it asks once more with force_refresh (limited to 20 a day upstream).
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
func (c *Client) fetchStableToken(ctx context.Context, stale string) (string, time.Duration, error) {
	const path = "/cgi-bin/stable_token"
	get := func(force bool) (tokenResp, error) {
		var r tokenResp
		err := c.Do(ctx, &Request{Method: http.MethodPost, Path: path, Auth: AuthNone,
			Body: stableTokenReq{GrantType: "client_credential", AppID: c.id, Secret: c.secret, ForceRefresh: force}}, &r)
		return r, err
	}
	r, err := get(false)
	if err == nil && stale != "" && r.AccessToken == stale {
		c.log.LogAttrs(ctx, -4, "wecom: stable_token returned the rejected token; forcing a refresh")
		r, err = get(true)
	}
	if err != nil {
		return "", 0, err
	}
	ttl, err := ttlOf(path, r.ExpiresIn)
	return r.AccessToken, ttl, err
}

func (c *Client) fetchTicket(ctx context.Context, path string, q url.Values) (string, time.Duration, error) {
	var r ticketResp
	if err := c.Do(ctx, &Request{Method: http.MethodGet, Path: path, Query: q}, &r); err != nil {
		return "", 0, err
	}
	ttl, err := ttlOf(path, r.ExpiresIn)
	return r.Ticket, ttl, err
}

// fetchJSAPITicket gets the 企业 jsapi_ticket (WeCom) or the 公众号 jsapi ticket.
func (c *Client) fetchJSAPITicket(ctx context.Context, _ string) (string, time.Duration, error) {
	if c.kind == kindOfficialAccount {
		return c.fetchTicket(ctx, "/cgi-bin/ticket/getticket", url.Values{"type": {"jsapi"}})
	}
	return c.fetchTicket(ctx, "/cgi-bin/get_jsapi_ticket", nil)
}

// fetchAgentTicket gets the 应用 jsapi_ticket used by wx.agentConfig.
func (c *Client) fetchAgentTicket(ctx context.Context, _ string) (string, time.Duration, error) {
	return c.fetchTicket(ctx, "/cgi-bin/ticket/get", url.Values{"type": {"agent_config"}})
}

// JSAPITicket returns the cached jsapi_ticket (企业 jsapi_ticket for WeCom, jsapi ticket for a 公众号),
// the input of wx.config signatures.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90506
func (c *Client) JSAPITicket(ctx context.Context) (string, error) {
	if c == nil {
		return "", fmt.Errorf("%w (JSAPITicket)", ErrNilClient)
	}
	t, err := c.jsapi.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("wecom: jsapi ticket: %w", err)
	}
	return t, nil
}

// AgentConfigTicket returns the cached 应用 jsapi_ticket (type=agent_config), the input of
// wx.agentConfig signatures. WeCom only; it needs [WithAgentID].
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90506
func (c *Client) AgentConfigTicket(ctx context.Context) (string, error) {
	if err := c.Require(PlatformWeCom, "AgentConfigTicket"); err != nil {
		return "", err
	}
	if c.agentID == 0 {
		return "", errNoAgent
	}
	t, err := c.agentTk.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("wecom: agent_config ticket: %w", err)
	}
	return t, nil
}
