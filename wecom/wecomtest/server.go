package wecomtest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Handler is the fake WeCom + 公众号 service as an http.Handler, for mounting in your own server (the
// demo apps embed it). It serves every host's paths (qyapi, api.weixin, open.weixin, login.work.weixin,
// mp.weixin) on one base URL. All methods are safe for concurrent use.
type Handler struct {
	cfg  *config
	mux  *http.ServeMux
	now  func() time.Time
	base atomic.Pointer[string] // public base URL, if known

	mu  sync.Mutex // guards everything below
	st  *state     // the persisted part
	rng *rand.Rand
	tok tokenState
	oa  oauthState
	tk  map[string]*jsTicket // JS-SDK tickets by kind+owner
	cb  callbackState
	dup map[string]dupEntry // message/send duplicate check

	chg changes  // what the current critical section changed (journal.go)
	jr  *journal // the state file's journal; nil without WithStateFile

	calls    callCounter
	faults   faultState
	saver    *saver
	broken   atomic.Pointer[error] // the state file could not be written: every call fails
	closing  chan struct{}
	closeOne sync.Once
}

// NewHandler returns a fake service configured by opts. With [WithStateFile] it loads the state file
// and its journal (a corrupt file is an error) and starts a background compactor: call Close when
// done.
func NewHandler(opts ...Option) (*Handler, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, fmt.Errorf("wecomtest: %w", err)
		}
	}
	seed := cfg.seed
	if !cfg.seedSet {
		seed = rand.Uint64()
	}
	h := &Handler{
		cfg:     cfg,
		mux:     http.NewServeMux(),
		now:     cfg.now,
		st:      newState(),
		rng:     rand.New(rand.NewChaCha8(seedBytes(seed))),
		tk:      map[string]*jsTicket{},
		dup:     map[string]dupEntry{},
		closing: make(chan struct{}),
	}
	h.tok.init()
	h.oa.init(cfg)
	h.cb.init(cfg)
	h.calls.init()
	h.faults.init(cfg)
	if cfg.publicURL != "" {
		h.base.Store(&cfg.publicURL)
	}
	if cfg.stateFile != "" {
		if err := h.load(cfg.stateFile); err != nil {
			return nil, fmt.Errorf("wecomtest: %w", err)
		}
		h.saver = newSaver(h)
	}
	h.routes()
	return h, nil
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := range 4 {
		s := seed + uint64(i)*0x9e3779b97f4a7c15
		for j := range 8 {
			b[i*8+j] = byte(s >> (8 * j))
		}
	}
	return b
}

// ServeHTTP serves the fake API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Close releases requests held by an applied-but-timed-out fault and, with a state file, writes a
// snapshot and closes the journal. Calling it again writes another snapshot. The error is the
// snapshot's, or the failure that stopped the state file from being written.
func (h *Handler) Close() error {
	h.closeOne.Do(func() { close(h.closing) })
	if h.saver != nil {
		return h.saver.close()
	}
	return nil
}

