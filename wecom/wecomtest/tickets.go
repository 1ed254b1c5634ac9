package wecomtest

import (
	"net/http"
	"strconv"
	"time"
)

// jsTicket is an issued JS-SDK ticket.
type jsTicket struct {
	value   string
	expires time.Time
}

type ticketResp struct {
	base
	Ticket    string `json:"ticket"`
	ExpiresIn int64  `json:"expires_in"`
}

// ticket returns the current ticket of a kind/owner while it is valid (expires_in = seconds left) and
// issues a new one otherwise, as the real service does within a ticket's lifetime.
func (h *Handler) ticket(key string) ticketResp {
	h.mu.Lock()
	defer h.unlock()
	now := h.now()
	t := h.tk[key]
	if t == nil || !now.Before(t.expires) {
		t = &jsTicket{value: h.randString(tokenAlphabet, 86), expires: now.Add(h.cfg.tokenTTL)}
		h.tk[key] = t
	}
	left := int64(t.expires.Sub(now) / time.Second)
	return ticketResp{base: ok, Ticket: t.value, ExpiresIn: max(left, 1)}
}

// corpJSAPITicket serves get_jsapi_ticket (企业的jsapi_ticket, for wx.config).
func (h *Handler) corpJSAPITicket(_ *http.Request, c *caller) (any, error) {
	return h.ticket("corp:" + strconv.FormatInt(c.app.AgentID, 10)), nil
}

// agentConfigTicket serves ticket/get?type=agent_config (应用的jsapi_ticket, for wx.agentConfig).
func (h *Handler) agentConfigTicket(r *http.Request, c *caller) (any, error) {
	if t := r.URL.Query().Get("type"); t != "agent_config" {
		return nil, invalid("invalid type %q: want agent_config", t)
	}
	return h.ticket("agent:" + strconv.FormatInt(c.app.AgentID, 10)), nil
}

// mpJSAPITicket serves the 公众号 ticket/getticket?type=jsapi (also type=wx_card).
func (h *Handler) mpJSAPITicket(r *http.Request, _ *caller) (any, error) {
	t := r.URL.Query().Get("type")
	if t != "jsapi" && t != "wx_card" {
		return nil, errf(codeInvalidArgs, "invalid args: type must be jsapi or wx_card")
	}
	return h.ticket("mp:" + t), nil
}

// ExpireTickets makes every JS-SDK ticket expired, so the next ticket call issues a new one.
func (h *Handler) ExpireTickets() {
	h.mu.Lock()
	defer h.unlock()
	clear(h.tk)
}
