package redisstore_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/internal/testsvc"
	"github.com/qiwei-go/qiwei/wecom"
	"github.com/qiwei-go/qiwei/wecom/redisstore"
)

const prefix = "t:"

// newStore starts a private redis-server and returns a Store on it plus a raw client to inspect keys.
func newStore(t *testing.T) (*redisstore.Store, *redis.Client) {
	t.Helper()
	rdb := newClient(t, testsvc.Redis(t))
	return redisstore.New(rdb, prefix), rdb
}

func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// eventually waits (up to 5 s, polling) for cond; expiry in Redis is real time.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

func TestGetSetDelete(t *testing.T) {
	s, rdb := newStore(t)
	ctx := t.Context()

	v, ok, err := s.Get(ctx, "k")
	require.NoError(t, err, "a miss is not an error")
	assert.False(t, ok)
	assert.Empty(t, v)

	require.NoError(t, s.Set(ctx, "k", "v1|1|2|TOKEN", time.Hour))
	v, ok, err = s.Get(ctx, "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "v1|1|2|TOKEN", v)
	raw, err := rdb.Get(ctx, prefix+"k").Result()
	require.NoError(t, err)
	assert.Equal(t, "v1|1|2|TOKEN", raw, "keys live under the prefix")
	assert.Equal(t, int64(0), rdb.Exists(ctx, "k").Val(), "nothing outside the prefix")

	require.NoError(t, s.Set(ctx, "k", "", time.Hour), "an empty value is a value")
	v, ok, err = s.Get(ctx, "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Empty(t, v)

	require.NoError(t, s.Delete(ctx, "k"))
	_, ok, err = s.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, s.Delete(ctx, "k"), "deleting a missing key is fine")
}

// setArgs records the arguments of every SET a client sends.
type setArgs struct {
	mu   sync.Mutex
	args [][]any
}

func (h *setArgs) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *setArgs) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *setArgs) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if strings.EqualFold(cmd.Name(), "set") {
			h.mu.Lock()
			h.args = append(h.args, cmd.Args())
			h.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

// The TTL reaches Redis in milliseconds (PX, not EX), rounded up, and Redis keeps the key no longer
// than that. The exact value is read from the command sent, not from a clock.
func TestSetTTL(t *testing.T) {
	rdb := newClient(t, testsvc.Redis(t))
	hook := &setArgs{}
	rdb.AddHook(hook)
	s := redisstore.New(rdb, prefix)
	tests := []struct {
		name string
		ttl  time.Duration
		px   int64
	}{
		{"whole seconds", 2 * time.Hour, 7_200_000},
		{"milliseconds are kept (PX, not EX)", 1500 * time.Millisecond, 1500},
		{"under a millisecond rounds up to one", 300 * time.Microsecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "ttl:" + tt.name
			require.NoError(t, s.Set(t.Context(), key, "x", tt.ttl))
			hook.mu.Lock()
			last := hook.args[len(hook.args)-1]
			hook.mu.Unlock()
			assert.Equal(t, []any{"set", prefix + key, "x", "px", tt.px}, last)
			pttl, err := rdb.PTTL(t.Context(), prefix+key).Result()
			require.NoError(t, err)
			if pttl == -2*time.Nanosecond { // go-redis reports "no such key" as -2: a short TTL may be over
				return
			}
			assert.GreaterOrEqual(t, pttl, time.Duration(0), "the key expires (-1 would mean never)")
			assert.LessOrEqual(t, pttl, time.Duration(tt.px)*time.Millisecond)
		})
	}
}

func TestSetRefusesNonPositiveTTL(t *testing.T) {
	s, rdb := newStore(t)
	for _, ttl := range []time.Duration{0, -time.Second} {
		err := s.Set(t.Context(), "k", "never-expires", ttl)
		require.ErrorIs(t, err, wecom.ErrInvalidTTL, "ttl %v", ttl)
	}
	assert.Equal(t, int64(0), rdb.Exists(t.Context(), prefix+"k").Val(), "nothing stored")
}

