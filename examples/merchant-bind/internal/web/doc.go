// Package web is the merchant-binding app's admin UI (Chinese with English alongside), its small
// JSON API and the mount point of the 公众号 callback. Templates (html/template) and the CSS and
// script are embedded; pages work on a phone (tables turn into cards) and the script only adds the
// binding dialog, copy-to-clipboard and confirmations.
//
// # Routes
//
//	GET  /login, POST /login, POST /logout        admin sign-in (bcrypt), signed session cookie
//	GET  /merchants?q=&bound=bound|unbound&page=  list with search and the 已绑定/未绑定 filter
//	GET  /merchants/new, POST /merchants          create
//	GET  /merchants/{id}                          detail: binding, history, codes, audit
//	GET  /merchants/{id}/edit, POST /merchants/{id}
//	POST /merchants/{id}/status                   enable / disable
//	POST /merchants/{id}/unbind                   解除绑定 (history kept)
//	GET  /merchants/{id}/code                     current code (JSON) or 404
//	POST /merchants/{id}/code                     生成绑定码 (JSON with Accept: application/json)
//	GET  /merchants/{id}/code.png?ticket=         the QR rendered locally; &download=1 to save
//	POST /merchants/{id}/notify                   admin notification (template message)
//	GET  /audit?kind=&page=                       审计日志
//	POST /api/merchants/{id}/notify               JSON API, Authorization: Bearer <ADMIN_API_TOKEN>
//	GET|POST /wx/callback                         the 公众号 callback (wecom.CallbackHandler)
//	POST /demo/merchants/{id}/scan|unsubscribe    demo mode only: 模拟扫码, 模拟取消关注
//
// # Security
//
// Sessions are stateless cookies — admin id and expiry, HMAC-SHA256 signed — HttpOnly and
// SameSite=Lax (Secure behind HTTPS). Every POST form carries a CSRF token, the HMAC of a random
// per-browser cookie (the dialog sends it as X-CSRF-Token); cross-site requests (Origin,
// Sec-Fetch-Site) are refused too. Failed sign-ins are limited per address. Responses carry a strict
// Content-Security-Policy (no inline script or style). The JSON API compares the Bearer token in
// constant time.
package web
