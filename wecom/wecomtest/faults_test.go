package wecomtest_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

const addRecords = "POST /cgi-bin/wedoc/smartsheet/add_records"

func TestFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       wecomtest.Fault
		timeout     time.Duration // client timeout
		wantErr     bool          // transport error
		wantStatus  int
		wantCode    int
		wantApplied bool
	}{
		{"errcode", wecomtest.ErrCodeFault(-1), 0, false, 200, -1, false},
		{"http status", wecomtest.StatusFault(http.StatusBadGateway), 0, false, 502, 0, false},
		{"delay", wecomtest.DelayFault(50 * time.Millisecond), 0, false, 200, 0, true},
		{"delay beyond the client timeout", wecomtest.DelayFault(2 * time.Second), 100 * time.Millisecond, true, 0, 0, false},
		{"dropped connection", wecomtest.DropFault(), 0, true, 0, 0, false},
		{"applied, then dropped", wecomtest.AppliedDropFault(), 0, true, 0, 0, true},
		{"applied, then timed out", wecomtest.AppliedTimeoutFault(), 200 * time.Millisecond, true, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, f := newSheet(t)
			if tt.timeout > 0 {
				f.c.hc.Timeout = tt.timeout
			}
			require.NoError(t, srv.InjectFault(addRecords, 1, tt.fault))
			body := map[string]any{"docid": f.doc, "sheet_id": f.sheet, "records": []any{map[string]any{"values": map[string]any{"库存": 1}}}}
			status, data, err := f.c.try("POST", "/cgi-bin/wedoc/smartsheet/add_records", tq(f.tok), body)
			if tt.wantErr {
				assert.Error(t, err)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.wantStatus, status)
				if tt.wantCode != 0 {
					assert.Contains(t, string(data), `"errcode":-1`)
				}
			}
			n, err := srv.RecordCount(f.doc, f.sheet)
			require.NoError(t, err)
			want := 0
			if tt.wantApplied {
				want = 1
			}
			assert.Equal(t, want, n, "write applied?")
			f.c.hc.Timeout = 10 * time.Second
			f.c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_records", tq(f.tok), body) // one fault only
			assert.Equal(t, 2, srv.Calls(addRecords))
		})
	}
}

func TestInjectFaultQueue(t *testing.T) {
	srv := newServer(t)
	c := newRaw(t, srv)
	const ep = "GET /cgi-bin/gettoken"
	require.NoError(t, srv.InjectFault(ep, 2, wecomtest.ErrCodeFault(45009)))
	require.NoError(t, srv.InjectFault(ep, 1, wecomtest.StatusFault(503)))
	q := url.Values{"corpid": {wecomtest.DefaultCorpID}, "corpsecret": {wecomtest.DefaultSecret}}
	assert.Equal(t, 45009, c.errcode("GET", "/cgi-bin/gettoken", q, nil))
	assert.Equal(t, 45009, c.errcode("GET", "/cgi-bin/gettoken", q, nil))
	status, _ := c.do("GET", "/cgi-bin/gettoken", q, nil)
	assert.Equal(t, 503, status)
	assert.Zero(t, c.errcode("GET", "/cgi-bin/gettoken", q, nil))
	assert.Equal(t, 4, srv.Calls(ep))

	require.NoError(t, srv.InjectFault(ep, 5, wecomtest.ErrCodeFault(-1)))
	srv.ClearFaults()
	assert.Zero(t, c.errcode("GET", "/cgi-bin/gettoken", q, nil))
	srv.ResetCalls()
	assert.Zero(t, srv.Calls(ep))

	assert.Error(t, srv.InjectFault("GET /cgi-bin/nope", 1, wecomtest.DropFault()))
	assert.Error(t, srv.InjectFault(ep, 0, wecomtest.DropFault()))
	assert.Error(t, srv.InjectFault(ep, 1, wecomtest.Fault{}))
	assert.Error(t, srv.InjectFault(ep, 1, wecomtest.ErrCodeFault(0)))
	assert.Contains(t, srv.Endpoints(), addRecords)
}

// outcome calls stable_token (a POST: the Go transport never replays it) and classifies the answer.
func outcome(c *raw) string {
	body := map[string]any{"grant_type": "client_credential", "appid": wecomtest.DefaultAppID, "secret": wecomtest.DefaultAppSecret}
	status, data, err := c.try("POST", "/cgi-bin/stable_token", nil, body)
	switch {
	case err != nil:
		return "dropped"
	case status != 200:
		return http.StatusText(status)
	case string(data[:min(len(data), 14)]) == `{"errcode":-1,`:
		return "busy"
	}
	return "ok"
}

func TestFailureRate(t *testing.T) {
	run := func(seed uint64) ([]string, map[string]int) {
		srv := newServer(t, wecomtest.WithFailureRate(0.5, seed))
		c := newRaw(t, srv)
		var seq []string
		counts := map[string]int{}
		for range 200 {
			o := outcome(c)
			seq = append(seq, o)
			counts[o]++
		}
		return seq, counts
	}
	a, counts := run(7)
	b, _ := run(7)
	assert.Equal(t, a, b, "a seeded RNG repeats the same faults")
	assert.InDelta(t, 100, counts["ok"], 30, "about half fail: %v", counts)
	for _, kind := range []string{"dropped", "Bad Gateway", "Service Unavailable", "busy"} {
		assert.Positive(t, counts[kind], "the mix includes %s: %v", kind, counts)
	}

	srv := newServer(t, wecomtest.WithFailureRate(1, 1))
	c := newRaw(t, srv)
	srv.SetFailureRate(0)
	assert.Equal(t, "ok", outcome(c))
}

func TestLatency(t *testing.T) {
	srv := newServer(t, wecomtest.WithLatency(time.Second))
	c := newRaw(t, srv)
	c.hc.Timeout = 100 * time.Millisecond
	_, _, err := c.try("GET", "/cgi-bin/gettoken", nil, nil)
	var ue interface{ Timeout() bool }
	require.True(t, errors.As(err, &ue) && ue.Timeout(), "every call waits: %v", err)
	srv.SetLatency(0)
	status, _, err := c.try("GET", "/cgi-bin/gettoken", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
}
