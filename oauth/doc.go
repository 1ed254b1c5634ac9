// Package oauth signs users in with WeCom (企业微信) and with a WeChat Official Account (公众号):
// authorize and web-login URLs, code exchange, a stateless signed state, and a net/http middleware
// that puts it all together.
//
// # The quick way: the middleware
//
// Wrap your handler; every page then needs a login, and the handler finds out who is there with
// [IdentityFrom]:
//
//	client, _ := wecom.New(corpID, secret, wecom.WithAgentID(agentID))
//	opts := &oauth.MiddlewareOptions{
//		Client:     client,
//		Config:     oauth.Config{RedirectURL: "https://shop.example.com/oauth/callback"},
//		SessionKey: sessionKey, // 32 random bytes, the same on every replica
//		Public:     []string{"/healthz", "/static/"},
//	}
//	if err := opts.Validate(); err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/logout", oauth.Logout(opts))
//	http.ListenAndServe(addr, oauth.Middleware(mux, opts))
//
//	func product(w http.ResponseWriter, r *http.Request) {
//		id, _ := oauth.IdentityFrom(r.Context()) // id.UserID is the member's userid
//		…
//	}
//
// A browser without a session is sent to the login that fits it: the silent in-app authorize page
// inside the WeCom app, the web login page (QR code) in a desktop browser, or the 公众号 authorize page
// inside WeChat when MiddlewareOptions.MPClient is set. It comes back to the callback path, where the
// state is verified, the code exchanged, and a session cookie issued; then it lands on the page it
// first asked for. API requests (paths under /api/, JSON clients, XHR, non-GET methods) get 401 with
// {"error":"unauthorized"} instead of a redirect.
//
// The session cookie is HttpOnly, SameSite=Lax, Secure on https, and carries the identity and its
// expiry signed with HMAC-SHA256: nothing is stored on the server, so any replica with the same
// SessionKey accepts it. It is signed, not encrypted: it holds only the user's own ids (never a
// user_ticket or a token). Only corp members may sign in unless AllowNonMembers is set; Allow can
// restrict further.
//
// Misconfiguration fails when the handler is built, not on the first visitor: [Middleware] and
// [Logout] panic with the error [MiddlewareOptions.Validate] reports (a short SessionKey, a 公众号
// client in Client, a relative RedirectURL, …), so call Validate first, as above, when the options
// come from configuration.
//
// # Building blocks
//
// [Config] builds the WeCom URLs: [Config.AuthCodeURL] (网页授权, opened inside WeCom) and
// [Config.WebLoginURL] (企业微信Web登录 on login.work.weixin.qq.com; the legacy qrConnect page went
// offline at the end of 2023). [MPConfig.AuthCodeURL] builds the 公众号 one. [NewConfig] and
// [NewMPConfig] fill the ids and hosts from a client, so that a client pointed at a fake server
// produces URLs on that fake.
//
// [Exchange] turns a code into an [Identity]: auth/getuserinfo for WeCom (a member's UserID, or an
// OpenID for a non-member, plus a UserTicket with snsapi_privateinfo, for [UserDetail]), and
// sns/oauth2/access_token for a 公众号 client. [ExchangeMP] keeps the 公众号 web token for
// [MPUserInfo] (nickname and avatar with snsapi_userinfo) and [RefreshMPToken].
//
// [StateSigner] makes the state parameter. WeCom's in-app browser may drop cookies across the
// authorize redirect, so the state cannot be checked against a cookie, and a server-side store would
// tie a login to one replica; instead the state carries the return path and an expiry, HMAC-signed,
// encoded in base62 to meet WeCom's rule (at most 128 characters of a-zA-Z0-9). That leaves room for a return path of [MaxReturnToLen] bytes; longer or
// unsafe paths (anything but a same-site path such as "/p/1?x=2") become "/" when issued, and
// [StateSigner.Verify] rejects them, so the state can never become an open redirect.
// [NewStateSigner] panics on a key shorter than [MinKeyLen] bytes (check one from configuration
// with [ValidateStateKey]) instead of returning a signer that cannot sign.
//
// # Errors
//
// A used, expired or foreign code matches wecom.CodeInvalidOAuthCode (40029) with errors.Is, for
// WeCom and 公众号 alike (the 公众号's 40163 "code been used" matches it too). Other WeCom answers
// are *wecom.APIError values; see package wecom. State problems are [ErrInvalidState],
// [ErrStateExpired] and [ErrUnsafeReturnTo]. A 公众号-only call ([ExchangeMP], [RefreshMPToken],
// [MPUserInfo]) on a WeCom client, or [UserDetail] on a 公众号 client, fails with an error matching
// wecom.ErrWrongPlatform before any request; a nil client with wecom.ErrNilClient. Error strings and
// log lines never contain codes, tokens, secrets, states or cookies.
//
// # Testing
//
// Package wecom/wecomtest serves the authorize and web login pages (they redirect straight back with
// a code for a configured member), auth/getuserinfo and the 公众号 endpoints. Point a client at it
// with wecom.WithBaseURL and drive the middleware with an http.Client that has a cookie jar:
//
//	srv := wecomtest.NewServer()
//	client, _ := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
//		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
//
// In handler tests, [WithIdentity] puts an identity in a request's context without any login.
package oauth
