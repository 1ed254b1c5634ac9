package qrcode_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
)

var ticketCalls = map[string]func(context.Context, *qrcode.Tickets) error{
	"Temporary": func(ctx context.Context, tk *qrcode.Tickets) error {
		_, err := tk.Temporary(ctx, qrcode.StrScene("bind_42"), time.Hour)
		return err
	},
	"Permanent": func(ctx context.Context, tk *qrcode.Tickets) error {
		_, err := tk.Permanent(ctx, qrcode.IntScene(7))
		return err
	},
	"Image": func(ctx context.Context, tk *qrcode.Tickets) error {
		_, _, err := tk.Image(ctx, "TICKET")
		return err
	},
}

// Tickets on a WeCom client fail with ErrWrongPlatform and send nothing: not even a token request,
// whose WeCom token would be refused by the 公众号 API and dropped from the cache.
func TestTicketsOnWeComClient(t *testing.T) {
	mt := httpmock.NewMockTransport()
	wc, err := wecom.New("corp", "secret", wecom.WithAgentID(1), wecom.WithBaseURL(mpBase),
		wecom.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	for name, call := range ticketCalls {
		err := call(t.Context(), qrcode.NewTickets(wc))
		require.ErrorIs(t, err, wecom.ErrWrongPlatform, name)
		assert.ErrorIs(t, err, wecom.ErrOfficialAccountOnly, name)
		assert.Contains(t, err.Error(), "qrcode.Tickets."+name)
	}
	_, err = qrcode.NewBinder(qrcode.NewTickets(wc), wecom.NewMemoryStore())
	assert.ErrorIs(t, err, wecom.ErrWrongPlatform, "NewBinder fails at construction")
	assert.Zero(t, mt.GetTotalCallCount(), "no HTTP request at all")
}

// A nil client is an error on the first call, never a panic.
func TestTicketsNilClient(t *testing.T) {
	tk := qrcode.NewTickets(nil)
	require.NotNil(t, tk)
	for name, call := range ticketCalls {
		assert.NotPanics(t, func() {
			assert.ErrorIs(t, call(t.Context(), tk), wecom.ErrNilClient, name)
		})
	}
	var none *qrcode.Tickets
	assert.ErrorIs(t, ticketCalls["Temporary"](t.Context(), none), wecom.ErrNilClient)
	_, err := qrcode.NewBinder(tk, wecom.NewMemoryStore())
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	_, err = qrcode.NewBinder(nil, wecom.NewMemoryStore())
	assert.ErrorIs(t, err, wecom.ErrNilClient)
}
