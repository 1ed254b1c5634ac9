package web

import (
	"net/http"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// syncView is the state of the smart-sheet sync: the backlog, the rows whose delivery failed with
// their last error, and the members' changes that could not be applied.
type syncView struct {
	Stats   store.OutboxStats
	Failing []store.OutboxItem
	Events  []store.SheetEvent
	Sheets  []store.Sheet
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
		items = append(items, item{it.Topic, it.Entity, it.Attempts, it.LastError, it.CreatedAt.In(cst).Format("2006-01-02 15:04:05")})
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
