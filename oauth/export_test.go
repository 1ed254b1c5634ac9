package oauth

import (
	"encoding/binary"
	"time"
)

// ForgeState signs an arbitrary return path, bypassing Issue's checks, so that tests can show that
// Verify re-checks the path of a genuinely signed state.
func ForgeState(key []byte, exp time.Time, returnTo string) string {
	s := NewStateSigner(key, time.Minute)
	buf := make([]byte, stateHdrLen, stateHdrLen+len(returnTo)+stateMACLen)
	buf[0] = stateVersion
	binary.BigEndian.PutUint32(buf[1:], uint32(exp.Unix()))
	buf = append(buf, returnTo...)
	buf = append(buf, s.mac(buf)...)
	return base62Encode(buf)
}

// Base62 exposes the state encoding to the tests.
var (
	Base62Encode = base62Encode
	Base62Decode = base62Decode
)