func TestSetExpires(t *testing.T) {
	s, _ := newStore(t)
	require.NoError(t, s.Set(t.Context(), "k", "v", 30*time.Millisecond))
	eventually(t, func() bool {
		_, ok, err := s.Get(t.Context(), "k")
		return err == nil && !ok
	}, "value must expire")
}

func TestCompareAndDelete(t *testing.T) {
	s, rdb := newStore(t)
	tests := []struct {
		name        string
		stored      *string // nil: key absent
		old         string
		wantDeleted bool
	}{
		{"absent", nil, "a", false},
		{"holds another value", ptr("b"), "a", false},
		{"holds a prefix of old", ptr("a"), "ab", false},
		{"holds old", ptr("a"), "a", true},
		{"holds the empty string", ptr(""), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "cad:" + tt.name
			if tt.stored != nil {
				require.NoError(t, s.Set(t.Context(), key, *tt.stored, time.Hour))
			}
			deleted, err := s.CompareAndDelete(t.Context(), key, tt.old)
			require.NoError(t, err)
			assert.Equal(t, tt.wantDeleted, deleted)
			exists := rdb.Exists(t.Context(), prefix+key).Val() == 1
			assert.Equal(t, tt.stored != nil && !tt.wantDeleted, exists, "key kept iff not deleted")
		})
	}
}

func ptr(s string) *string { return &s }

func TestLockIsExclusive(t *testing.T) {
	s, _ := newStore(t)
	const n = 50
	var (
		acquired atomic.Int64
		wg       sync.WaitGroup
		start    = make(chan struct{})
		errs     = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, ok, err := s.Lock(t.Context(), "lock", time.Minute)
			errs[i] = err
			if ok {
				acquired.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "a held lock is acquired=false, not an error")
	}
	assert.EqualValues(t, 1, acquired.Load(), "exactly one of %d concurrent callers gets the lock", n)
}

func TestUnlockReleases(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	unlock, ok, err := s.Lock(ctx, "lock", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)

	again, ok, err := s.Lock(ctx, "lock", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "held")
	assert.Nil(t, again, "no unlock function without the lock")

	require.NoError(t, unlock(ctx))
	require.NoError(t, unlock(ctx), "a second unlock is harmless")
	unlock2, ok, err := s.Lock(ctx, "lock", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "released")
	require.NoError(t, unlock2(ctx))
}

// A holder whose lock expired must not release the lock somebody else took since.
func TestUnlockByFormerHolderKeepsNewLock(t *testing.T) {
	s, rdb := newStore(t)
	ctx := t.Context()
	unlockA, ok, err := s.Lock(ctx, "lock", 20*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)

	var unlockB func(context.Context) error
	eventually(t, func() bool {
		var ok bool
		unlockB, ok, err = s.Lock(ctx, "lock", time.Minute)
		return err == nil && ok
	}, "B gets the lock once A's expires")
	tokenB := rdb.Get(ctx, prefix+"lock").Val()
	require.NotEmpty(t, tokenB)

	require.ErrorIs(t, unlockA(ctx), redisstore.ErrLockNotHeld)
	assert.Equal(t, tokenB, rdb.Get(ctx, prefix+"lock").Val(), "B's lock untouched")
	_, ok, err = s.Lock(ctx, "lock", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "still held by B")

	require.NoError(t, unlockB(ctx))
	_, ok, err = s.Lock(ctx, "lock", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "free after B's unlock")
}

