// Package bind holds the merchant-binding rules: issuing binding codes (生成绑定码), turning a
// 公众号 subscribe/SCAN event into a binding, unbinding on unsubscribe (取消关注), and template-message
// notifications.
//
// # Source of truth
//
// The SQL database (package store) decides. A code is issued with [qrcode.Binder] (scene
// bind_business_<merchant id>, temporary, 30 days by default), which also mirrors scene → merchant in
// its store — Redis when REDIS_URL is set, so that other services can see outstanding codes — and the
// code is recorded in bind_codes. A scan is judged inside one SQL transaction with conditional writes
// and unique indexes, so concurrent and retried deliveries have one effect; only after the commit is
// the Binder's mirror consumed (Binder.Resolve). A lost Redis never loses a code.
//
// # Rules, in order
//
//  1. The scene must be bind_business_<id>; other scenes are not ours (no reply).
//  2. The code must exist (by Ticket, or the newest for the scene) and belong to that merchant.
//  3. The merchant already bound to this openid → "already bound" (a retry or a second scan; no
//     second welcome message).
//  4. A disabled merchant, a used, replaced (a newer code exists) or expired code → refused.
//  5. A merchant bound to another openid (one openid per merchant) → refused.
//  6. An openid bound to another merchant (one merchant per openid) → refused, naming it.
//  7. Otherwise the code is marked used and the binding recorded; the reply says so, and a welcome
//     message is written to the outbox in the same transaction (package outbox sends it: a crash
//     right after the commit delays it, never loses it).
//
// Every attempt — success or refusal — is written to the audit log.
//
// # Messages
//
// Welcome messages and admins' notifications ([Service.Notify]) go through the outbox: a template
// message when a template id is configured, else — and when the template fails — a 客服消息 text,
// which WeChat accepts for 48 hours after the user's last interaction. [Service.HandleMessage]
// records those interactions (messages, scans, menu clicks) on the bound merchant.
package bind
