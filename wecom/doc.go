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
// refresh. [WithTokenSource] plugs in an external token service (中控服务) instead. When the shared
// store fails (Redis down), the client keeps working on its own, without the lock: it logs a warning
// (through [WithLogger]'s logger, or slog.Default() when none was given) and counts the failure in
// [Client.TokenStoreStatus], so the fallback is visible in logs and metrics.
//
// One upstream fetch is bounded by 15 seconds; a caller without a deadline of its own that joined a
// fetch which ran out of time gets an error matching [ErrTokenFetchTimeout] (and
// context.DeadlineExceeded).
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
// A non-2xx HTTP status is an *[HTTPError]. Every retry of the SDK follows one [RetryPolicy]
// ([WithRetry], or per call Request.Retry): Do retries idempotent calls on errcode -1, HTTP 5xx and
// transport errors with jittered backoff; a POST that may have reached WeCom is never replayed
// blindly, since that could send a message twice. Rate limits are waited out only when the policy
// says RetryLater (package smartsheet's default does). Errors and log lines never contain the
// access token or the secret: URLs are stripped of their query. Do reads at most
// [DefaultMaxResponseBytes] (8 MiB, [WithMaxResponseBytes]) of a response: a larger one is a
// *[ResponseTooLargeError]; downloads stream through [Client.Stream] instead. A [Request] with a Body
// and no Method is sent as a POST.
//
// Misuse fails before anything is sent. One [Client] type serves WeCom ([New]) and 公众号
// ([NewOfficialAccount]); a call that exists on one platform only fails on the other with a
// *[PlatformError] matching [ErrWrongPlatform] (application messages on a 公众号 client, template
// messages, qrcode tickets or Menu.Current on a WeCom client, and so on). A nil *Client is an error
// ([ErrNilClient]), never a panic. Invalid request fields are a *[ValidationError] ([ErrInvalidRequest]).
//
// # Callbacks
//
// [NewCallbackHandler] returns the http.Handler of the callback URL (接收消息服务器): it verifies,
// decrypts, deduplicates (WeCom retries when no answer comes within 5 s) and hands each message to a
// [MessageHandler], whose [Reply] becomes the passive reply.
//
// Deduplication uses the MsgId of messages and the identifying fields of events
// ([Message.DedupeKey]), except for smart_sheet_change and doc_change: these notifications have no
// MsgId, and a member who edits the same record twice within one second produces two deliveries
// identical to one delivery and its retry. Dropping "retries" would lose the second edit, so every
// delivery of them reaches the handler ([Message.SkipsDedupe]). They only name the records, fields
// or documents that changed; handle them by re-reading those, which is idempotent.
//
// Behaviour change: a 公众号 handler created with an EncodingAESKey accepts encrypted deliveries
// only (安全模式; in 兼容模式 it reads only the Encrypt element and ignores the plaintext copy). A
// plaintext POST is refused with 403 even when its signature is valid, because the 公众号 plain
// signature covers the token, timestamp and nonce but not the body, and sits in every access log:
// replaying it with another body used to be accepted. If the account is still in 明文模式, switch it
// to 安全模式 in the console, or pass [WithPlaintextAllowed] for the migration (read its risks).
//
// A handler without a key (plain mode) binds every (timestamp, nonce) to the first body seen with
// it, within a timestamp window ([WithMaxClockSkew], default [DefaultPlainMaxSkew]): the same pair
// with another body is refused (403) and logged; the same body is a retry. [WithAccountID] also
// requires ToUserName to be the account's original id. Replicas share this memory, like dedupe,
// through the client's token store (or [WithDeduper]).
//
// [WithAsync] answers at once and runs the handler on a bounded pool. When the pool is full the
// message is handled in the request before the answer (back-pressure): an accepted message is never
// answered 5xx, since WeCom and WeChat redeliver only when no answer arrives in time.
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
// [WithHTTPClient]. [WithClock] gives the client a clock the test moves (to expire a token, say)
// instead of sleeping.
package wecom
