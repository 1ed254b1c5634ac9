package wecomtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Errcodes the fake answers with. WeCom's smart-sheet pages list few errcodes, so the fake uses the
// global codes (全局错误码, https://developer.work.weixin.qq.com/document/path/90313) whose meaning fits
// (documented per endpoint in doc.go):
//   - 40058 不合法的参数 (invalid parameter) for every validation failure: bad JSON or value shapes,
//     unknown sheet/field/view/record ids, duplicate titles, read-only fields, missing required
//     properties, limits, filter_spec without conjunction or combined with sort;
//   - 640002 文件不存在 for an unknown docid;
//   - 851003 no authority, for a doc created by another app (the code other SDKs' users report; the
//     documents API pages do not list it).
const (
	codeSystemBusy         = -1
	codeInvalidCredential  = 40001 // wrong secret (WeCom); token invalid or not the latest (公众号)
	codeInvalidGrantType   = 40002
	codeInvalidOpenID      = 40003
	codeInvalidMediaType   = 40004
	codeInvalidType        = 40005
	codeInvalidFileSize    = 40006
	codeInvalidMediaID     = 40007
	codeInvalidMsgType     = 40008
	codeInvalidImageSize   = 40009
	codeInvalidCorpID      = 40013 // also "invalid appid"
	codeInvalidAccessToken = 40014
	codeInvalidOAuthCode   = 40029
	codeInvalidUserList    = 40031
	codeInvalidTemplateID  = 40037
	codeInvalidAgentID     = 40056
	codeInvalidParameter   = 40058
	codeInvalidArgs        = 40097 // 公众号 "invalid args"
	codeInvalidAppSecret   = 40125 // 公众号 "invalid appsecret"
	codeMissingToken       = 41001
	codeMissingSecret      = 41004
	codeMissingMediaID     = 41006
	codeMissingCode        = 41008
	codeTokenExpired       = 42001
	codeEmptyMedia         = 44001
	codeEmptyContent       = 44004
	codeMenuNotExist       = 46003
	codeDataFormat         = 47001 // 公众号 "data format error"
	codeScopeUnauthorized  = 48001
	codeAllRecipientsBad   = 81013
	codeInvalidWebhookKey  = 93000
	codeUserNotFound       = 60111
	codeFileNotExist       = 640002
	codeNoAuthority        = 851003
)

// apiError is an errcode answer: HTTP 200 with {"errcode","errmsg"}, as WeCom does.
type apiError struct {
	Code int
	Msg  string
}

func (e *apiError) Error() string { return fmt.Sprintf("errcode %d: %s", e.Code, e.Msg) }

func errf(code int, format string, args ...any) *apiError {
	return &apiError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *apiError {
	return errf(codeInvalidParameter, format, args...)
}

// base is the errcode/errmsg pair every WeCom response starts with.
type base struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

var ok = base{ErrMsg: "ok"}

func errBody(err error) base {
	var ae *apiError
	if errors.As(err, &ae) {
		return base{ErrCode: ae.Code, ErrMsg: ae.Msg}
	}
	return base{ErrCode: codeSystemBusy, ErrMsg: "system error"}
}

// family says which access token an endpoint needs.
type family uint8

const (
	famNone  family = iota // no access_token (token endpoints, pages, webhook)
	famWeCom               // a WeCom app token
	famMP                  // a 公众号 token
	famAny                 // either (media, menu)
)

// caller is who made an authenticated call.
type caller struct {
	app *App // WeCom app; nil for 公众号
	mp  bool
}

type apiFunc func(r *http.Request, c *caller) (any, error)

// api registers a JSON endpoint: counted, subject to faults and to the failure rate, and checked for an
// access token of family fam. fn's error is answered as errcode JSON with HTTP 200.
func (h *Handler) api(pattern string, fam family, fn apiFunc) {
	h.mux.Handle(pattern, h.instrument(pattern, true, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxBody)
		var c *caller
		if fam != famNone {
			var err error
			if c, err = h.authenticate(r, fam); err != nil {
				writeJSON(w, errBody(err))
				return
			}
		}
		resp, err := h.guard(fn, r, c)
		if err != nil {
			writeJSON(w, errBody(err))
			return
		}
		writeJSON(w, resp)
	}))
}

