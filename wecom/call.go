package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Auth says how a request is authenticated.
type Auth uint8

const (
	// AuthToken adds the app's access_token to the query (the default).
	AuthToken Auth = iota
	// AuthNone sends the request as is (e.g. the group-robot webhook, whose key is in the query).
	AuthNone
	// AuthAppSecret adds appid and secret to the query (公众号 sns/oauth2/access_token). The secret is
	// never part of an error string.
	AuthAppSecret
)

// Request describes one call. The client adds the access_token (see [Auth]).
type Request struct {
	Method string // "" means GET, or POST when Body is set
	Path   string // e.g. "/cgi-bin/message/send"
	Query  url.Values
	// Body is JSON-encoded once when non-nil, so that a retry sends the same bytes. A [RawBody] is sent
	// as it is (multipart uploads).
	Body any
	Auth Auth
	Host Host // which server; default HostAPI
	// Header holds extra request headers, e.g. Range for media/get downloads over 20 MB.
	Header http.Header
}

// RawBody is a request body sent verbatim with its content type.
type RawBody struct {
	ContentType string
	Data        []byte
}

// Do performs req and decodes a successful JSON response into out (if non-nil).
//
// A request with a Body and no Method is sent as a POST (a GET cannot carry a body); without a
// Body the default method is GET. The response body is read up to the client's limit
// ([DefaultMaxResponseBytes], see [WithMaxResponseBytes]); a larger one fails with a
// [*ResponseTooLargeError] (use [Client.Stream] for downloads).
//
// errcode absent or 0 is success; any other errcode is returned as *[APIError]. A stale access token
// (40001, 40014, 42001) is dropped, but only if it is still the cached one, and the call is retried
// exactly once. Idempotent GETs are also retried with jittered backoff on errcode -1, HTTP 5xx and
// transport errors; a POST is retried only when it certainly never reached the server (dial failure).
func (c *Client) Do(ctx context.Context, req *Request, out any) error {
	if c == nil {
		return fmt.Errorf("%w (Do)", ErrNilClient)
	}
	if req == nil {
		return errors.New("wecom: Do: nil request")
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("wecom: %s: decode response: %w", req.Path, err)
		}
	}
	return nil
}

// Stream performs req and returns the response body unread, for downloads (media/get, showqrcode).
// A JSON (or text/plain) body is read and checked for an errcode, as WeCom answers errors that way;
// a JSON body without errcode is returned as a stream like any other. The caller closes the body.
func (c *Client) Stream(ctx context.Context, req *Request) (io.ReadCloser, http.Header, error) {
	if c == nil {
		return nil, nil, fmt.Errorf("%w (Stream)", ErrNilClient)
	}
	if req == nil {
		return nil, nil, errors.New("wecom: Stream: nil request")
	}
	if err := validPath(req.Path); err != nil {
		return nil, nil, err
	}
	body, ctype, err := encodeBody(req.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("wecom: %s: encode body: %w", req.Path, err)
	}
	var tok string
	if req.Auth == AuthToken {
		if tok, err = c.AccessToken(ctx); err != nil {
			return nil, nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.roundTrip(ctx, req, tok, body, ctype)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			resp.Body.Close()
			return nil, nil, &HTTPError{Path: req.Path, StatusCode: resp.StatusCode}
		}
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if mt != "application/json" && mt != "text/plain" {
			return resp.Body, resp.Header, nil
		}
		// Error bodies are small; read at most 1 MiB to look for an errcode. A JSON or text file
		// without one is returned whole: what was read, then the rest of the body.
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			resp.Body.Close()
			return nil, nil, fmt.Errorf("wecom: %s: read: %w", req.Path, redact(err))
		}
		err = checkEnvelope(req.Path, data)
		if err == nil || len(data) == 1<<20 {
			return struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(data), resp.Body), resp.Body}, resp.Header, nil
		}
		resp.Body.Close()
		if req.Auth == AuthToken && attempt == 0 && IsTokenExpired(err) {
			c.invalidate(ctx, tok)
			if tok, err = c.AccessToken(ctx); err != nil {
				return nil, nil, err
			}
			continue
		}
		return nil, nil, err
	}
}

// requestMethod is req.Method, or POST when a body is sent without one, else GET.
func requestMethod(req *Request, body []byte) string {
	switch {
	case req.Method != "":
		return req.Method
	case body != nil:
		return http.MethodPost
	}
	return http.MethodGet
}

func validPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
		return fmt.Errorf("wecom: request path %q must start with / and carry no query (use Request.Query)", p)
	}
	return nil
}

func (c *Client) send(ctx context.Context, req *Request) ([]byte, error) {
	if err := validPath(req.Path); err != nil {
		return nil, err
	}
	body, ctype, err := encodeBody(req.Body)
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: encode body: %w", req.Path, err)
	}
	if req.Auth != AuthToken {
		return c.call(ctx, req, "", body, ctype)
	}
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, req, tok, body, ctype)
	if IsTokenExpired(err) {
		c.log.LogAttrs(ctx, -4, "wecom: token rejected, refreshing once", slogPath(req.Path), slogCode(err))
		c.invalidate(ctx, tok)
		if tok, err = c.AccessToken(ctx); err != nil {
			return nil, err
		}
		resp, err = c.call(ctx, req, tok, body, ctype)
	}
	return resp, err
}

