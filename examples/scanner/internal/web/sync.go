package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// syncView is the state of the smart-sheet sync: the backlog, the rows whose delivery failed with
// their last error, and the members' changes that could not be applied.
type syncView struct {
	Stats   store.OutboxStats
	Failing []store.OutboxItem
	Stuck   []stuckRow
	Events  []store.SheetEvent
	Sheets  []store.Sheet
}

// stuckRow is a row whose delivery failed, as a manager reads it.
type stuckRow struct {
	Table, Entity, Link, Hint, Detail string
	Attempts                          int
	Since, Next                       time.Time
}

var tableNames = map[string]string{store.TopicProducts: "商品", store.TopicLedger: "库存流水", store.TopicSales: "销售记录"}

// hint explains a delivery error in plain words.
func hint(err string) string {
	switch {
	case strings.Contains(err, "45009"), strings.Contains(err, "45033"):
		return "企业微信接口调用太频繁（限流），会自动稍后重试 · rate limited"
	case strings.Contains(err, "HTTP 5"), strings.Contains(err, "errcode -1"), strings.Contains(err, "timeout"),
		strings.Contains(err, "deadline"), strings.Contains(err, "connection"):
		return "企业微信暂时不可用，恢复后自动补写 · WeCom unavailable"
	case strings.Contains(err, "60020"):
		return "服务器 IP 不在企业可信 IP 中（管理后台 → 应用 → 企业可信IP）· server IP not trusted"
	case strings.Contains(err, "851003"), strings.Contains(err, "640002"):
		return "应用无权访问这份智能表格，或文档已删除 · no access to the document"
	case strings.Contains(err, "40058"):
		return "企业微信不接受这一行（数据或表格结构不符），请检查表格是否被改动 · refused by WeCom"
	}
	return "写入失败，会自动重试 · will retry"
}

func (s *Server) syncState(r *http.Request) (*syncView, error) {
	ctx := r.Context()
	var v syncView
	var err error
	if v.Stats, err = s.cfg.Store.OutboxStats(ctx, store.SheetTopics...); err != nil {
		return nil, err
	}
	if v.Failing, err = s.cfg.Store.Failing(ctx, 200); err != nil {
		return nil, err
	}
	for _, it := range v.Failing {
		r := stuckRow{Table: tableNames[it.Topic], Entity: it.Entity, Hint: hint(it.LastError), Detail: it.LastError,
			Attempts: it.Attempts, Since: it.CreatedAt, Next: it.NextAt}
		if r.Table == "" {
			r.Table = it.Topic
		}
		if it.Topic == store.TopicProducts {
			r.Link = "/p/" + url.PathEscape(it.Entity)
		}
		v.Stuck = append(v.Stuck, r)
	}
	if v.Events, err = s.cfg.Store.FailingSheetEvents(ctx, 50); err != nil {
		return nil, err
	}
	if v.Sheets, err = s.cfg.Store.Sheets(ctx); err != nil {
		return nil, err
	}
	return &v, nil
}

// syncPage is the managers' view of the sync (同步状态), with the stuck rows and their last error.
func (s *Server) syncPage(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	v, err := s.syncState(r)
	if err != nil {
		return err
	}
	return s.render(w, r, u, "sync.html", "表格同步", v)
}

func (s *Server) apiSync(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	v, err := s.syncState(r)
	if err != nil {
		return err
	}
	type item struct {
		Topic     string `json:"topic"`
		Entity    string `json:"entity"`
		Attempts  int    `json:"attempts"`
		LastError string `json:"last_error"`
		Since     string `json:"since"`
	}
	items := []item{}
	for _, it := range v.Failing {
		items = append(items, item{it.Topic, it.Entity, it.Attempts, it.LastError, it.CreatedAt.In(s.cfg.Location).Format("2006-01-02 15:04:05")})
	}
	out := map[string]any{"pending": v.Stats.Pending, "failing": v.Stats.Failing, "stuck": items,
		"failed_changes": len(v.Events)}
	if s.cfg.Sync != nil {
		out["calls"] = s.cfg.Sync.Calls()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiSyncRetry makes every failed row due now and wakes the sync (「立即重试」).
func (s *Server) apiSyncRetry(w http.ResponseWriter, r *http.Request, u User) error {
	if !u.Manager {
		return shop.ErrForbidden
	}
	if err := s.cfg.Store.RetryNow(r.Context()); err != nil {
		return err
	}
	if s.cfg.Sync != nil {
		s.cfg.Sync.Kick()
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}
