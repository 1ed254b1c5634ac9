package qrcode_test

import (
	"bytes"
	"context"
	"image"
	_ "image/png"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// The whole "scan to bind" chain on the fake 公众号: create a code, download its image, a user scans
// it (new follower, then again as a follower), the safe-mode callback is decrypted by
// wecom.CallbackHandler, ParseScanEvent and Binder.Resolve turn it into the entity exactly once.
func TestScanToBindEndToEnd(t *testing.T) {
	var (
		mu       sync.Mutex
		resolved []string
		errs     []error
	)
	srv := wecomtest.NewServer()
	defer srv.Close()
	mp, err := wecom.NewOfficialAccount(wecomtest.DefaultAppID, wecomtest.DefaultAppSecret, wecom.WithBaseURL(srv.URL))
	require.NoError(t, err)
	binder, err := qrcode.NewBinder(qrcode.NewTickets(mp), wecom.NewMemoryStore(),
		qrcode.WithSceneFunc(func(id string) string { return "bind_business_" + id }))
	require.NoError(t, err)

	cb, err := wecom.NewCallbackHandler(mp, wecomtest.DefaultCallbackToken, wecomtest.DefaultEncodingAESKey,
		func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
			ev, err := qrcode.ParseScanEvent(m.Raw)
			if err != nil {
				return nil, nil
			}
			id, err := binder.Resolve(ctx, ev)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return wecom.TextReply{Content: "绑定失败"}, nil
			}
			resolved = append(resolved, id)
			return wecom.TextReply{Content: "绑定成功 " + id}, nil
		})
	require.NoError(t, err)
	app := httptest.NewServer(cb)
	defer app.Close()
	require.NoError(t, srv.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: app.URL,
		Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: wecomtest.ModeSafe}))

	ctx := t.Context()
	b, err := binder.Issue(ctx, "42", 30*24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 2592000, b.ExpireSeconds)
	img, ct, err := qrcode.NewTickets(mp).Image(ctx, b.Ticket.Ticket)
	require.NoError(t, err)
	assert.Equal(t, "image/png", ct)
	_, _, err = image.Decode(bytes.NewReader(img))
	require.NoError(t, err)
	_, _, err = qrcode.NewTickets(mp).Image(ctx, "no-such-ticket")
	require.ErrorIs(t, err, qrcode.ErrTicketNotFound)

	reply, err := srv.SimulateScan(ctx, "o_new_follower", b.Scene, false)
	require.NoError(t, err)
	assert.Contains(t, string(reply), "绑定成功 42")
	reply, err = srv.SimulateScan(ctx, "o_new_follower", b.Scene, true) // scanned again: used
	require.NoError(t, err)
	assert.Contains(t, string(reply), "绑定失败")

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"42"}, resolved)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], qrcode.ErrAlreadyUsed)
	assert.Equal(t, 1, srv.Calls("POST /cgi-bin/qrcode/create"))
}
