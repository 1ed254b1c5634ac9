package sheetsync

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store/storetest"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

const addRecords = "POST /cgi-bin/wedoc/smartsheet/add_records"

// rig is a store, a shop, a fake WeCom with the shop's document, and a syncer between them.
type rig struct {
	st   *store.Store
	shop *shop.Service
	fake *wecomtest.Server
	ss   *smartsheet.Client // the app's client
	peek *smartsheet.Client // another client, to look at the sheet as a member would
	sync *Syncer
}

var boss = shop.Actor{UserID: "zhangsan", Name: "张三", Manager: true}

func newRig(t *testing.T, d store.Dialect) *rig { return newClockedRig(t, d, time.Now) }

// newClockedRig is newRig with a clock shared by the store, the shop and the syncer.
func newClockedRig(t *testing.T, d store.Dialect, now func() time.Time) *rig {
	t.Helper()
	fake := wecomtest.NewServer(wecomtest.WithMember(wecomtest.Member{UserID: "zhangsan", Name: "张三"}))
	t.Cleanup(fake.Close)
	client := func() *smartsheet.Client {
		wc, err := wecom.New(wecomtest.DefaultCorpID, wecomtest.DefaultSecret, wecom.WithAgentID(wecomtest.DefaultAgentID),
			wecom.WithBaseURL(fake.URL), wecom.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
		require.NoError(t, err)
		ss := smartsheet.New(wc, smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 2, Base: 10 * time.Millisecond,
			Max: 20 * time.Millisecond}))
		require.NoError(t, ss.Err())
		return ss
	}
	r := &rig{st: storetest.Open(t, d, store.WithClock(now)), fake: fake, ss: client(), peek: client()}
	r.shop = shop.NewService(r.st, shop.Options{Now: now})
	docID, err := CreateDoc(t.Context(), r.ss, []string{"zhangsan"})
	require.NoError(t, err)
	r.sync = New(r.st, r.ss, r.shop, docID, Options{Owner: "test", RetryBase: time.Millisecond, RetryMax: time.Millisecond, Now: now})
	return r
}

// sheet returns the app's sub-sheet whose store name starts with prefix.
func (r *rig) sheet(t *testing.T, prefix string) store.Sheet {
	t.Helper()
	shs, err := r.st.Sheets(t.Context())
	require.NoError(t, err)
	for _, sh := range shs {
		if strings.HasPrefix(sh.Name, prefix) {
			return sh
		}
	}
	t.Fatalf("no sheet %s in %v", prefix, shs)
	return store.Sheet{}
}

// rows reads a sub-sheet as a member would, keyed by the key column.
func (r *rig) rows(t *testing.T, prefix, key string) map[string]smartsheet.Record {
	t.Helper()
	out := map[string]smartsheet.Record{}
	for rec, err := range r.peek.Records(t.Context(), r.sync.DocID(), r.sheet(t, prefix).SheetID, nil) {
		require.NoError(t, err)
		k := rec.Values[key].String()
		_, dup := out[k]
		require.False(t, dup, "two rows with %s = %s", key, k)
		out[k] = rec
	}
	return out
}

// memberEdit changes cells of a product's row through another client, then delivers the
// smart_sheet_change callback WeCom would send.
func (r *rig) memberEdit(t *testing.T, code string, values map[string]smartsheet.Value) {
	t.Helper()
	row := r.rows(t, store.TopicProducts, colCode)[code]
	require.NotEmpty(t, row.ID, code)
	_, err := r.peek.UpdateRecords(t.Context(), r.sync.DocID(), r.sheet(t, store.TopicProducts).SheetID,
		[]smartsheet.Record{{ID: row.ID, Values: values}})
	require.NoError(t, err)
	r.callback(t, wecom.ChangeTypeUpdateRecord, row.ID)
}

func (r *rig) callback(t *testing.T, change string, ids ...string) {
	t.Helper()
	require.NoError(t, r.sync.HandleCallback(t.Context(), &wecom.Message{Event: wecom.EventSmartSheetChange,
		ChangeType: change, DocID: r.sync.DocID(), SheetID: r.sheet(t, store.TopicProducts).SheetID, RecordIDs: ids}))
}

func (r *rig) register(t *testing.T, name string, stock int) *shop.Product {
	t.Helper()
	p, err := r.shop.Register(t.Context(), boss, shop.NewProduct{Name: name, Brand: "Coach", Price: shop.Yuan(1299), Stock: stock})
	require.NoError(t, err)
	return p
}

func (r *rig) ledgerHolds(t *testing.T) {
	t.Helper()
	bad, err := r.st.LedgerMismatches(t.Context())
	require.NoError(t, err)
	require.Empty(t, bad, "stock = ledger sum")
}