func (c *Client) invalidate(ctx context.Context, tok string) {
	if inv, ok := c.tokens.(Invalidator); ok {
		inv.Invalidate(ctx, tok)
	}
}

// call sends one logical request, retrying idempotent ones per c.retry.
func (c *Client) call(ctx context.Context, req *Request, tok string, body []byte, ctype string) ([]byte, error) {
	method := requestMethod(req, body)
	idempotent := method == http.MethodGet || method == http.MethodHead
	var lastErr error
	for attempt := 0; attempt < c.retry.attempts; attempt++ {
		if attempt > 0 {
			if err := c.retry.sleep(ctx, attempt); err != nil {
				return nil, lastErr
			}
			c.log.LogAttrs(ctx, -4, "wecom: retrying", slogPath(req.Path), slogAttempt(attempt+1), slogErr(lastErr))
		}
		data, err := c.once(ctx, req, tok, body, ctype)
		if err == nil {
			return data, nil
		}
		lastErr = err
		if !retryable(err, idempotent) || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, lastErr
}

func retryable(err error, idempotent bool) bool {
	var he *HTTPError
	switch {
	case errors.Is(err, CodeSystemBusy):
		return idempotent
	case errors.As(err, &he):
		return idempotent && he.StatusCode >= 500
	case errors.Is(err, errTransport):
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return true // never reached the server: safe for any method
		}
		return idempotent
	}
	return false
}

var errTransport = errors.New("wecom: transport")

type transportError struct {
	path string
	err  error
}

func (e *transportError) Error() string        { return fmt.Sprintf("wecom: %s: %v", e.path, e.err) }
func (e *transportError) Unwrap() []error      { return []error{errTransport, e.err} }
func (e *transportError) Is(target error) bool { return target == errTransport }

func (c *Client) once(ctx context.Context, req *Request, tok string, body []byte, ctype string) ([]byte, error) {
	resp, err := c.roundTrip(ctx, req, tok, body, ctype)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResp+1))
	if err != nil {
		return nil, &transportError{path: req.Path, err: redact(err)}
	}
	if int64(len(data)) > c.maxResp {
		return nil, &ResponseTooLargeError{Path: req.Path, Limit: c.maxResp}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &HTTPError{Path: req.Path, StatusCode: resp.StatusCode}
	}
	if err := checkEnvelope(req.Path, data); err != nil {
		return nil, err
	}
	return data, nil
}

func (c *Client) roundTrip(ctx context.Context, req *Request, tok string, body []byte, ctype string) (*http.Response, error) {
	method := requestMethod(req, body)
	host := req.Host
	if host < 0 || host >= hostCount {
		host = HostAPI
	}
	q := url.Values{}
	for k, v := range req.Query {
		q[k] = v
	}
	switch req.Auth {
	case AuthToken:
		q.Set("access_token", tok)
	case AuthAppSecret:
		q.Set("appid", c.id)
		q.Set("secret", c.secret)
	}
	u := c.hosts[host] + req.Path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: %w", req.Path, redact(err))
	}
	if body != nil {
		hreq.Header.Set("Content-Type", ctype)
	}
	for k, v := range req.Header {
		hreq.Header[http.CanonicalHeaderKey(k)] = v
	}
	hreq.Header.Set("User-Agent", "qiwei-go")
	resp, err := c.hc.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wecom: %s: %w", req.Path, ctx.Err())
		}
		return nil, &transportError{path: req.Path, err: redact(err)}
	}
	return resp, nil
}

// checkEnvelope decodes errcode/errmsg; an absent errcode means success.
func checkEnvelope(path string, data []byte) error {
	var env struct {
		Code ErrCode `json:"errcode"`
		Msg  string  `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("wecom: %s: decode response: %w", path, err)
	}
	if env.Code != 0 {
		return &APIError{Code: env.Code, Msg: env.Msg, Path: path}
	}
	return nil
}

func encodeBody(b any) ([]byte, string, error) {
	switch v := b.(type) {
	case nil:
		return nil, "", nil
	case RawBody:
		return v.Data, v.ContentType, nil
	case *RawBody:
		return v.Data, v.ContentType, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, "", err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "application/json; charset=utf-8", nil
}

type retryPolicy struct {
	attempts int
	base     time.Duration
}

// sleep waits base·2^(attempt-1), ±50% jitter, capped at 5 s; it returns early with ctx's error.
func (p retryPolicy) sleep(ctx context.Context, attempt int) error {
	d := p.base << (attempt - 1)
	if d > 5*time.Second || d <= 0 && p.base > 0 {
		d = 5 * time.Second
	}
	if d > 0 {
		d = d/2 + rand.N(d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
