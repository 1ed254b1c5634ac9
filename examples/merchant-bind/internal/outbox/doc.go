// Package outbox sends the merchant-binding app's messages — welcome messages after a binding and
// admins' notifications — from the outbox table, so that none is lost to a crash and none is sent
// twice by a retry.
//
// # Delivery
//
// A message is written to the outbox in the same transaction as the change it belongs to. The
// [Worker] claims due messages (a lease in the database: a worker that dies leaves its message due
// again once the lease ends, its attempt marked interrupted), sends them and records every attempt
// — time, channel, result, WeChat's errcode — with the message's next state.
//
// A template message (模板消息) carries WeChat's client_msg_id, the same for every attempt of one
// message: when a send timed out after WeChat took it, or the process died before recording the
// result, the resend is answered with the first msgid instead of a second message (WeChat keeps
// client_msg_id for about ten minutes).
//
// Transient failures (network, timeouts, errcode -1, 45009 rate limits, token trouble) are retried
// with exponential back-off until the message's deadline (4 hours by default); then, and at once
// for a permanent refusal (43004 not following, 43101 refused, 40037 bad template id, 47003 bad
// data, …), the message falls back to a 客服消息 text when the merchant interacted with the 公众号
// within the last 48 hours (WeChat's window for customer-service messages) — or is sent that way in
// the first place when no template is configured. A message that cannot go out ends as 发送失败
// (failed), visible in the merchant's notification history, where an admin may 重发 (resend) it.
//
// Before each attempt the worker checks that the merchant is still bound to the message's openid
// and not disabled; otherwise the message fails without being sent.
package outbox
