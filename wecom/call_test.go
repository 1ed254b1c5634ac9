package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

func TestDoDecodesErrcode(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		wantErr error
	}{
		{"ok", "testdata/errcode/0.json", nil},
		{"absent errcode means success", "testdata/errcode/absent.json", nil},
		{"rate limited", "testdata/errcode/45009.json", wecom.CodeRateLimited},
		{"concurrency limited", "testdata/errcode/45033.json", wecom.CodeConcurrencyLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/x", httpmock.NewBytesResponder(200, fixture(t, tt.fixture)))
			err := c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/x", Body: map[string]int{"a": 1}}, nil)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var ae *wecom.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "/cgi-bin/x", ae.Path)
			assert.True(t, wecom.IsRateLimited(err))
			assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+testBase+"/cgi-bin/x"], "rate limits are not retried by Do")
		})
	}
}

func TestDoRetriesIdempotentOnly(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		responses []httpmock.Responder
		wantCalls int
		wantErr   bool
	}{
		{"GET busy then ok", http.MethodGet, []httpmock.Responder{
			httpmock.NewStringResponder(200, `{"errcode":-1,"errmsg":"system busy"}`),
			httpmock.NewStringResponder(200, `{"errcode":0}`)}, 2, false},
		{"GET busy three times", http.MethodGet, []httpmock.Responder{
			httpmock.NewStringResponder(200, `{"errcode":-1}`)}, 3, true},
		{"GET 502 then ok", http.MethodGet, []httpmock.Responder{
			httpmock.NewStringResponder(502, `bad gateway`),
			httpmock.NewStringResponder(200, `{"errcode":0}`)}, 2, false},
		{"GET connection reset then ok", http.MethodGet, []httpmock.Responder{
			httpmock.NewErrorResponder(errors.New("connection reset by peer")),
			httpmock.NewStringResponder(200, `{"errcode":0}`)}, 2, false},
		{"POST busy is not replayed", http.MethodPost, []httpmock.Responder{
			httpmock.NewStringResponder(200, `{"errcode":-1}`)}, 1, true},
		{"POST 502 is not replayed", http.MethodPost, []httpmock.Responder{
			httpmock.NewStringResponder(502, `bad gateway`)}, 1, true},
		{"POST reset after send is not replayed", http.MethodPost, []httpmock.Responder{
			httpmock.NewErrorResponder(errors.New("connection reset by peer"))}, 1, true},
		{"POST dial failure is retried", http.MethodPost, []httpmock.Responder{
			httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}),
			httpmock.NewStringResponder(200, `{"errcode":0}`)}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			var mu sync.Mutex
			n := 0
			mt.RegisterResponder(tt.method, testBase+"/cgi-bin/x", func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				i := min(n, len(tt.responses)-1)
				n++
				mu.Unlock()
				return tt.responses[i](r)
			})
			var body any
			if tt.method == http.MethodPost {
				body = map[string]int{"a": 1}
			}
			err := c.Do(t.Context(), &wecom.Request{Method: tt.method, Path: "/cgi-bin/x", Body: body}, nil)
			assert.Equal(t, tt.wantErr, err != nil, "err = %v", err)
			assert.Equal(t, tt.wantCalls, mt.GetCallCountInfo()[tt.method+" "+testBase+"/cgi-bin/x"])
		})
	}
}

