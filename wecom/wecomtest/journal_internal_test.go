package wecomtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJournalWriteFailure: once a change cannot be written to the journal, the call that made it and
// every later call fail (errcode -1, the member endpoints 503) instead of acknowledging writes that a
// restart would lose.
func TestJournalWriteFailure(t *testing.T) {
	h, err := NewHandler(WithStateFile(filepath.Join(t.TempDir(), "fake.json")))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	call := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(data)
	}
	tokenPath := "/cgi-bin/gettoken?" + url.Values{"corpid": {DefaultCorpID}, "corpsecret": {DefaultSecret}}.Encode()
	_, body := call("GET", tokenPath, "")
	require.Contains(t, body, "access_token")

	h.mu.Lock()
	require.NoError(t, h.jr.f.Close()) // the disk goes away under the fake
	h.unlock()

	h.Follow("oFan") // a change: its journal line cannot be written
	assert.Error(t, h.failed())
	_, body = call("GET", tokenPath, "")
	assert.Contains(t, body, `"errcode":-1`, "every call fails from now on")
	status, _ := call("POST", "/test/smartsheet/member_edit", `{"docid":"x","sheet":"y","records":[{"record_id":"r"}]}`)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Error(t, h.Save())
	assert.Error(t, h.Close())
}
