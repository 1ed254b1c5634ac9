package qrcode_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/qrcode"
	"github.com/qiwei-go/qiwei/wecom"
)

const mpBase = "https://mp.test"

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

func newMP(t testing.TB) (*wecom.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, mpBase+"/cgi-bin/stable_token",
		httpmock.NewStringResponder(200, `{"access_token":"ACCESS_TOKEN","expires_in":7200}`))
	c, err := wecom.NewOfficialAccount("wxAPPID", "secret", wecom.WithBaseURL(mpBase),
		wecom.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	return c, mt
}

func TestTicketsWireBodies(t *testing.T) {
	tests := []struct {
		name, request, response string
		create                  func(ctx context.Context, tk *qrcode.Tickets) (*qrcode.Ticket, error)
		wantExpire              int
	}{
		{"QR_SCENE", "temp_int", "temp", func(ctx context.Context, tk *qrcode.Tickets) (*qrcode.Ticket, error) {
			return tk.Temporary(ctx, qrcode.IntScene(123), 7*24*time.Hour)
		}, 1800},
		{"QR_STR_SCENE", "temp_str", "temp", func(ctx context.Context, tk *qrcode.Tickets) (*qrcode.Ticket, error) {
			return tk.Temporary(ctx, qrcode.StrScene("test"), 604800*time.Second)
		}, 1800},
		{"QR_LIMIT_SCENE", "perm_int", "perm", func(ctx context.Context, tk *qrcode.Tickets) (*qrcode.Ticket, error) {
			return tk.Permanent(ctx, qrcode.IntScene(123))
		}, 0},
		{"QR_LIMIT_STR_SCENE", "perm_str", "perm", func(ctx context.Context, tk *qrcode.Tickets) (*qrcode.Ticket, error) {
			return tk.Permanent(ctx, qrcode.StrScene("test"))
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMP(t)
			var got []byte
			mt.RegisterResponder(http.MethodPost, mpBase+"/cgi-bin/qrcode/create", func(r *http.Request) (*http.Response, error) {
				got, _ = io.ReadAll(r.Body)
				return httpmock.NewBytesResponse(200, readFile(t, "testdata/qrcode_create/"+tt.response+".response.json")), nil
			})
			tk, err := tt.create(t.Context(), qrcode.NewTickets(c))
			require.NoError(t, err)
			assert.JSONEq(t, string(readFile(t, "testdata/qrcode_create/"+tt.request+".request.json")), string(got))
			assert.Equal(t, "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==", tk.Ticket)
			assert.Equal(t, tt.wantExpire, tk.ExpireSeconds)
			assert.Equal(t, "https://weixin.qq.com/q/kZgfwMTm72WWPkovabbI", tk.URL)
			assert.Equal(t, mpBase+"/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D", tk.ImageURL())
		})
	}
}