// guard runs fn unless the state file can no longer be written, and fails a call whose change could
// not be made durable: errcode -1 (系统繁忙) rather than an answer for a write that may be lost.
func (h *Handler) guard(fn apiFunc, r *http.Request, c *caller) (any, error) {
	notDurable := func(err error) error {
		h.cfg.log.Warn("wecomtest: call refused: the state file cannot be written", "err", err)
		return errf(codeSystemBusy, "system busy: the fake's state file cannot be written")
	}
	if err := h.failed(); err != nil {
		return nil, notDurable(err)
	}
	resp, err := fn(r, c)
	if ferr := h.failed(); ferr != nil {
		return nil, notDurable(ferr)
	}
	return resp, err
}

// apiRaw registers an endpoint that needs a token but answers with bytes on success (media/get):
// errors are errcode JSON, and it is subject to the failure rate like JSON endpoints.
func (h *Handler) apiRaw(pattern string, fam family, fn func(w http.ResponseWriter, r *http.Request, c *caller) error) {
	h.mux.Handle(pattern, h.instrument(pattern, true, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxBody)
		c, err := h.authenticate(r, fam)
		if err == nil {
			err = h.failed()
		}
		if err == nil {
			err = fn(w, r, c)
		}
		if err != nil {
			writeJSON(w, errBody(err))
		}
	}))
}

// page registers a non-JSON endpoint (HTML pages, files, images): counted and subject to injected
// faults, but not to the random failure rate.
func (h *Handler) page(pattern string, fn http.HandlerFunc) {
	h.mux.Handle(pattern, h.instrument(pattern, false, fn))
}

func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		fmt.Fprintf(&buf, `{"errcode":%d,"errmsg":"wecomtest: encode response: %s"}`, codeSystemBusy, "internal error")
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(buf.Bytes())
}

// decodeJSON reads a JSON request body into v. 公众号 endpoints answer 47001 for bad JSON, WeCom 40058.
func decodeJSON(r *http.Request, v any, mp bool) error {
	_, err := readJSON(r, v, mp)
	return err
}

// readJSON is decodeJSON that also returns the body as sent (for recorded messages).
func readJSON(r *http.Request, v any, mp bool) ([]byte, error) {
	code := codeInvalidParameter
	if mp {
		code = codeDataFormat
	}
	data, err := io.ReadAll(r.Body) // capped by WithMaxRequestBody
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return nil, errf(code, "request body too large: more than %d bytes", tooLarge.Limit)
	}
	if err != nil {
		return nil, errf(code, "read body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errf(code, "empty request body")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, errf(code, "invalid json: %v", err)
	}
	return data, nil
}

// authenticate checks the access_token query parameter: missing → 41001, unknown → 40014 (公众号:
// 40001), expired → 42001; a superseded 公众号 token past its grace period → 40001.
func (h *Handler) authenticate(r *http.Request, fam family) (*caller, error) {
	v := r.URL.Query().Get("access_token")
	if v == "" {
		return nil, errf(codeMissingToken, "access_token missing")
	}
	unknown := errf(codeInvalidAccessToken, "invalid access_token")
	if fam == famMP {
		unknown = errf(codeInvalidCredential, "invalid credential, access_token is invalid or not latest")
	}
	h.mu.Lock()
	defer h.unlock()
	t, found := h.tok.tokens[v]
	if !found || (fam == famWeCom && t.mp) || (fam == famMP && !t.mp) {
		return nil, unknown
	}
	if !h.now().Before(t.expires) {
		if t.superseded {
			return nil, errf(codeInvalidCredential, "invalid credential, access_token is invalid or not latest")
		}
		return nil, errf(codeTokenExpired, "access_token expired")
	}
	c := &caller{mp: t.mp}
	if !t.mp {
		c.app = h.appByAgent(t.agentID)
	}
	return c, nil
}

func (h *Handler) appByAgent(id int64) *App {
	for i := range h.cfg.apps {
		if h.cfg.apps[i].AgentID == id {
			return &h.cfg.apps[i]
		}
	}
	return nil
}