// baseURL returns the public base URL: configured, set by NewServer, or derived from the request.
func (h *Handler) baseURL(r *http.Request) string {
	if p := h.base.Load(); p != nil {
		return *p
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Server is a [Handler] listening on a loopback port, like httptest.Server.
//
//	srv := wecomtest.NewServer()
//	defer srv.Close()
//	client, _ := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret,
//		wecom.WithAgentID(wecomtest.DefaultAgentID), wecom.WithBaseURL(srv.URL))
type Server struct {
	*Handler
	URL string // base URL, e.g. http://127.0.0.1:41234, with no trailing slash
	ts  *httptest.Server
}

// NewServer starts a fake service on a loopback port. Like httptest.NewServer it panics when it cannot
// start, here also when an option is invalid; use [NewHandler] to get an error instead.
func NewServer(opts ...Option) *Server {
	h, err := NewHandler(opts...)
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(h)
	if h.base.Load() == nil {
		u := ts.URL
		h.base.Store(&u)
	}
	return &Server{Handler: h, URL: ts.URL, ts: ts}
}

// Client returns an *http.Client that talks to the server (a plain client; TLS is not used).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close releases held requests, shuts the listener down, waits for running requests and saves state.
func (s *Server) Close() {
	s.closeOne.Do(func() { close(s.closing) })
	s.ts.Close()
	_ = s.Handler.Close()
}

// routes registers every endpoint. Patterns are Go 1.22 ServeMux patterns; the pattern string is also
// the key for [Handler.Calls] and [Handler.InjectFault].
func (h *Handler) routes() {
	// Access tokens (获取access_token, 公众号 获取Access token / Stable Access token).
	h.api("GET /cgi-bin/gettoken", famNone, h.getToken)
	h.api("GET /cgi-bin/token", famNone, h.mpToken)
	h.api("POST /cgi-bin/stable_token", famNone, h.stableToken)
	// JS-SDK tickets (企业/应用的jsapi_ticket, 公众号 jsapi_ticket).
	h.api("GET /cgi-bin/get_jsapi_ticket", famWeCom, h.corpJSAPITicket)
	h.api("GET /cgi-bin/ticket/get", famWeCom, h.agentConfigTicket)
	h.api("GET /cgi-bin/ticket/getticket", famMP, h.mpJSAPITicket)
	// OAuth (构造网页授权链接, 企业微信Web登录, 公众号网页授权) and 读取成员.
	h.page("GET /connect/oauth2/authorize", h.authorize)
	h.page("GET /wwlogin/sso/login", h.webLogin)
	h.api("GET /cgi-bin/auth/getuserinfo", famWeCom, h.getUserInfo)
	h.api("POST /cgi-bin/auth/getuserdetail", famWeCom, h.getUserDetail)
	h.api("GET /sns/oauth2/access_token", famNone, h.snsAccessToken)
	h.api("GET /sns/oauth2/refresh_token", famNone, h.snsRefreshToken)
	h.api("GET /sns/userinfo", famNone, h.snsUserInfo)
	h.api("GET /cgi-bin/user/get", famWeCom, h.getUser)
	// Documents and smart sheets (文档, 智能表格), the document page and member edits.
	for name, fn := range map[string]apiFunc{
		"create_doc": h.createDoc, "rename_doc": h.renameDoc, "del_doc": h.delDoc,
		"get_doc_base_info": h.getDocBaseInfo, "doc_share": h.docShare, "mod_doc_member": h.modDocMember,
		"image_upload":         h.imageUpload,
		"smartsheet/get_sheet": h.getSheet, "smartsheet/add_sheet": h.addSheet,
		"smartsheet/update_sheet": h.updateSheet, "smartsheet/delete_sheet": h.deleteSheet,
		"smartsheet/add_fields": h.addFields, "smartsheet/get_fields": h.getFields,
		"smartsheet/update_fields": h.updateFields, "smartsheet/delete_fields": h.deleteFields,
		"smartsheet/add_view": h.addView, "smartsheet/get_views": h.getViews,
		"smartsheet/update_view": h.updateView, "smartsheet/delete_views": h.deleteViews,
		"smartsheet/add_records": h.addRecords, "smartsheet/update_records": h.updateRecords,
		"smartsheet/delete_records": h.deleteRecords, "smartsheet/get_records": h.getRecords,
	} {
		h.api("POST /cgi-bin/wedoc/"+name, famWeCom, fn)
	}
	h.page("GET /wecomtest/doc/{docid}", h.docPage)
	h.memberRoutes()
	h.page("GET /wecomtest/files/{id}", h.serveFile)
	// 公众号 parametric QR codes (生成带参数的二维码).
	h.api("POST /cgi-bin/qrcode/create", famMP, h.qrCreate)
	h.page("GET /cgi-bin/showqrcode", h.showQRCode)
	// Messages (发送应用消息, 模板消息, 客服消息, 群机器人) and menus.
	h.api("POST /cgi-bin/message/send", famWeCom, h.messageSend)
	h.api("POST /cgi-bin/message/template/send", famMP, h.templateSend)
	h.api("POST /cgi-bin/message/custom/send", famMP, h.customSend)
	h.api("POST /cgi-bin/webhook/send", famNone, h.webhookSend)
	h.api("POST /cgi-bin/menu/create", famAny, h.menuCreate)
	h.api("GET /cgi-bin/menu/get", famAny, h.menuGet)
	h.api("GET /cgi-bin/menu/delete", famAny, h.menuDelete)
	// Media (素材管理).
	h.api("POST /cgi-bin/media/upload", famAny, h.mediaUpload)
	h.api("POST /cgi-bin/media/uploadimg", famAny, h.mediaUploadImg)
	h.apiRaw("GET /cgi-bin/media/get", famAny, h.mediaGet)
}
