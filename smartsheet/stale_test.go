package smartsheet

import (
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// TestStaleSchema: a record with a column the cached fields lack makes the client re-read the fields
// on the next call, once the cache is older than 2 s.
func TestStaleSchema(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, "https://wecom.test/cgi-bin/gettoken",
		httpmock.NewStringResponder(200, `{"errcode":0,"access_token":"T","expires_in":7200}`))
	mt.RegisterResponder(http.MethodPost, "https://wecom.test/cgi-bin/wedoc/smartsheet/get_fields",
		httpmock.NewStringResponder(200, `{"errcode":0,"total":1,"fields":[{"field_id":"f1","field_title":"a","field_type":"FIELD_TYPE_TEXT"}]}`))
	mt.RegisterResponder(http.MethodPost, "https://wecom.test/cgi-bin/wedoc/smartsheet/get_records",
		httpmock.NewStringResponder(200, `{"errcode":0,"total":1,"records":[{"record_id":"r1","values":{"new":"x"}}]}`))
	wc, err := wecom.New("corp", "secret", wecom.WithBaseURL("https://wecom.test"), wecom.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	c := New(wc)
	get := func() {
		_, err := c.GetRecords(t.Context(), "D", "S", nil)
		require.NoError(t, err)
	}
	fieldCalls := func() int {
		return mt.GetCallCountInfo()["POST https://wecom.test/cgi-bin/wedoc/smartsheet/get_fields"]
	}
	get()
	get()
	assert.Equal(t, 1, fieldCalls(), "a young cache is kept")
	c.schemas.mu.Lock()
	c.schemas.m[sheetKey{"D", "S"}].at = time.Now().Add(-3 * time.Second)
	c.schemas.mu.Unlock()
	get() // sees the unknown column on an old cache: invalidates it
	get()
	assert.Equal(t, 2, fieldCalls())
}
