package oauth

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionCodec(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := &sessionCodec{key: deriveKey([]byte("0123456789abcdef0123456789abcdef"), "session"), now: func() time.Time { return now }}
	tests := []struct {
		name string
		id   Identity
		want Identity
	}{
		{"member, ticket dropped", Identity{UserID: "zhangsan", UserTicket: "TICKET"}, Identity{UserID: "zhangsan"}},
		{"公众号 user", Identity{OpenID: "o1", UnionID: "u1", Name: "微信用户", Avatar: "https://a/b"},
			Identity{OpenID: "o1", UnionID: "u1", Name: "微信用户", Avatar: "https://a/b"}},
		{"oversized profile dropped", Identity{UserID: "u", Name: "n", Avatar: "https://a/" + strings.Repeat("x", 4000)},
			Identity{UserID: "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := s.encode(&tt.id, now.Add(time.Hour))
			require.NoError(t, err)
			assert.LessOrEqual(t, len(v), maxCookieValue)
			assert.NotContains(t, v, "TICKET")
			got, exp, err := s.decode(v)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
			assert.Equal(t, now.Add(time.Hour), exp)
		})
	}

	_, err := s.encode(&Identity{UserID: strings.Repeat("u", 4000)}, now.Add(time.Hour))
	assert.Error(t, err, "an identity that cannot fit a cookie")

	// A genuinely signed payload without a userid or openid is not a session.
	v, err := s.sign(&sessionPayload{Exp: now.Add(time.Hour).Unix()})
	require.NoError(t, err)
	_, _, err = s.decode(v)
	assert.ErrorIs(t, err, ErrInvalidSession)

	// Expiry is exclusive.
	v, err = s.encode(&Identity{UserID: "u"}, now)
	require.NoError(t, err)
	_, _, err = s.decode(v)
	assert.ErrorIs(t, err, ErrSessionExpired)

	_, _, err = s.decode(strings.Repeat("a", 5000))
	assert.ErrorIs(t, err, ErrInvalidSession)
}

func TestDerivedKeysDiffer(t *testing.T) {
	k := []byte("0123456789abcdef0123456789abcdef")
	assert.NotEqual(t, deriveKey(k, "state"), deriveKey(k, "session"))
	assert.Len(t, deriveKey(k, "state"), 32)
}
