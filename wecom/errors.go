package wecom

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// ErrCode is a WeCom / 公众号 errcode. It implements error so that it can be an errors.Is target:
//
//	if errors.Is(err, wecom.CodeRateLimited) { … }
//
// Only the codes the SDK or its users branch on are named; any other value still works with errors.Is.
type ErrCode int

// Named errcodes (全局错误码). WeCom says errmsg is informational only: branch on the code, never on the text.
const (
	CodeSystemBusy            ErrCode = -1     // 系统繁忙
	CodeInvalidCredential     ErrCode = 40001  // 不合法的secret参数 / 公众号: access_token invalid or not the latest
	CodeInvalidMediaID        ErrCode = 40007  // 不合法的媒体文件id
	CodeInvalidCorpID         ErrCode = 40013  // 不合法的CorpID / invalid appid
	CodeInvalidAccessToken    ErrCode = 40014  // 不合法的access_token
	CodeInvalidOAuthCode      ErrCode = 40029  // 不合法的oauth_code
	CodeIPNotWhitelisted      ErrCode = 40164  // 公众号: caller IP not in the whitelist
	CodeAccessTokenMissing    ErrCode = 41001  // 缺少access_token参数
	CodeAccessTokenExpired    ErrCode = 42001  // access_token已过期
	CodeContentTooLong        ErrCode = 45002  // 消息内容超过限制
	CodeRateLimited           ErrCode = 45009  // 接口调用超过限制
	CodeConcurrencyLimited    ErrCode = 45033  // 接口并发调用超过限制
	CodeAPIUnauthorized       ErrCode = 48001  // 公众号: api unauthorized (e.g. unverified account)
	CodeAPIForbidden          ErrCode = 48002  // API禁止调用 (the app lacks the permission)
	CodeRedirectURINotTrusted ErrCode = 50001  // redirect_url未登记可信域名
	CodeIPNotTrusted          ErrCode = 60020  // 不安全的访问IP (企业可信IP)
	CodeDataVersionConflict   ErrCode = 6000   // 数据版本冲突
	CodeNoAuthority           ErrCode = 851003 // smart sheet: no authority (doc not created by this app), third-party report
)

func (c ErrCode) Error() string { return "wecom: errcode " + strconv.Itoa(int(c)) }

// APIError is returned when WeCom answers with errcode != 0.
type APIError struct {
	Code ErrCode
	Msg  string // errmsg, for humans only
	Path string // endpoint path without query string, so no token or secret leaks
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom: %s: errcode %d: %s", e.Path, int(e.Code), e.Msg)
}

// Is makes errors.Is(err, wecom.CodeX) true when e carries that code.
func (e *APIError) Is(target error) bool {
	c, ok := target.(ErrCode)
	return ok && c == e.Code
}

// HTTPError is returned when the server answers with a non-2xx HTTP status.
type HTTPError struct {
	Path       string
	StatusCode int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("wecom: %s: HTTP %d", e.Path, e.StatusCode)
}

// ErrResponseTooLarge is matched (errors.Is) by [*ResponseTooLargeError].
var ErrResponseTooLarge = errors.New("wecom: response body too large")

// ResponseTooLargeError is returned by [Client.Do] when a response body exceeds the client's limit
// ([WithMaxResponseBytes]). Nothing of it is decoded. Such a call is not retried.
type ResponseTooLargeError struct {
	Path  string
	Limit int64
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("wecom: %s: response body larger than %d bytes", e.Path, e.Limit)
}

// Is makes errors.Is(err, ErrResponseTooLarge) true.
func (e *ResponseTooLargeError) Is(target error) bool { return target == ErrResponseTooLarge }

// IsTokenExpired reports whether err means the access token must be refreshed
// (40001, 40014 or 42001). [Client.Do] already refreshes and retries once on these.
func IsTokenExpired(err error) bool {
	return errors.Is(err, CodeAccessTokenExpired) || errors.Is(err, CodeInvalidAccessToken) ||
		errors.Is(err, CodeInvalidCredential)
}

// IsRateLimited reports whether err is a frequency (45009) or concurrency (45033) limit.
// Back off before calling again.
func IsRateLimited(err error) bool {
	return errors.Is(err, CodeRateLimited) || errors.Is(err, CodeConcurrencyLimited)
}

// ErrorCode returns the errcode carried by err, or 0 when err is nil or carries none.
func ErrorCode(err error) ErrCode {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	var c ErrCode
	if errors.As(err, &c) {
		return c
	}
	return 0
}

// redact strips the query string (access_token, corpsecret) from a *url.Error so that it can be
// logged. Other errors are returned unchanged.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: stripQuery(ue.URL), Err: ue.Err}
	}
	return err
}

func stripQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