func TestTicketsValidateBeforeRequest(t *testing.T) {
	long := string(make([]byte, 65))
	tests := []struct {
		name string
		call func(ctx context.Context, tk *qrcode.Tickets) error
		want error
	}{
		{"expiry below 60 s", func(ctx context.Context, tk *qrcode.Tickets) error {
			_, err := tk.Temporary(ctx, qrcode.IntScene(1), 59*time.Second)
			return err
		}, qrcode.ErrInvalidExpiry},
		{"expiry above 30 days", func(ctx context.Context, tk *qrcode.Tickets) error {
			_, err := tk.Temporary(ctx, qrcode.IntScene(1), 2592001*time.Second)
			return err
		}, qrcode.ErrInvalidExpiry},
		{"temporary scene id zero", func(ctx context.Context, tk *qrcode.Tickets) error {
			_, err := tk.Temporary(ctx, qrcode.IntScene(0), time.Hour)
			return err
		}, qrcode.ErrInvalidSceneID},
		{"permanent scene id zero", func(ctx context.Context, tk *qrcode.Tickets) error {
			_, err := tk.Permanent(ctx, qrcode.IntScene(0))
			return err
		}, qrcode.ErrInvalidSceneID},
		{"permanent scene id above 100000", func(ctx context.Context, tk *qrcode.Tickets) error {
			_, err := tk.Permanent(ctx, qrcode.IntScene(100001))
			return err
		}, qrcode.ErrInvalidSceneID},
		{"empty scene_str", func(ctx context.Context, tk *qrcode.Tickets) error {
			_, err := tk.Temporary(ctx, qrcode.StrScene(""), time.Hour)
			return err
		}, qrcode.ErrInvalidScene},
		{"scene_str of 65 bytes", func(ctx context.Context, tk *qrcode.Tickets) error {
			_, err := tk.Permanent(ctx, qrcode.StrScene(long))
			return err
		}, qrcode.ErrInvalidScene},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMP(t)
			err := tt.call(t.Context(), qrcode.NewTickets(c))
			require.ErrorIs(t, err, tt.want)
			assert.Zero(t, mt.GetTotalCallCount(), "no request may be sent for invalid input")
		})
	}
	// The limits themselves are accepted.
	c, mt := newMP(t)
	mt.RegisterResponder(http.MethodPost, mpBase+"/cgi-bin/qrcode/create",
		httpmock.NewBytesResponder(200, readFile(t, "testdata/qrcode_create/temp.response.json")))
	tk := qrcode.NewTickets(c)
	for _, ok := range []func() error{
		func() error { _, err := tk.Temporary(t.Context(), qrcode.IntScene(1), 60*time.Second); return err },
		func() error {
			_, err := tk.Temporary(t.Context(), qrcode.IntScene(^uint32(0)), 2592000*time.Second)
			return err
		},
		func() error { _, err := tk.Permanent(t.Context(), qrcode.IntScene(100000)); return err },
		func() error {
			_, err := tk.Permanent(t.Context(), qrcode.StrScene(string(make([]byte, 64))))
			return err
		},
	} {
		require.NoError(t, ok())
	}
}

func TestTicketsAPIError(t *testing.T) {
	c, mt := newMP(t)
	mt.RegisterResponder(http.MethodPost, mpBase+"/cgi-bin/qrcode/create",
		httpmock.NewBytesResponder(200, readFile(t, "testdata/qrcode_create/48001.response.json")))
	_, err := qrcode.NewTickets(c).Permanent(t.Context(), qrcode.IntScene(5))
	require.ErrorIs(t, err, wecom.CodeAPIUnauthorized)
}

func TestTicketsImage(t *testing.T) {
	c, mt := newMP(t)
	mt.RegisterResponder(http.MethodGet, mpBase+"/cgi-bin/showqrcode", func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("ticket") != "a+b/c=" {
			return httpmock.NewStringResponse(404, "not found"), nil
		}
		if r.URL.Query().Has("access_token") {
			return httpmock.NewStringResponse(400, "no token expected"), nil
		}
		resp := httpmock.NewBytesResponse(200, []byte("\xff\xd8\xff\xe0JFIF"))
		resp.Header.Set("Content-Type", "image/jpeg")
		return resp, nil
	})
	tk := qrcode.NewTickets(c)
	img, ct, err := tk.Image(t.Context(), "a+b/c=")
	require.NoError(t, err)
	assert.Equal(t, "image/jpeg", ct)
	assert.Equal(t, []byte("\xff\xd8\xff\xe0JFIF"), img)
	_, _, err = tk.Image(t.Context(), "unknown")
	require.ErrorIs(t, err, qrcode.ErrTicketNotFound)
}