func TestDoSendsSameBytesOnTokenRetry(t *testing.T) {
	seq := &tokenSeq{}
	c, mt := newSeqClient(t, seq)
	var bodies [][]byte
	mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/message/send", func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b)
		if len(bodies) == 1 {
			return httpmock.NewStringResponse(200, `{"errcode":42001}`), nil
		}
		return httpmock.NewStringResponse(200, `{"errcode":0}`), nil
	})
	body := map[string]any{"touser": "a|b", "text": map[string]string{"content": "<a href=\"x\">链接</a>"}}
	require.NoError(t, c.Do(t.Context(), &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/message/send", Body: body}, nil))
	require.Len(t, bodies, 2)
	assert.Equal(t, bodies[0], bodies[1])
	assert.Contains(t, string(bodies[0]), `<a href=\"x\">链接</a>`, "no HTML escaping of message content")
}

func TestSecretsNeverInErrors(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken",
		httpmock.NewBytesResponder(200, fixture(t, "testdata/gettoken/ok.json")))
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/x", httpmock.NewErrorResponder(errors.New("boom")))
	var logs bytes.Buffer
	c, err := wecom.New("corp", "SUPERSECRET", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}),
		wecom.WithRetry(wecom.RetryPolicy{Attempts: 2, Base: time.Millisecond}), wecom.WithLogger(slogTo(&logs)))
	require.NoError(t, err)
	err = c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/x"}, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "ACCESS_TOKEN")
	assert.NotContains(t, err.Error(), "access_token=")
	assert.NotContains(t, logs.String(), "ACCESS_TOKEN")

	// gettoken failures carry neither the secret nor the query.
	mt2 := httpmock.NewMockTransport()
	mt2.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken", httpmock.NewErrorResponder(errors.New("unreachable")))
	c2, err := wecom.New("corp", "SUPERSECRET", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt2}),
		wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}), wecom.WithLogger(slogTo(&logs)))
	require.NoError(t, err)
	_, err = c2.AccessToken(t.Context())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SUPERSECRET")
	assert.NotContains(t, logs.String(), "SUPERSECRET")
}

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		mk   func() (*wecom.Client, error)
	}{
		{"empty corp id", func() (*wecom.Client, error) { return wecom.New("", "s") }},
		{"empty secret", func() (*wecom.Client, error) { return wecom.New("c", "") }},
		{"empty app id", func() (*wecom.Client, error) { return wecom.NewOfficialAccount("", "s") }},
		{"relative base URL", func() (*wecom.Client, error) { return wecom.New("c", "s", wecom.WithBaseURL("/x")) }},
		{"ftp base URL", func() (*wecom.Client, error) { return wecom.New("c", "s", wecom.WithBaseURL("ftp://h")) }},
		{"base URL with query", func() (*wecom.Client, error) { return wecom.New("c", "s", wecom.WithBaseURL("https://h/?a=1")) }},
		{"zero agent id", func() (*wecom.Client, error) { return wecom.New("c", "s", wecom.WithAgentID(0)) }},
		{"nil http client", func() (*wecom.Client, error) { return wecom.New("c", "s", wecom.WithHTTPClient(nil)) }},
		{"nil store", func() (*wecom.Client, error) { return wecom.New("c", "s", wecom.WithTokenStore(nil)) }},
		{"bad retry", func() (*wecom.Client, error) {
			return wecom.New("c", "s", wecom.WithRetry(wecom.RetryPolicy{Attempts: 0, Base: time.Second}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.mk()
			require.Error(t, err)
			assert.Nil(t, c)
		})
	}
	c, err := wecom.New("c", "s", wecom.WithBaseURL("http://127.0.0.1:9000/"))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9000", c.BaseURL(wecom.HostAPI))
	assert.Equal(t, "http://127.0.0.1:9000", c.BaseURL(wecom.HostOpen))
	d, err := wecom.New("c", "s")
	require.NoError(t, err)
	assert.Equal(t, wecom.DefaultWeComBaseURL, d.BaseURL(wecom.HostAPI))
}

func TestDoRejectsQueryInPath(t *testing.T) {
	c, _ := newMocked(t)
	err := c.Do(t.Context(), &wecom.Request{Path: "/cgi-bin/x?access_token=abc"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Request.Query")
}

func TestDoHonoursContextDuringBackoff(t *testing.T) {
	c, mt := newMocked(t, wecom.WithRetry(wecom.RetryPolicy{Attempts: 5, Base: time.Hour}))
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/x", httpmock.NewStringResponder(200, `{"errcode":-1}`))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Do(ctx, &wecom.Request{Path: "/cgi-bin/x"}, nil)
	require.ErrorIs(t, err, wecom.CodeSystemBusy)
	assert.Less(t, time.Since(start), 30*time.Second, "must not sleep an hour")
}

func TestStreamDetectsJSONErrors(t *testing.T) {
	c, mt := newMocked(t)
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/media/get", func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("media_id") == "bad" {
			resp := httpmock.NewStringResponse(200, `{"errcode":40007,"errmsg":"invalid media_id"}`)
			resp.Header.Set("Content-Type", "application/json; charset=utf-8")
			return resp, nil
		}
		resp := httpmock.NewBytesResponse(200, []byte("\x89PNG..."))
		resp.Header.Set("Content-Type", "image/png")
		return resp, nil
	})
	rc, h, err := c.Stream(t.Context(), &wecom.Request{Path: "/cgi-bin/media/get", Query: map[string][]string{"media_id": {"ok"}}})
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.True(t, strings.HasPrefix(string(b), "\x89PNG"))
	assert.Equal(t, "image/png", h.Get("Content-Type"))
	_, _, err = c.Stream(t.Context(), &wecom.Request{Path: "/cgi-bin/media/get", Query: map[string][]string{"media_id": {"bad"}}})
	require.ErrorIs(t, err, wecom.CodeInvalidMediaID)
}

func TestStreamReturnsLargeJSONFilesWhole(t *testing.T) {
	c, mt := newMocked(t)
	big := `{"items":[` + strings.Repeat(`"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",`, 15000) + `"end"]}`
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/media/get", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Range") != "bytes=0-" {
			return httpmock.NewStringResponse(400, "no range"), nil
		}
		resp := httpmock.NewStringResponse(200, big)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	rc, _, err := c.Stream(t.Context(), &wecom.Request{Path: "/cgi-bin/media/get", Header: http.Header{"Range": {"bytes=0-"}}})
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Greater(t, len(big), 1<<20)
	assert.Equal(t, big, string(b))
}
