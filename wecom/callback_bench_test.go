package wecom_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// alwaysFirst is a Deduper that never sees a duplicate, so that one request can be replayed.
type alwaysFirst struct{}

func (alwaysFirst) Claim(context.Context, string, time.Duration) (bool, error) { return true, nil }

// BenchmarkCallbackServeHTTP measures one encrypted delivery end to end: verify, decrypt, parse,
// handle, marshal and encrypt the passive reply.
func BenchmarkCallbackServeHTTP(b *testing.B) {
	h, err := wecom.NewCallbackHandler(newCallbackClient(b), cbToken, cbAESKey, echoHandler(nil), wecom.WithDeduper(alwaysFirst{}))
	require.NoError(b, err)
	side := newWeComSide(b, cbToken, cbAESKey, cbCorpID)
	req := side.post(fixture(b, "testdata/callback/text.xml"), nil)
	var body bytes.Buffer
	_, _ = body.ReadFrom(req.Body)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(body.Bytes()))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkParseMessage(b *testing.B) {
	data := fixture(b, "testdata/callback/smart_sheet_change.xml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wecom.ParseMessage(data); err != nil {
			b.Fatal(err)
		}
	}
}
