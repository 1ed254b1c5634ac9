package redisstore_test

import (
	"bytes"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
)

// An unreachable Redis does not stop the client: it fetches its own token, logs a warning and
// reports the fallback in TokenStoreStatus.
func TestUnreachableRedisFallsBackVisibly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there any more: connections are refused

	f, srv := newFakeWeCom(t, 0)
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	var logs bytes.Buffer
	c, err := wecom.New("corp", "secret", wecom.WithBaseURL(srv.URL),
		wecom.WithTokenStore(redisstore.New(rdb, "t:")),
		wecom.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)

	tok, err := echo(t.Context())(c)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN1", tok)
	assert.EqualValues(t, 1, f.gettoken.Load())

	st := c.TokenStoreStatus()
	assert.NotZero(t, st.Failures)
	require.ErrorIs(t, st.LastError, wecom.ErrTokenStoreUnavailable)
	assert.Contains(t, st.LastError.Error(), "redisstore:")
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "token store failed")
	assert.NotContains(t, logs.String(), "TOKEN1")
}
