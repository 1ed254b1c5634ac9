package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/wecom"
)

// members knows the display names of the company's members, so that pages and the sheet show
// 张三 rather than zhangsan. Names are learnt from WeCom (读取成员, user/get) in the background when
// a member signs in or sends a message, and kept in the store; pages read them from memory and
// never wait on WeCom.
type members struct {
	st  *store.Store
	wc  *wecom.Client
	log *slog.Logger

	mu    sync.RWMutex
	names map[string]string
	tried map[string]time.Time // last lookup that failed, per userid
	busy  map[string]bool
}

// retryLookup is how long a failed lookup waits before the next try.
const retryLookup = time.Hour

func newMembers(ctx context.Context, st *store.Store, wc *wecom.Client, known map[string]string, log *slog.Logger) (*members, error) {
	m := &members{st: st, wc: wc, log: log, tried: map[string]time.Time{}, busy: map[string]bool{}}
	for id, name := range known { // the demo's members
		if err := st.SetMember(ctx, id, name); err != nil {
			return nil, err
		}
	}
	names, _, err := st.Members(ctx)
	if err != nil {
		return nil, err
	}
	m.names = names
	return m, nil
}

// Name returns a member's name, or "" when it is not known (yet).
func (m *members) Name(userID string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.names[userID]
}

// Display returns a member's name, or the userid when it is not known.
func (m *members) Display(userID string) string {
	if n := m.Name(userID); n != "" {
		return n
	}
	return userID
}

// Learn looks a member's name up in the background when it is not known; it returns at once.
func (m *members) Learn(userID string) {
	if userID == "" || m.Name(userID) != "" || !plausibleUserID(userID) { // the usual case: known, no write lock
		return
	}
	m.mu.Lock()
	if m.names[userID] != "" || m.busy[userID] || time.Since(m.tried[userID]) < retryLookup {
		m.mu.Unlock()
		return
	}
	m.busy[userID] = true
	m.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		name, err := m.lookup(ctx, userID)
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.busy, userID)
		if err != nil || name == "" {
			m.tried[userID] = time.Now()
			m.log.Info("scanner: member name not available; showing the userid", "user", userID, "err", err)
			return
		}
		m.names[userID] = name
	}()
}

func (m *members) lookup(ctx context.Context, userID string) (string, error) {
	var out struct {
		Name string `json:"name"`
	}
	// 读取成员: https://developer.work.weixin.qq.com/document/path/90196 — a self-built app reads
	// the members in its visible range, name included.
	if err := m.wc.Do(ctx, &wecom.Request{Method: http.MethodGet, Path: "/cgi-bin/user/get",
		Query: url.Values{"userid": {userID}}}, &out); err != nil {
		return "", err
	}
	name := strings.TrimSpace(out.Name)
	if name == "" || name == userID {
		return "", nil
	}
	return name, m.st.SetMember(ctx, userID, name)
}

// plausibleUserID filters out actors that are not members ("表格", "导入", names from the sheet).
func plausibleUserID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-@.", c)) {
			return false
		}
	}
	return true
}
