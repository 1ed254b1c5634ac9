package testsvc

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB whose Skip and Fatal record the message and stop the calling goroutine,
// as the real ones do.
type recorder struct {
	testing.TB
	mu              sync.Mutex
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprint(args...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.mu.Lock()
	r.failed = fmt.Sprint(args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// run calls f(r) in its own goroutine (Skip and Fatal end it) and reports whether f returned normally.
func (r *recorder) run(f func(testing.TB)) (returned bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
		returned = true
	}()
	<-done
	return returned
}

func TestRequire(t *testing.T) {
	const absent = "qiwei-no-such-binary"
	tests := []struct {
		name, env, binary      string
		wantReturn             bool
		wantSkipped, wantFatal string
	}{
		{"present", "", "go", true, "", ""},
		{"missing skips", "", absent, false, absent + " not installed: apt-get install it", ""},
		{"missing skips when env is not 1", "0", absent, false, absent + " not installed: apt-get install it", ""},
		{"missing fails when required", "1", absent, false, "", absent + " not installed: apt-get install it (required because QIWEI_REQUIRE_SERVICES=1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tt.env)
			r := &recorder{TB: t}
			var path string
			returned := r.run(func(tb testing.TB) { path = Require(tb, tt.binary, "apt-get install it") })
			assert.Equal(t, tt.wantReturn, returned)
			assert.Equal(t, tt.wantSkipped, r.skipped)
			assert.Equal(t, tt.wantFatal, r.failed)
			if tt.wantReturn {
				st, err := os.Stat(path)
				require.NoError(t, err)
				assert.False(t, st.IsDir())
			}
		})
	}
}

func TestRedisStartsAndStops(t *testing.T) {
	var addr string
	t.Run("server", func(t *testing.T) {
		addr = Redis(t)
		assert.True(t, strings.HasPrefix(addr, "127.0.0.1:"), addr)
		assert.True(t, pingRedis(addr), "server must answer PING while the test runs")
		assert.NotEqual(t, addr, Redis(t), "each call starts its own server")
	})
	if addr != "" {
		assert.False(t, pingRedis(addr), "server must be gone after its test ended")
	}
}

func TestChromium(t *testing.T) {
	path, flags := Chromium(t)
	_, err := os.Stat(path)
	require.NoError(t, err)
	require.NotEmpty(t, flags)
	for _, f := range []string{"--headless", "--no-sandbox", "--disable-background-networking"} {
		assert.Contains(t, flags, f)
	}
	last := flags[len(flags)-1]
	require.True(t, strings.HasPrefix(last, "--user-data-dir="), last)
	dir := strings.TrimPrefix(last, "--user-data-dir=")
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.True(t, st.IsDir())

	_, flags2 := Chromium(t)
	assert.NotEqual(t, last, flags2[len(flags2)-1], "every call gets a fresh profile")
}
