package sheetrepo

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

const addRecords = "POST /cgi-bin/wedoc/smartsheet/add_records"

func newRepo(t *testing.T) (*Repo, *wecomtest.Server, *smartsheet.Client) {
	t.Helper()
	fake := wecomtest.NewServer()
	t.Cleanup(fake.Close)
	wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
		wecom.WithBaseURL(fake.URL), wecom.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	require.NoError(t, err)
	ss, err := smartsheet.NewClient(wc)
	require.NoError(t, err)
	docID, err := CreateDoc(t.Context(), ss, []string{wecomtest.DefaultUserID})
	require.NoError(t, err)
	r, err := Open(t.Context(), ss, docID, nil)
	require.NoError(t, err)
	return r, fake, ss
}

func (r *Repo) sheetID(t *testing.T, title string) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.sheets[title]
	require.True(t, ok, title)
	return id
}

func TestOpenLaysOutTheDocument(t *testing.T) {
	r, _, ss := newRepo(t)
	sheets, err := ss.Sheets(t.Context(), r.DocID(), nil)
	require.NoError(t, err)
	year := strconv.Itoa(time.Now().In(cst).Year())
	var titles []string
	for _, s := range sheets {
		titles = append(titles, s.Title)
	}
	assert.ElementsMatch(t, []string{ProductsSheet, movesPrefix + year, salesPrefix + year}, titles,
		"the default sub-sheet became 商品")

	// A restart opens the same document without adding anything.
	again, err := Open(t.Context(), ss, r.DocID(), nil)
	require.NoError(t, err)
	sheets, err = ss.Sheets(t.Context(), again.DocID(), nil)
	require.NoError(t, err)
	assert.Len(t, sheets, 3)
}

// TestServiceOnTheSheet runs the shop's rules on the smart sheet, including a ledger write that
// reaches WeCom but whose answer is lost: the row is written once and the sale happens once.
func TestServiceOnTheSheet(t *testing.T) {
	r, fake, _ := newRepo(t)
	ctx := t.Context()
	svc := shop.NewService(r, shop.Options{})
	boss := shop.Actor{UserID: "zhangsan", Manager: true}
	p, err := svc.Register(ctx, boss, shop.NewProduct{Name: "托特包", Price: shop.Yuan(1299), Stock: 2, RequestID: "reg-1"})
	require.NoError(t, err)
	again, err := svc.Register(ctx, boss, shop.NewProduct{Name: "托特包", Price: shop.Yuan(1299), Stock: 2, RequestID: "reg-1"})
	require.NoError(t, err)
	assert.Equal(t, p.Code, again.Code, "a retried registration returns the first bag")

	// The sale row is written, then the ledger row's add_records is applied but its answer dropped.
	require.NoError(t, fake.InjectFault(addRecords, 1, wecomtest.DelayFault(0))) // the sale row: passes
	require.NoError(t, fake.InjectFault(addRecords, 1, wecomtest.AppliedDropFault()))
	res, err := svc.Sell(ctx, boss, p.Code, shop.SellInput{RequestID: "sell-1"})
	require.NoError(t, err, "the ambiguous write is resolved by looking the row up")
	assert.Equal(t, 1, res.Product.Stock)
	res, err = svc.Sell(ctx, boss, p.Code, shop.SellInput{RequestID: "sell-1"})
	require.NoError(t, err)
	assert.True(t, res.Replay)

	year := strconv.Itoa(time.Now().In(cst).Year())
	n, err := fake.RecordCount(r.DocID(), r.sheetID(t, movesPrefix+year))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "opening row and one sale row")
	n, err = fake.RecordCount(r.DocID(), r.sheetID(t, salesPrefix+year))
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	got, err := r.Product(ctx, p.Code)
	require.NoError(t, err)
	assert.Equal(t, 1, got.Stock)
	ms, err := r.Movements(ctx, p.Code, 0)
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, shop.MoveSell, ms[0].Kind, "newest first")
	ok, err := r.HasMovement(ctx, "sell-1", time.Now())
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = r.HasMovement(ctx, "sell-2", time.Now())
	require.NoError(t, err)
	assert.False(t, ok)
	fixed, err := svc.Reconcile(context.Background())
	require.NoError(t, err)
	assert.Empty(t, fixed)
}

// MovementsSince filters the first year on the server by day (widened by one day) and then by the
// exact time: rows just before since are left out, rows at since and later are kept, and older
// rows do not come back at all.
func TestMovementsSinceWindow(t *testing.T) {
	r, _, _ := newRepo(t)
	ctx := t.Context()
	now := time.Now().In(cst).Truncate(time.Millisecond) // cells keep milliseconds
	since := now.Add(-48 * time.Hour)
	ages := map[string]time.Duration{"old": 20 * 24 * time.Hour, "before": 48*time.Hour + time.Minute,
		"at": 48 * time.Hour, "recent": time.Hour}
	for id, age := range ages {
		at := now.Add(-age)
		if at.Year() != now.Year() {
			t.Skip("window crosses a year boundary today")
		}
		require.NoError(t, r.AddMovement(ctx, &shop.Movement{ID: id, Code: "BAG1", Kind: shop.MoveRestock, Qty: 1, At: at}))
	}
	ms, err := r.MovementsSince(ctx, since)
	require.NoError(t, err)
	var got []string
	for _, m := range ms {
		got = append(got, m.ID)
	}
	assert.ElementsMatch(t, []string{"at", "recent"}, got)
}
