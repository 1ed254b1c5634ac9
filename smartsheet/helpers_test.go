package smartsheet_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
)

const testBase = "https://wecom.test"

func fixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	require.NoError(t, err)
	return b
}

// wire is a smartsheet client on a per-test mock transport.
type wire struct {
	t  testing.TB
	mt *httpmock.MockTransport
	c  *smartsheet.Client
}

func newWire(t testing.TB, opts ...smartsheet.Option) *wire {
	t.Helper()
	w := newWireUnchecked(t, opts...)
	require.NoError(t, w.c.Err())
	return w
}

// newWireUnchecked is newWire for a Client that may have been built with an invalid option.
func newWireUnchecked(t testing.TB, opts ...smartsheet.Option) *wire {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/gettoken",
		httpmock.NewBytesResponder(200, fixture(t, "gettoken/ok.json")))
	wc, err := wecom.New("corp", "secret", wecom.WithAgentID(1000002), wecom.WithBaseURL(testBase),
		wecom.WithHTTPClient(&http.Client{Transport: mt}), wecom.WithRetry(wecom.RetryPolicy{Attempts: 1}))
	require.NoError(t, err)
	opts = append([]smartsheet.Option{smartsheet.WithRetry(wecom.RetryPolicy{Attempts: 3, Base: time.Millisecond,
		Max: 2 * time.Millisecond, RetryLater: true})}, opts...)
	return &wire{t: t, mt: mt, c: smartsheet.New(wc, opts...)}
}

// calls records the request bodies one endpoint received.
type calls struct {
	mu     sync.Mutex
	bodies [][]byte
	query  []string
}

func (c *calls) n() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.bodies) }

func (c *calls) body(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.bodies[i])
}

// expect answers POST /cgi-bin/wedoc/<path> with responses in turn (the last one repeats).
func (w *wire) expect(path string, responses ...[]byte) *calls {
	return w.expectFunc(path, func(i int, _ []byte) (int, []byte) {
		return 200, responses[min(i, len(responses)-1)]
	})
}

// expectFunc answers POST /cgi-bin/wedoc/<path> with respond(call index, request body).
func (w *wire) expectFunc(path string, respond func(i int, body []byte) (int, []byte)) *calls {
	cs := &calls{}
	w.mt.RegisterResponder(http.MethodPost, testBase+"/cgi-bin/wedoc/"+path,
		func(req *http.Request) (*http.Response, error) {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			cs.mu.Lock()
			i := len(cs.bodies)
			cs.bodies = append(cs.bodies, b)
			cs.query = append(cs.query, req.URL.RawQuery)
			cs.mu.Unlock()
			status, resp := respond(i, b)
			r := httpmock.NewBytesResponse(status, resp)
			r.Header.Set("Content-Type", "application/json")
			return r, nil
		})
	return cs
}

var okBody = []byte(`{"errcode":0,"errmsg":"ok"}`)
