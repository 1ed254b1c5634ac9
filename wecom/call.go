package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
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
	// Idempotent marks a POST that is safe to send twice, such as a read (smart-sheet get_records):
	// it is retried like a GET (see [RetryPolicy]). GET and HEAD are always idempotent.
	Idempotent bool
	// Retry replaces the client's retry policy ([WithRetry]) for this call when non-nil.
	Retry *RetryPolicy
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
// (40001, 40014, 42001) is dropped, but only if it is still the cached one, and the call is sent
// once more with a fresh token. Other failures are retried per the [RetryPolicy]: idempotent calls
// on errcode -1, HTTP 5xx and transport errors with jittered backoff; a POST only when it certainly
// never reached the server (dial failure) or, with RetryLater, was refused by a rate limit.
func (c *Client) Do(ctx context.Context, req *Request, out any) error {
	if c == nil {
		return fmt.Errorf("%w (Do)", ErrNilClient)
	}
	if req == nil {
		return errors.New("wecom: Do: nil request")
	}
	pr, err := c.prepare(req)
	if err != nil {
		return err
	}
	return c.authorized(ctx, req, func(tok string) error {
		return c.retrying(ctx, pr.policy, req.Path, pr.idempotent, func(ctx context.Context) error {
			data, err := c.once(ctx, req, tok, pr)
			if err != nil || out == nil {
				return err
			}
			if err := json.Unmarshal(data, out); err != nil {
				return &decodeError{path: req.Path, err: err}
			}
			return nil
		})
	})
}

// Stream performs req and returns the response body unread, for downloads (media/get, showqrcode).
// A JSON (or text/plain) body is read and checked for an errcode, as WeCom answers errors that way;
// a JSON body without errcode is returned as a stream like any other. The caller closes the body.
// Tokens are refreshed and failures retried as by [Client.Do], except that the policy's
// AttemptTimeout does not apply.
func (c *Client) Stream(ctx context.Context, req *Request) (io.ReadCloser, http.Header, error) {
	if c == nil {
		return nil, nil, fmt.Errorf("%w (Stream)", ErrNilClient)
	}
	if req == nil {
		return nil, nil, errors.New("wecom: Stream: nil request")
	}
	pr, err := c.prepare(req)
	if err != nil {
		return nil, nil, err
	}
	policy := pr.policy
	policy.AttemptTimeout = 0 // it would cut the body the caller has yet to read
	var body io.ReadCloser
	var header http.Header
	err = c.authorized(ctx, req, func(tok string) error {
		return c.retrying(ctx, policy, req.Path, pr.idempotent, func(ctx context.Context) error {
			var err error
			body, header, err = c.openStream(ctx, req, tok, pr)
			return err
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return body, header, nil
}

// openStream sends req once and returns its body, unless it is an error answer.
func (c *Client) openStream(ctx context.Context, req *Request, tok string, pr prepared) (io.ReadCloser, http.Header, error) {
	resp, err := c.roundTrip(ctx, req, tok, pr)
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
		return nil, nil, &transportError{path: req.Path, err: redact(err)}
	}
	err = checkEnvelope(req.Path, data)
	if err == nil || len(data) == 1<<20 {
		return struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), resp.Body), resp.Body}, resp.Header, nil
	}
	resp.Body.Close()
	return nil, nil, err
}

// prepared is what Do and Stream compute once per call, before any try.
type prepared struct {
	body       []byte
	ctype      string
	method     string
	idempotent bool
	policy     RetryPolicy
}

func (c *Client) prepare(req *Request) (prepared, error) {
	if err := validPath(req.Path); err != nil {
		return prepared{}, err
	}
	body, ctype, err := encodeBody(req.Body)
	if err != nil {
		return prepared{}, fmt.Errorf("wecom: %s: encode body: %w", req.Path, err)
	}
	pr := prepared{body: body, ctype: ctype, method: requestMethod(req, body), policy: c.retry}
	if req.Retry != nil {
		if err := req.Retry.Validate(); err != nil {
			return prepared{}, fmt.Errorf("wecom: %s: Request.Retry: %w", req.Path, err)
		}
		pr.policy = *req.Retry
	}
	pr.idempotent = req.Idempotent || pr.method == http.MethodGet || pr.method == http.MethodHead
	return pr, nil
}

// authorized calls send with the access token req needs ("" for [AuthNone] and [AuthAppSecret]).
// When WeCom rejects the token (40001, 40014, 42001) it is dropped — only if it is still the
// cached one, so that N callers holding it cause one refresh — and send runs once more with a
// fresh token.
func (c *Client) authorized(ctx context.Context, req *Request, send func(tok string) error) error {
	if req.Auth != AuthToken {
		return send("")
	}
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	err = send(tok)
	if !IsTokenExpired(err) {
		return err
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "wecom: token rejected, refreshing once", slogPath(req.Path), slogCode(err))
	c.invalidate(ctx, tok)
	if tok, err = c.AccessToken(ctx); err != nil {
		return err
	}
	return send(tok)
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

func (c *Client) invalidate(ctx context.Context, tok string) {
	if inv, ok := c.tokens.(Invalidator); ok {
		inv.Invalidate(ctx, tok)
	}
}

// once sends req one time and returns the checked response body.
func (c *Client) once(ctx context.Context, req *Request, tok string, pr prepared) ([]byte, error) {
	resp, err := c.roundTrip(ctx, req, tok, pr)
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

func (c *Client) roundTrip(ctx context.Context, req *Request, tok string, pr prepared) (*http.Response, error) {
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
	if pr.body != nil {
		rd = bytes.NewReader(pr.body)
	}
	hreq, err := http.NewRequestWithContext(ctx, pr.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: %w", req.Path, redact(err))
	}
	if pr.body != nil {
		hreq.Header.Set("Content-Type", pr.ctype)
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
		return &decodeError{path: path, err: err}
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