func TestLockExpires(t *testing.T) {
	s, rdb := newStore(t)
	ctx := t.Context()
	_, ok, err := s.Lock(ctx, "lock", 50*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	pttl := rdb.PTTL(ctx, prefix+"lock").Val()
	assert.True(t, pttl > 0 && pttl <= 50*time.Millisecond, "lock carries its ttl (PX), got %v", pttl)
	eventually(t, func() bool {
		_, ok, err := s.Lock(ctx, "lock", time.Minute)
		return err == nil && ok
	}, "an abandoned lock frees itself")
}

func TestLockAndClaimRefuseNonPositiveTTL(t *testing.T) {
	s, rdb := newStore(t)
	for _, ttl := range []time.Duration{0, -time.Millisecond} {
		unlock, ok, err := s.Lock(t.Context(), "lock", ttl)
		require.ErrorIs(t, err, wecom.ErrInvalidTTL)
		assert.False(t, ok)
		assert.Nil(t, unlock)
		first, err := s.Claim(t.Context(), "claim", ttl)
		require.ErrorIs(t, err, wecom.ErrInvalidTTL)
		assert.False(t, first)
	}
	assert.Equal(t, int64(0), rdb.Exists(t.Context(), prefix+"lock", prefix+"claim").Val())
}

func TestClaim(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	claim := func(key string, ttl time.Duration) bool {
		t.Helper()
		first, err := s.Claim(ctx, key, ttl)
		require.NoError(t, err)
		return first
	}
	assert.True(t, claim("msg:1", time.Minute), "first delivery")
	assert.False(t, claim("msg:1", time.Minute), "retried delivery")
	assert.True(t, claim("msg:2", time.Minute), "another message")

	assert.True(t, claim("msg:3", 20*time.Millisecond))
	eventually(t, func() bool {
		first, err := s.Claim(ctx, "msg:3", time.Minute)
		return err == nil && first
	}, "a claim is forgotten after its ttl")

	// Concurrent duplicates: exactly one is first.
	var firsts atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := s.Claim(ctx, "msg:4", time.Minute); err == nil && ok {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, firsts.Load())
}

// Redis errors are wrapped with the operation and key, never with the value involved.
func TestErrorsCarryNoValues(t *testing.T) {
	const secret = "SECRET-TOKEN-VALUE"
	s, rdb := newStore(t)
	ctx := t.Context()
	require.NoError(t, rdb.RPush(ctx, prefix+"list", secret).Err()) // wrong type for GET

	_, _, err := s.Get(ctx, "list")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redisstore: get t:list")
	assert.Contains(t, err.Error(), "WRONGTYPE")
	var rerr redis.Error
	assert.ErrorAs(t, err, &rerr, "the go-redis error is wrapped")

	_, err = s.CompareAndDelete(ctx, "list", secret)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)

	// A server that is gone: transport errors.
	downRDB := redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = downRDB.Close() })
	down := redisstore.New(downRDB, prefix)
	checks := map[string]error{
		"set":    down.Set(ctx, "k", secret, time.Minute),
		"delete": down.Delete(ctx, "k"),
	}
	_, _, checks["get"] = down.Get(ctx, "k")
	_, checks["compare-and-delete"] = down.CompareAndDelete(ctx, "k", secret)
	_, _, checks["lock"] = down.Lock(ctx, "k", time.Minute)
	_, checks["claim"] = down.Claim(ctx, "k", time.Minute)
	for op, err := range checks {
		require.Error(t, err, op)
		assert.True(t, strings.HasPrefix(err.Error(), "redisstore: "+op+" t:k: "), err.Error())
		assert.NotContains(t, err.Error(), secret, op)
		var opErr *net.OpError
		assert.ErrorAs(t, err, &opErr, op)
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestCanceledContext(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := s.Get(ctx, "k")
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.Set(ctx, "k", "v", time.Minute), context.Canceled)
}

func TestNilClient(t *testing.T) {
	s := redisstore.New(nil, prefix)
	ctx := t.Context()
	_, _, err := s.Get(ctx, "k")
	assert.ErrorIs(t, err, redisstore.ErrNilClient)
	assert.ErrorIs(t, s.Set(ctx, "k", "v", time.Minute), redisstore.ErrNilClient)
	assert.ErrorIs(t, s.Delete(ctx, "k"), redisstore.ErrNilClient)
	_, err = s.CompareAndDelete(ctx, "k", "v")
	assert.ErrorIs(t, err, redisstore.ErrNilClient)
	_, _, err = s.Lock(ctx, "k", time.Minute)
	assert.ErrorIs(t, err, redisstore.ErrNilClient)
	_, err = s.Claim(ctx, "k", time.Minute)
	assert.ErrorIs(t, err, redisstore.ErrNilClient)
}
