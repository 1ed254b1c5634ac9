package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

func TestDoCapsResponseBody(t *testing.T) {
	c, mt := newMocked(t, wecom.WithMaxResponseBytes(1024))
	big := `{"errcode":0,"x":"` + strings.Repeat("a", 2000) + `"}`
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/big", httpmock.NewStringResponder(200, big))
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/small", httpmock.NewStringResponder(200, `{"errcode":0,"x":"a"}`))
	var out struct{ X string }
	err := c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/big"}, &out)
	var tl *wecom.ResponseTooLargeError
	require.ErrorAs(t, err, &tl)
	assert.ErrorIs(t, err, wecom.ErrResponseTooLarge)
	assert.Equal(t, int64(1024), tl.Limit)
	assert.Equal(t, "/cgi-bin/big", tl.Path)
	assert.Empty(t, out.X)
	assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+testBase+"/cgi-bin/big"], "not retried")
	require.NoError(t, c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/small"}, &out))
	assert.Equal(t, "a", out.X)

	_, err = wecom.New("corp", "secret", wecom.WithMaxResponseBytes(0))
	assert.Error(t, err)
	assert.EqualValues(t, 8<<20, wecom.DefaultMaxResponseBytes)
}

func TestDoBodyWithoutMethodIsPOST(t *testing.T) {
	c, mt := newMocked(t)
	var got []byte
	mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/thing", func(r *http.Request) (*http.Response, error) {
		got, _ = io.ReadAll(r.Body)
		return httpmock.NewStringResponse(200, `{"errcode":0}`), nil
	})
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/thing", httpmock.NewStringResponder(200, `{"errcode":0}`))
	require.NoError(t, c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/thing", Body: map[string]int{"a": 1}}, nil))
	assert.JSONEq(t, `{"a":1}`, string(got))
	require.NoError(t, c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/thing"}, nil))
	calls := mt.GetCallCountInfo()
	assert.Equal(t, 1, calls["POST "+testBase+"/cgi-bin/thing"])
	assert.Equal(t, 1, calls["GET "+testBase+"/cgi-bin/thing"])
}

func TestNilClientAndRequest(t *testing.T) {
	var c *wecom.Client
	assert.ErrorIs(t, c.Do(t.Context(), &wecom.Request{Path: "/x"}, nil), wecom.ErrNilClient)
	_, _, err := c.Stream(t.Context(), &wecom.Request{Path: "/x"})
	assert.ErrorIs(t, err, wecom.ErrNilClient)
	assert.ErrorIs(t, c.Require(wecom.PlatformWeCom, "x"), wecom.ErrNilClient)
	c2, _ := newMocked(t)
	assert.Error(t, c2.Do(t.Context(), nil, nil))
}

func TestHTTPClientIsCopied(t *testing.T) {
	hc := &http.Client{Timeout: 7 * time.Second}
	c, err := wecom.New("corp", "secret", wecom.WithHTTPClient(hc))
	require.NoError(t, err)
	hc.Timeout = time.Hour // the caller's later change does not reach the client
	got := c.HTTPClient()
	assert.Equal(t, 7*time.Second, got.Timeout)
	assert.NotSame(t, hc, got)
	got.Timeout = time.Millisecond // nor does a change to the copy handed out
	assert.Equal(t, 7*time.Second, c.HTTPClient().Timeout)
}

func TestTokenFetchTimeoutSaysSo(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done() // WeCom never answers
		return nil, r.Context().Err()
	})
	c, err := wecom.New("corp", "secret", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}),
		wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}))
	require.NoError(t, err)
	wecom.SetTokenFetchTimeout(c, 50*time.Millisecond)
	_, err = c.AccessToken(context.Background()) // a caller without a deadline
	require.ErrorIs(t, err, wecom.ErrTokenFetchTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "token fetch timed out")
}

// brokenStore is a token store whose backend is down; it counts lock attempts.
type brokenStore struct{ locks atomic.Int32 }

var errStoreDown = errors.New("dial tcp 10.0.0.1:6379: connect: connection refused")

func (*brokenStore) Get(context.Context, string) (string, bool, error) {
	return "", false, errStoreDown
}
func (*brokenStore) Set(context.Context, string, string, time.Duration) error { return errStoreDown }
func (*brokenStore) Delete(context.Context, string) error                     { return errStoreDown }
func (s *brokenStore) Lock(context.Context, string, time.Duration) (func(context.Context) error, bool, error) {
	s.locks.Add(1)
	return nil, false, errStoreDown
}

func TestTokenStoreFailureIsVisible(t *testing.T) {
	// Without WithLogger the warning goes to slog.Default(). (Not parallel: it swaps the default.)
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	store := &brokenStore{}
	seq := &tokenSeq{}
	c, _ := newSeqClient(t, seq, wecom.WithTokenStore(store))
	assert.Zero(t, c.TokenStoreStatus().Failures)
	tok, err := c.AccessToken(t.Context())
	require.NoError(t, err, "the client works on its own")
	assert.Equal(t, "TOKEN1", tok)
	st := c.TokenStoreStatus()
	assert.GreaterOrEqual(t, st.Failures, uint64(2), "get and set failed")
	require.ErrorIs(t, st.LastError, wecom.ErrTokenStoreUnavailable)
	assert.ErrorIs(t, st.LastError, errStoreDown)
	assert.False(t, st.LastFailure.IsZero())
	assert.Zero(t, store.locks.Load(), "no lock attempt on a store that just failed")
	assert.Contains(t, buf.String(), "level=WARN")
	assert.Contains(t, buf.String(), "token store failed")
	assert.NotContains(t, buf.String(), "TOKEN1")

	// With WithLogger the warning goes there instead.
	var own bytes.Buffer
	buf.Reset()
	c2, _ := newSeqClient(t, &tokenSeq{}, wecom.WithTokenStore(&brokenStore{}), wecom.WithLogger(slogTo(&own)))
	_, err = c2.AccessToken(t.Context())
	require.NoError(t, err)
	assert.Contains(t, own.String(), "token store failed")
	assert.Empty(t, buf.String())
}
