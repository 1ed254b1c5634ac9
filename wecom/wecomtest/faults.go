package wecomtest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// FaultKind is what an injected fault does to a call.
type FaultKind int

const (
	// FaultErrCode answers HTTP 200 with {"errcode": Fault.ErrCode} without running the endpoint.
	FaultErrCode FaultKind = iota + 1
	// FaultStatus answers HTTP Fault.Status (e.g. 502) without running the endpoint.
	FaultStatus
	// FaultDelay waits Fault.Delay, then runs the endpoint normally.
	FaultDelay
	// FaultDrop closes the connection without running the endpoint or answering.
	FaultDrop
	// FaultAppliedDrop runs the endpoint (a write is applied) and then closes the connection instead of
	// answering: the client sees a transport error for a write that happened.
	FaultAppliedDrop
	// FaultAppliedHang runs the endpoint and then holds the response until the client gives up (its
	// context or timeout closes the connection), the server closes, or a minute passes; then it drops
	// the connection. The client sees a timeout for a write that happened.
	FaultAppliedHang
)

func (k FaultKind) String() string {
	switch k {
	case FaultErrCode:
		return "errcode"
	case FaultStatus:
		return "status"
	case FaultDelay:
		return "delay"
	case FaultDrop:
		return "drop"
	case FaultAppliedDrop:
		return "applied-drop"
	case FaultAppliedHang:
		return "applied-hang"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is injected into calls of one endpoint with [Handler.InjectFault]. Delay, when set, is waited
// before any kind acts.
type Fault struct {
	Kind    FaultKind
	ErrCode int           // FaultErrCode
	Status  int           // FaultStatus
	Delay   time.Duration // FaultDelay (and before any other kind)
}

// ErrCodeFault answers errcode code (HTTP 200), e.g. -1 (系统繁忙) or 45009 (rate limited).
func ErrCodeFault(code int) Fault { return Fault{Kind: FaultErrCode, ErrCode: code} }

// StatusFault answers an HTTP status, e.g. 502.
func StatusFault(status int) Fault { return Fault{Kind: FaultStatus, Status: status} }

// DelayFault answers normally after d.
func DelayFault(d time.Duration) Fault { return Fault{Kind: FaultDelay, Delay: d} }

// DropFault drops the connection before the call is applied.
func DropFault() Fault { return Fault{Kind: FaultDrop} }

// AppliedDropFault applies the call, then drops the connection instead of answering.
func AppliedDropFault() Fault { return Fault{Kind: FaultAppliedDrop} }

// AppliedTimeoutFault applies the call, then never answers until the client gives up.
func AppliedTimeoutFault() Fault { return Fault{Kind: FaultAppliedHang} }

type queuedFault struct {
	f    Fault
	left int
}

type faultState struct {
	mu        sync.Mutex
	endpoints map[string]bool
	queue     map[string][]*queuedFault
	latency   time.Duration
	rate      float64
	rng       *rand.Rand
}

func (s *faultState) init(cfg *config) {
	s.endpoints = map[string]bool{}
	s.queue = map[string][]*queuedFault{}
	s.latency = cfg.latency
	s.rate = cfg.failRate
	s.rng = rand.New(rand.NewPCG(cfg.failSeed, cfg.failSeed^0x5851f42d4c957f2d))
}

// InjectFault makes the next times calls of endpoint (a route pattern such as
// "POST /cgi-bin/wedoc/smartsheet/add_records"; see [Handler.Endpoints]) fail with f. Faults queue up
// in order. It returns an error for an unknown endpoint, an invalid fault, or times < 1.
func (h *Handler) InjectFault(endpoint string, times int, f Fault) error {
	switch {
	case times < 1:
		return fmt.Errorf("wecomtest: InjectFault: times %d < 1", times)
	case f.Kind < FaultErrCode || f.Kind > FaultAppliedHang:
		return fmt.Errorf("wecomtest: InjectFault: unknown kind %v", f.Kind)
	case f.Kind == FaultStatus && (f.Status < 100 || f.Status > 999):
		return fmt.Errorf("wecomtest: InjectFault: invalid status %d", f.Status)
	case f.Kind == FaultErrCode && f.ErrCode == 0:
		return fmt.Errorf("wecomtest: InjectFault: errcode 0 is not a fault")
	}
	s := &h.faults
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.endpoints[endpoint] {
		return fmt.Errorf("wecomtest: InjectFault: unknown endpoint %q", endpoint)
	}
	s.queue[endpoint] = append(s.queue[endpoint], &queuedFault{f, times})
	return nil
}

// ClearFaults drops every queued fault.
func (h *Handler) ClearFaults() {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	clear(h.faults.queue)
}

// SetLatency delays every call by d from now on (see [WithLatency]).
func (h *Handler) SetLatency(d time.Duration) {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	h.faults.latency = max(d, 0)
}

// SetFailureRate changes the random failure rate (see [WithFailureRate]); 0 turns it off.
func (h *Handler) SetFailureRate(rate float64) {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	h.faults.rate = min(max(rate, 0), 1)
}

// randomFaults is the mix used by the failure rate.
var randomFaults = []Fault{StatusFault(http.StatusBadGateway), StatusFault(http.StatusServiceUnavailable),
	ErrCodeFault(codeSystemBusy), AppliedDropFault()}

// next returns the fault for this call, if any, and the latency to add.
func (s *faultState) next(endpoint string, api bool) (Fault, bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queue[endpoint]; len(q) > 0 {
		f := q[0].f
		if q[0].left--; q[0].left == 0 {
			s.queue[endpoint] = q[1:]
		}
		return f, true, s.latency
	}
	if api && s.rate > 0 && s.rng.Float64() < s.rate {
		return randomFaults[s.rng.IntN(len(randomFaults))], true, s.latency
	}
	return Fault{}, false, s.latency
}

// instrument wraps an endpoint: call counting, latency, logging and faults.
func (h *Handler) instrument(pattern string, api bool, next http.HandlerFunc) http.Handler {
	h.faults.mu.Lock()
	h.faults.endpoints[pattern] = true
	h.faults.mu.Unlock()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.calls.add(pattern)
		f, faulty, latency := h.faults.next(pattern, api)
		h.cfg.log.Debug("wecomtest: call", "endpoint", pattern, "fault", f.Kind)
		if !h.sleep(r.Context(), latency+f.Delay) {
			return
		}
		if !faulty || f.Kind == FaultDelay {
			next(w, r)
			return
		}
		switch f.Kind {
		case FaultErrCode:
			writeJSON(w, base{ErrCode: f.ErrCode, ErrMsg: "injected fault"})
			return
		case FaultStatus:
			http.Error(w, http.StatusText(f.Status), f.Status)
			return
		case FaultDrop:
			drop(w)
			return
		}
		next(&discard{header: http.Header{}}, r) // applied; the answer is lost
		if f.Kind == FaultAppliedHang {
			timer := time.NewTimer(h.cfg.hangLimit)
			defer timer.Stop()
			select {
			case <-r.Context().Done():
			case <-h.closing:
			case <-timer.C:
			}
		}
		drop(w)
	})
}

// sleep waits d unless the request or the server ends first; it reports whether to carry on.
func (h *Handler) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-h.closing:
		return false
	}
}

// drop closes the client connection without an answer: hijack and close (HTTP/1.x), or abort the
// handler (HTTP/2).
func drop(w http.ResponseWriter) {
	if hj, isHJ := w.(http.Hijacker); isHJ {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// discard swallows the response of an applied-but-lost call.
type discard struct {
	header http.Header
	buf    bytes.Buffer
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(p []byte) (int, error) { return d.buf.Write(p) }
func (d *discard) WriteHeader(int)             {}

// Endpoints lists the route patterns the fake serves, for [Handler.Calls] and [Handler.InjectFault].
func (h *Handler) Endpoints() []string {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	out := make([]string, 0, len(h.faults.endpoints))
	for e := range h.faults.endpoints {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}
