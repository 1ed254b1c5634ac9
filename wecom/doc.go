// Package wecom is a client for WeCom (企业微信) self-built apps and for WeChat Official Accounts
// (公众号): access tokens, a single call choke point ([Client.Do]), typed errors, JS-SDK tickets and
// signatures, app and template messages, media, and an http.Handler for callbacks.
//
// Create one client per app and reuse it; it is safe for concurrent use:
//
//	c, err := wecom.New(corpID, appSecret, wecom.WithAgentID(1000002))
//	mp, err := wecom.NewOfficialAccount(appID, appSecret)
//
// Any endpoint, wrapped or not, can be called through Do, which adds the access token and decodes
// errcode:
//
//	var out struct{ UserID string `json:"userid"` }
//	err := c.Do(ctx, &wecom.Request{Path: "/cgi-bin/user/get", Query: url.Values{"userid": {"zhangsan"}}}, &out)
//
// # Access tokens
//
// Tokens (and jsapi / agent_config tickets) are cached per app: the cache key holds the corp id,
// agent id and a hash of the secret, so two apps of one corp never share a token. A token is
// refreshed 5 minutes before it expires ([WithRefreshEarly]; never more than half its lifetime).
// One upstream fetch serves every concurrent caller (singleflight); a caller whose context ends
// stops waiting at once, while the fetch goes on, detached and time-bounded, for the others. If a
// refresh fails while the old token is still valid, the old token keeps being served and the
// failure is logged.
//
// The default store is in-process ([NewMemoryStore]). To run several replicas, give each the same
// shared store — package wecom/redisstore — whose lock makes N processes perform one fetch per
// refresh. [WithTokenSource] plugs in an external token service (中控服务) instead.
//
// When WeCom rejects a token (40001, 40014, 42001), Do drops it — only if it is still the cached one,
// so that N callers holding the same stale token cause one refresh — and retries the call once.
// A 公众号 client uses stable_token in normal mode and asks for force_refresh only when the token
// that just failed comes back again.
//
// # Errors
//
// A non-zero errcode is returned as *[APIError]. Codes are errors themselves, so errors.Is works
// without sentinel variables:
//
//	if errors.Is(err, wecom.CodeRateLimited) { … }
//	if wecom.IsRateLimited(err) { … } // 45009 or 45033
//
// A non-2xx HTTP status is an *[HTTPError]. Do retries idempotent GETs on errcode -1, HTTP 5xx and
// transport errors with jittered backoff ([WithRetry]); a POST that may have reached WeCom is never
// replayed blindly, since that could send a message twice. Errors and log lines never contain the
// access token or the secret: URLs are stripped of their query.
//
// # JS-SDK
//
// [SignJSAPI] computes the signature for wx.config / wx.agentConfig, and [Client.JSSDKConfig]
// returns both configuration objects for a page, ready to serialise as JSON.
//
// # Testing
//
// Package wecom/wecomtest is an in-process fake WeCom + 公众号 server speaking the same wire
// formats; point a client at it with [WithBaseURL]. For unit tests, inject a mock transport with
// [WithHTTPClient].
package wecom
