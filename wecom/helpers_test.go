package wecom_test

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/fakeclock"
	"github.com/qiwei-go/qiwei/wecom"
)

const testBase = "https://wecom.test"

func fixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// newMocked returns a WeCom client on a fresh mock transport whose gettoken answers ok.json.
func newMocked(t testing.TB, opts ...wecom.Option) (*wecom.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken",
		httpmock.NewBytesResponder(200, fixture(t, "testdata/gettoken/ok.json")))
	opts = append([]wecom.Option{wecom.WithAgentID(1000002), wecom.WithBaseURL(testBase),
		wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetry(wecom.RetryPolicy{Attempts: 3, Base: time.Millisecond})}, opts...)
	c, err := wecom.New("corp", "secret", opts...)
	require.NoError(t, err)
	return c, mt
}

// tokenSeq answers gettoken with TOKEN1, TOKEN2, … and counts calls; delay makes races real.
type tokenSeq struct {
	n     atomic.Int64
	delay time.Duration
}

func (s *tokenSeq) responder(req *http.Request) (*http.Response, error) {
	n := s.n.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return httpmock.NewJsonResponse(200, map[string]any{
		"errcode": 0, "errmsg": "ok", "access_token": "TOKEN" + itoa(n), "expires_in": 7200})
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
