package wecom_test

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// answers returns a responder that gives the bodies in turn (the last repeats) and counts calls.
func answers(n *atomic.Int64, bodies ...string) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		i := int(n.Add(1)) - 1
		return httpmock.NewStringResponse(200, bodies[min(i, len(bodies)-1)]), nil
	}
}

// The policy of a request replaces the client's; RetryLater and Idempotent widen what is retried.
func TestRetryPolicyPerRequest(t *testing.T) {
	fast := func(p wecom.RetryPolicy) *wecom.RetryPolicy {
		p.Base, p.Max = time.Millisecond, time.Millisecond
		return &p
	}
	tests := []struct {
		name       string
		retry      *wecom.RetryPolicy
		idempotent bool
		bodies     []string
		wantCalls  int64
		wantErr    error
	}{
		{"rate limit: not retried by default", nil, false,
			[]string{`{"errcode":45009}`, `{"errcode":0}`}, 1, wecom.CodeRateLimited},
		{"rate limit: RetryLater waits it out, even for a POST", fast(wecom.RetryPolicy{Attempts: 3, RetryLater: true}), false,
			[]string{`{"errcode":45009}`, `{"errcode":45033}`, `{"errcode":0}`}, 3, nil},
		{"version conflict: RetryLater", fast(wecom.RetryPolicy{Attempts: 2, RetryLater: true}), false,
			[]string{`{"errcode":6000}`, `{"errcode":0}`}, 2, nil},
		{"RetryLater stops after Attempts", fast(wecom.RetryPolicy{Attempts: 2, RetryLater: true}), false,
			[]string{`{"errcode":45009}`}, 2, wecom.CodeRateLimited},
		{"busy POST: not retried", nil, false, []string{`{"errcode":-1}`, `{"errcode":0}`}, 1, wecom.CodeSystemBusy},
		{"busy POST marked Idempotent: retried", nil, true, []string{`{"errcode":-1}`, `{"errcode":0}`}, 2, nil},
		{"unreadable answer to an idempotent POST: retried", nil, true, []string{`<html>`, `{"errcode":0}`}, 2, nil},
		{"Attempts 1: no retry at all", fast(wecom.RetryPolicy{Attempts: 1, RetryLater: true}), true,
			[]string{`{"errcode":-1}`, `{"errcode":0}`}, 1, wecom.CodeSystemBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			var n atomic.Int64
			mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/x", answers(&n, tt.bodies...))
			err := c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/x", Body: struct{}{}, Retry: tt.retry,
				Idempotent: tt.idempotent}, nil)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			assert.Equal(t, tt.wantCalls, n.Load())
		})
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	bad := []wecom.RetryPolicy{
		{},
		{Attempts: -1},
		{Attempts: 2, Base: -time.Second},
		{Attempts: 2, Base: time.Second, Max: time.Millisecond},
		{Attempts: 2, AttemptTimeout: -1},
	}
	for _, p := range bad {
		assert.Error(t, p.Validate(), "%+v", p)
		_, err := wecom.New("c", "s", wecom.WithRetry(p))
		assert.Error(t, err, "WithRetry(%+v)", p)
		c, mt := newMocked(t)
		err = c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/x", Retry: &p}, nil)
		assert.ErrorContains(t, err, "Request.Retry")
		assert.Zero(t, mt.GetTotalCallCount(), "an invalid policy fails before anything is sent")
	}
	for _, p := range []wecom.RetryPolicy{{Attempts: 1}, {Attempts: 5, Base: time.Second}, wecom.DefaultRetryPolicy()} {
		assert.NoError(t, p.Validate(), "%+v", p)
	}
}

// Each try is bounded by AttemptTimeout: a GET that hangs is tried again; the error still matches
// context.DeadlineExceeded when every try hangs. A POST that hung may have been applied: no retry.
func TestRetryAttemptTimeout(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			p := &wecom.RetryPolicy{Attempts: 3, Base: time.Millisecond, AttemptTimeout: 20 * time.Millisecond}
			c, mt := newMocked(t)
			var n atomic.Int64
			mt.RegisterResponder(method, testBase+"/cgi-bin/x", func(r *http.Request) (*http.Response, error) {
				n.Add(1)
				<-r.Context().Done() // WeCom never answers
				return nil, r.Context().Err()
			})
			var body any
			if method == http.MethodPost {
				body = struct{}{}
			}
			err := c.Do(t.Context(), &wecom.Request{Method: method, Path: "/cgi-bin/x", Body: body, Retry: p}, nil)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorContains(t, err, "try timed out after 20ms")
			want := int64(3)
			if method == http.MethodPost {
				want = 1
			}
			assert.Equal(t, want, n.Load())
		})
	}
}

// Stream shares Do's token refresh and retry engine: a rejected token is refreshed once, and a
// download that failed with HTTP 502 is tried again.
func TestStreamRefreshesAndRetries(t *testing.T) {
	seq := &tokenSeq{}
	c, mt := newSeqClient(t, seq)
	var n atomic.Int64
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/media/get", func(r *http.Request) (*http.Response, error) {
		switch {
		case r.URL.Query().Get("access_token") == "TOKEN1":
			resp := httpmock.NewStringResponse(200, `{"errcode":42001,"errmsg":"access_token expired"}`)
			resp.Header.Set("Content-Type", "application/json")
			return resp, nil
		case n.Add(1) == 1:
			return httpmock.NewStringResponse(502, "bad gateway"), nil
		}
		resp := httpmock.NewStringResponse(200, "JPEG")
		resp.Header.Set("Content-Type", "image/jpeg")
		return resp, nil
	})
	rc, h, err := c.Stream(t.Context(), &wecom.Request{Path: "/cgi-bin/media/get"})
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "JPEG", string(b))
	assert.Equal(t, "image/jpeg", h.Get("Content-Type"))
	assert.EqualValues(t, 2, seq.n.Load(), "one refresh")
	assert.EqualValues(t, 2, n.Load(), "the 502 and the retry")
}