func TestParseScanEvent(t *testing.T) {
	tests := []struct {
		file    string
		want    *qrcode.ScanEvent
		wantErr error
	}{
		{"subscribe_scene.xml", &qrcode.ScanEvent{OpenID: "FromUser", Scene: "123123", Ticket: "TICKET", NewFollower: true,
			Account: "toUser", CreateTime: time.Unix(123456789, 0), Event: "subscribe"}, nil},
		{"scan.xml", &qrcode.ScanEvent{OpenID: "FromUser", Scene: "SCENE_VALUE", Ticket: "TICKET", NewFollower: false,
			Account: "toUser", CreateTime: time.Unix(123456789, 0), Event: "SCAN"}, nil},
		{"subscribe_plain.xml", &qrcode.ScanEvent{OpenID: "FromUser", NewFollower: true,
			Account: "toUser", CreateTime: time.Unix(123456789, 0), Event: "subscribe"}, nil},
		{"text.xml", nil, qrcode.ErrNotScanEvent},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := qrcode.ParseScanEvent(readFile(t, "testdata/scan/"+tt.file))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.Scene != "", got.IsScan())
		})
	}
	for _, bad := range []string{"", "<xml>", "not xml", "<xml><MsgType>event</MsgType><Event>SCAN</Event></xml>"} {
		_, err := qrcode.ParseScanEvent([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
	// Leading BOM and whitespace are fine.
	e, err := qrcode.ParseScanEvent(append([]byte("\ufeff \n"), readFile(t, "testdata/scan/scan.xml")...))
	require.NoError(t, err)
	assert.Equal(t, "SCENE_VALUE", e.Scene)
}

func FuzzParseScanEvent(f *testing.F) {
	for _, n := range []string{"subscribe_scene.xml", "scan.xml", "subscribe_plain.xml", "text.xml"} {
		f.Add(readFile(f, "testdata/scan/"+n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := qrcode.ParseScanEvent(b)
		if err == nil && (e == nil || e.OpenID == "") {
			t.Fatalf("nil error with event %+v", e)
		}
	})
}

// binderEnv is a fake qrcode/create that hands out distinct tickets.
func binderEnv(t *testing.T) (*qrcode.Binder, *time.Time) {
	c, mt := newMP(t)
	var n atomic.Int64
	mt.RegisterResponder(http.MethodPost, mpBase+"/cgi-bin/qrcode/create", func(r *http.Request) (*http.Response, error) {
		return httpmock.NewJsonResponse(200, map[string]any{"ticket": "T" + string(rune('0'+n.Add(1))), "expire_seconds": 3600, "url": "https://weixin.qq.com/q/x"})
	})
	now := time.Unix(1_700_000_000, 0)
	b, err := qrcode.NewBinder(qrcode.NewTickets(c), wecom.NewMemoryStore(),
		qrcode.WithSceneFunc(func(id string) string { return "bind_business_" + id }),
		qrcode.WithBinderClock(func() time.Time { return now }))
	require.NoError(t, err)
	return b, &now
}

func TestBinder(t *testing.T) {
	b, now := binderEnv(t)
	ctx := t.Context()
	bd, err := b.Issue(ctx, "42", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, "bind_business_42", bd.Scene)
	ev := &qrcode.ScanEvent{OpenID: "o1", Scene: bd.Scene, Ticket: bd.Ticket.Ticket, NewFollower: true}
	id, err := b.Resolve(ctx, ev)
	require.NoError(t, err)
	assert.Equal(t, "42", id)
	_, err = b.Resolve(ctx, ev)
	require.ErrorIs(t, err, qrcode.ErrAlreadyUsed)

	_, err = b.Resolve(ctx, &qrcode.ScanEvent{OpenID: "o1", Scene: "bind_business_404"})
	require.ErrorIs(t, err, qrcode.ErrUnknownScene)
	_, err = b.Resolve(ctx, &qrcode.ScanEvent{OpenID: "o1", NewFollower: true})
	require.ErrorIs(t, err, qrcode.ErrNotScanEvent)

	// Re-issue: the old ticket is stale, the new one works.
	old, err := b.Issue(ctx, "7", time.Hour)
	require.NoError(t, err)
	cur, err := b.Issue(ctx, "7", time.Hour)
	require.NoError(t, err)
	_, err = b.Resolve(ctx, &qrcode.ScanEvent{OpenID: "o2", Scene: old.Scene, Ticket: old.Ticket.Ticket})
	require.ErrorIs(t, err, qrcode.ErrStaleCode)
	id, err = b.Resolve(ctx, &qrcode.ScanEvent{OpenID: "o2", Scene: cur.Scene, Ticket: cur.Ticket.Ticket})
	require.NoError(t, err)
	assert.Equal(t, "7", id)

	// Expiry follows the code's own lifetime.
	exp, err := b.Issue(ctx, "9", time.Hour)
	require.NoError(t, err)
	*now = now.Add(3601 * time.Second)
	_, err = b.Resolve(ctx, &qrcode.ScanEvent{OpenID: "o3", Scene: exp.Scene, Ticket: exp.Ticket.Ticket})
	require.ErrorIs(t, err, qrcode.ErrUnknownScene)
}

func TestBinderConcurrentResolveOnce(t *testing.T) {
	b, _ := binderEnv(t)
	bd, err := b.Issue(t.Context(), "1", time.Hour)
	require.NoError(t, err)
	var wins atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Resolve(t.Context(), &qrcode.ScanEvent{OpenID: "o", Scene: bd.Scene, Ticket: bd.Ticket.Ticket}); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load())
}
