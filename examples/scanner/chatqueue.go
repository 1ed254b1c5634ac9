package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/qiwei-go/qiwei/wecom"
)

// errChatBusy makes the callback answer 500, so that WeCom delivers the message again later.
var errChatBusy = errors.New("scanner: chat queue full")

// chatQueue runs each member's chat messages one at a time, in the order they arrived, and different
// members in parallel. Chat registration is a sequence (photos, price, "#"): a pool of workers would
// let "#" overtake the price sent just before it. The callback handler acknowledges at once; the work
// happens here, bounded by max waiting messages and timeout per message.
type chatQueue struct {
	run     func(ctx context.Context, m *wecom.Message)
	max     int
	timeout time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	pending map[string][]*wecom.Message // a key is present while that member's goroutine runs
	n       int                         // messages waiting, all members
	closed  bool
	wg      sync.WaitGroup
}

func newChatQueue(run func(ctx context.Context, m *wecom.Message), max int, timeout time.Duration, log *slog.Logger) *chatQueue {
	return &chatQueue{run: run, max: max, timeout: timeout, log: log, pending: map[string][]*wecom.Message{}}
}

// handler is the callback's MessageHandler: it queues the message and returns.
func (q *chatQueue) handler() wecom.MessageHandler {
	return func(ctx context.Context, m *wecom.Message) (wecom.Reply, error) {
		return nil, q.submit(m)
	}
}

func (q *chatQueue) submit(m *wecom.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.n >= q.max {
		return errChatBusy
	}
	q.n++
	list, running := q.pending[m.FromUserName]
	q.pending[m.FromUserName] = append(list, m)
	if !running {
		q.wg.Add(1)
		go q.drain(m.FromUserName)
	}
	return nil
}

// drain runs user's messages until none is left.
func (q *chatQueue) drain(user string) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		list := q.pending[user]
		if len(list) == 0 {
			delete(q.pending, user)
			q.mu.Unlock()
			return
		}
		m := list[0]
		list[0] = nil
		q.pending[user] = list[1:]
		q.n--
		q.mu.Unlock()
		q.runOne(m)
	}
}

func (q *chatQueue) runOne(m *wecom.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			q.log.Error("scanner: chat handler panicked", "user", m.FromUserName, "panic", v)
		}
	}()
	q.run(ctx, m)
}

// shutdown refuses new messages and waits for the queued ones, or until ctx ends.
func (q *chatQueue) shutdown(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
