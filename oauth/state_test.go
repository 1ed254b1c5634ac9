package oauth_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/oauth"
)

var (
	testKey    = []byte("0123456789abcdef0123456789abcdef")
	stateChars = regexp.MustCompile(`^[a-zA-Z0-9]{1,128}$`)
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func TestStateRoundTrip(t *testing.T) {
	clk := newClock()
	s := oauth.NewStateSigner(testKey, 10*time.Minute).WithClock(clk.Now)
	for _, p := range []string{
		"/", "/p/BAG42", "/ok?x=1", "/api/products?page=2&q=%E5%8C%85", "/a/b/c/", "/~user/-._!$&'()*+,;=:@%",
		"/" + strings.Repeat("x", oauth.MaxReturnToLen-1),
	} {
		t.Run(p, func(t *testing.T) {
			st := s.Issue(p)
			assert.Regexp(t, stateChars, st, "WeCom state rule: ≤128 bytes of a-zA-Z0-9")
			got, err := s.Verify(st)
			require.NoError(t, err)
			assert.Equal(t, p, got)
		})
	}
}

func TestStateIssueFallsBackToRoot(t *testing.T) {
	clk := newClock()
	s := oauth.NewStateSigner(testKey, time.Minute).WithClock(clk.Now)
	for _, p := range []string{
		"", "//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)",
		"/" + strings.Repeat("x", oauth.MaxReturnToLen), // one byte too long
	} {
		got, err := s.Verify(s.Issue(p))
		require.NoError(t, err)
		assert.Equal(t, "/", got, "Issue(%q)", p)
	}
}

func TestStateTamper(t *testing.T) {
	clk := newClock()
	s := oauth.NewStateSigner(testKey, time.Minute).WithClock(clk.Now)
	st := s.Issue("/p/BAG42")
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i := range len(st) {
		for _, c := range []byte{alphabet[(strings.IndexByte(alphabet, st[i])+1)%62], alphabet[(strings.IndexByte(alphabet, st[i])+31)%62]} {
			bad := st[:i] + string(c) + st[i+1:]
			_, err := s.Verify(bad)
			assert.ErrorIs(t, err, oauth.ErrInvalidState, "changed char %d of %q", i, st)
		}
	}
	other := oauth.NewStateSigner([]byte("another key, 32 bytes long......"), time.Minute).WithClock(clk.Now)
	_, err := other.Verify(st)
	assert.ErrorIs(t, err, oauth.ErrInvalidState, "another key")

	for _, bad := range []string{"", "0" + st, st + "A", st[1:], "abc", "a-b", strings.Repeat("z", 129), st[:len(st)-1] + "!"} {
		_, err := s.Verify(bad)
		assert.ErrorIs(t, err, oauth.ErrInvalidState, "%q", bad)
	}
}

func TestStateExpiry(t *testing.T) {
	clk := newClock()
	s := oauth.NewStateSigner(testKey, 10*time.Minute).WithClock(clk.Now)
	st := s.Issue("/p/1")
	clk.Advance(10 * time.Minute)
	_, err := s.Verify(st)
	require.NoError(t, err, "valid up to and including the expiry second")
	clk.Advance(time.Second)
	_, err = s.Verify(st)
	assert.ErrorIs(t, err, oauth.ErrStateExpired)
	assert.NotErrorIs(t, err, oauth.ErrInvalidState)

	assert.Equal(t, oauth.DefaultStateTTL, oauth.NewStateSigner(testKey, 0).TTL())
}

func TestStateWeakKey(t *testing.T) {
	// A short key is refused when the signer is built, not on the first login.
	for _, key := range [][]byte{nil, []byte("short"), testKey[:oauth.MinKeyLen-1]} {
		err := oauth.ValidateStateKey(key)
		require.ErrorIs(t, err, oauth.ErrWeakKey)
		assert.PanicsWithError(t, "oauth.NewStateSigner: "+err.Error(), func() { oauth.NewStateSigner(key, time.Minute) })
	}
	require.NoError(t, oauth.ValidateStateKey(testKey[:oauth.MinKeyLen]))
	assert.NotPanics(t, func() { oauth.NewStateSigner(testKey[:oauth.MinKeyLen], time.Minute) })

	// A zero StateSigner (not made by NewStateSigner) still fails safely.
	var zero oauth.StateSigner
	assert.Empty(t, zero.Issue("/"))
	_, err := zero.Verify(oauth.NewStateSigner(testKey, time.Minute).Issue("/"))
	assert.ErrorIs(t, err, oauth.ErrWeakKey)
}

func TestStateKeyIsCopied(t *testing.T) {
	key := append([]byte(nil), testKey...)
	s := oauth.NewStateSigner(key, time.Minute)
	st := s.Issue("/x")
	key[0] ^= 0xff
	_, err := s.Verify(st)
	assert.NoError(t, err, "mutating the caller's key slice must not change the signer")
}

func TestSafeReturnTo(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/ok?x=1", true},
		{"/", true},
		{"/p/BAG42#frag", true},
		{"", false},
		{"//evil.com", false},
		{"///evil.com", false},
		{"https://evil.com", false},
		{"/\\evil.com", false},
		{"\\\\evil.com", false},
		{"/a\\b", false},
		{"javascript:alert(1)", false},
		{"evil.com", false},
		{"/\t/evil.com", false},
		{"/\n/evil.com", false},
		{"/x\r\nSet-Cookie: a=b", false},
		{"/ space", false},
		{"/\x00", false},
		{"/\x7f", false},
		{"/路径", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.ok, oauth.SafeReturnTo(tt.path))
		})
	}
}

