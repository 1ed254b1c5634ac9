package wecom

import (
	"log/slog"
)

// Log attributes. None of them may carry a token, a secret or a full URL.

func slogPath(p string) slog.Attr { return slog.String("path", p) }
func slogAttempt(n int) slog.Attr { return slog.Int("attempt", n) }
func slogKey(k string) slog.Attr  { return slog.String("key", k) }
func slogErr(err error) slog.Attr {
	if err == nil {
		return slog.String("err", "")
	}
	return slog.String("err", err.Error())
}
func slogCode(err error) slog.Attr { return slog.Int("errcode", int(ErrorCode(err))) }
