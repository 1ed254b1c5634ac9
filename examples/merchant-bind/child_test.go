package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/outbox"
	"github.com/qiwei-go/qiwei/wecom"
)

// TestMain lets the test binary play the app as a real child process (see runChild), so that a
// test can kill it with SIGKILL at a chosen moment.
func TestMain(m *testing.M) {
	if os.Getenv("MB_CHILD") == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild is main() with hooks chosen by the environment:
//
//	MB_CHILD_DATA   the -data directory
//	MB_CHILD_HOLD   before-send: the first message send prints "HOLD" and never returns;
//	                after-send: it sends, then prints "HOLD" and never returns (never recorded)
//	MB_CHILD_SKEW   a duration added to the app's clock (a leased message is due at once)
//	MB_CHILD_FLUSH  1: once up, send everything due and print "SETTLED"
//
// It prints "READY <base URL>" once the app answers. Everything else comes from the environment as
// for the real program.
func runChild() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadConfig(os.Getenv, "127.0.0.1:0", os.Getenv("MB_CHILD_DATA"), false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	hooks := &serveHooks{OutboxLease: 30 * time.Second}
	if d, err := time.ParseDuration(os.Getenv("MB_CHILD_SKEW")); err == nil {
		hooks.Now = func() time.Time { return time.Now().Add(d) }
	}
	if hold := os.Getenv("MB_CHILD_HOLD"); hold != "" {
		hooks.WrapSender = func(s outbox.Sender) outbox.Sender { return &holdingSender{Sender: s, after: hold == "after-send"} }
	}
	hooks.Ready = func(base string, a *app) {
		fmt.Printf("READY %s\n", base)
		if os.Getenv("MB_CHILD_FLUSH") == "1" {
			go func() {
				if err := a.outbox.Flush(ctx); err != nil {
					fmt.Fprintln(os.Stderr, "child: flush:", err)
				}
				fmt.Println("SETTLED")
			}()
		}
	}
	if err := serve(ctx, cfg, log, os.Stdout, hooks); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// holdingSender stops the process's sending at its first message: the moment to be killed.
type holdingSender struct {
	outbox.Sender
	after bool
}

func (h *holdingSender) SendTemplate(ctx context.Context, m *wecom.TemplateMessage) (int64, error) {
	if h.after {
		if _, err := h.Sender.SendTemplate(ctx, m); err != nil {
			return 0, err
		}
	}
	fmt.Println("HOLD " + m.ClientMsgID)
	select {} // killed here
}