// TestStateVerifyRejectsUnsafeSignedPath shows that Verify re-checks the path even when the MAC is
// good, with a state forged by white-box knowledge of the format (see forgeState in export_test.go).
func TestStateVerifyRejectsUnsafeSignedPath(t *testing.T) {
	clk := newClock()
	s := oauth.NewStateSigner(testKey, time.Minute).WithClock(clk.Now)
	for _, p := range []string{"//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)", ""} {
		st := oauth.ForgeState(testKey, clk.t.Add(time.Minute), p)
		require.Regexp(t, stateChars, st)
		_, err := s.Verify(st)
		assert.ErrorIs(t, err, oauth.ErrUnsafeReturnTo, "%q", p)
	}
	got, err := s.Verify(oauth.ForgeState(testKey, clk.t.Add(time.Minute), "/ok?x=1"))
	require.NoError(t, err)
	assert.Equal(t, "/ok?x=1", got)
}

func FuzzStateVerify(f *testing.F) {
	s := oauth.NewStateSigner(testKey, time.Hour).WithClock(newClock().Now)
	f.Add(s.Issue("/p/BAG42"))
	f.Add("")
	f.Add("1")
	f.Add(strings.Repeat("z", 128))
	f.Fuzz(func(t *testing.T, st string) {
		p, err := s.Verify(st)
		if err == nil {
			if !oauth.SafeReturnTo(p) {
				t.Fatalf("Verify(%q) returned unsafe path %q", st, p)
			}
			if again := s.Issue(p); again != st {
				t.Fatalf("a state that verifies must be the canonical one: %q vs %q", st, again)
			}
		}
	})
}

func FuzzStateIssue(f *testing.F) {
	f.Add("/p/BAG42")
	f.Add("//evil.com")
	f.Add("/" + strings.Repeat("\xff", 100))
	clk := newClock()
	s := oauth.NewStateSigner(testKey, time.Hour).WithClock(clk.Now)
	f.Fuzz(func(t *testing.T, p string) {
		st := s.Issue(p)
		if !stateChars.MatchString(st) {
			t.Fatalf("Issue(%q) = %q breaks WeCom's state rule", p, st)
		}
		got, err := s.Verify(st)
		if err != nil {
			t.Fatalf("Verify(Issue(%q)): %v", p, err)
		}
		if got != p && got != "/" {
			t.Fatalf("Issue(%q) round-tripped to %q", p, got)
		}
	})
}

func TestBase62(t *testing.T) {
	tests := [][]byte{
		{}, {0}, {0, 0, 0}, {0xff}, {1}, {0, 1, 0}, []byte("hello"),
		func() []byte {
			b := make([]byte, 95)
			for i := range b {
				b[i] = 0xff
			}
			return b
		}(),
		func() []byte {
			b := make([]byte, 64)
			for i := range b {
				b[i] = byte(i * 37)
			}
			return b
		}(),
	}
	for _, in := range tests {
		enc := oauth.Base62Encode(in)
		assert.Regexp(t, `^[1-9A-Za-z][0-9A-Za-z]*$`, enc)
		got, ok := oauth.Base62Decode(enc)
		require.True(t, ok, "%x", in)
		assert.Equal(t, in, append([]byte{}, got...), "%x", in)
	}
	assert.Len(t, oauth.Base62Encode(make([]byte, 95)), 128, "95 bytes is the most 128 characters hold")
	for _, bad := range []string{"", "0", "01", "-", "a b", "2"} {
		_, ok := oauth.Base62Decode(bad)
		assert.False(t, ok, "%q", bad)
	}
}

func TestStateNilSigner(t *testing.T) {
	var s *oauth.StateSigner
	assert.Empty(t, s.Issue("/"))
	_, err := s.Verify("abc")
	assert.ErrorIs(t, err, oauth.ErrWeakKey)
	assert.Zero(t, s.TTL())
	assert.Empty(t, s.WithClock(nil).Issue("/"))
}
