// Package web is the merchant-binding app's admin UI (Chinese with English alongside), its JSON
// API and the mount point of the 公众号 callback. Templates (html/template) and the CSS and script
// are embedded; pages work on a phone (tables turn into cards) and the script only adds the binding
// dialog, copy-to-clipboard, confirmations and once-only forms.
//
// # Routes
//
//	GET  /login, POST /login, POST /logout          admin sign-in (bcrypt), server-side session
//	GET  /merchants?q=&bound=&status=&page=          list: search (phone digits, openid), filters, paging
//	GET  /merchants/export?format=csv|xlsx&…         the whole filtered list
//	GET  /merchants/new, POST /merchants             create
//	GET  /merchants/{id}                             detail: binding, notifications, history, codes, audit
//	GET  /merchants/{id}/edit, POST /merchants/{id}
//	POST /merchants/{id}/status                      正常 / 禁用
//	POST /merchants/{id}/unbind                      解除绑定 (history kept)
//	GET  /merchants/{id}/code                        current code (JSON) or 404
//	POST /merchants/{id}/code                        生成绑定码; replace=1 to replace a valid one
//	GET  /merchants/{id}/code.png?ticket=            the QR rendered locally; &download=1: labelled
//	POST /merchants/{id}/notify                      发送通知 (outbox; idempotent per form)
//	GET  /merchants/{id}/notifications               the history as JSON
//	POST /merchants/{id}/notifications/{nid}/resend  重发
//	GET  /audit?kind=&who=&merchant=&from=&to=&page= 审计日志
//	GET  /admins, POST /admins, POST /admins/{id}/status|role|password   管理员 (管理员 role only)
//	GET  /account, POST /account/password, POST /account/sessions       我的账号
//	POST /api/merchants/{id}/notify                  JSON API, Bearer ADMIN_API_TOKEN
//	GET  /api/merchants/{id}/notifications
//	POST /api/merchants/{id}/notifications/{nid}/resend
//	POST /api/merchants/{id}/login, /api/merchants/by-login/{login}/login   Bearer PLATFORM_API_TOKEN
//	GET|POST /wx/callback                            the 公众号 callback (wecom.CallbackHandler)
//	GET  /healthz                                    the database answers (503 otherwise)
//	POST /demo/merchants/{id}/scan|unsubscribe       demo mode only: 模拟扫码, 模拟取消关注
//
// # Security
//
// Sessions live in the database: the cookie holds a random token, the sessions table its SHA-256;
// logout, a password change and disabling an admin revoke them at once. Cookies are HttpOnly,
// SameSite=Lax, and Secure when PublicURL is https or the request came over HTTPS. Every POST form
// carries a CSRF token, the HMAC of a random per-browser cookie (the dialog sends it as
// X-CSRF-Token); a browser's Origin must be PublicURL's origin (or, without a proxy, the request's
// own), and Sec-Fetch-Site cross-site is refused. X-Forwarded-For and X-Forwarded-Proto are
// believed only from TrustedProxies. Failed sign-ins lock the account and the client address for
// a while, in the database. 只读 admins may look, not change. Input with NUL bytes or invalid UTF-8
// is refused with 400 before any handler. Responses carry a strict Content-Security-Policy (no
// inline script or style). API tokens are compared in constant time.
package web
