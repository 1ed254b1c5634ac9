package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// child is the app running as a separate process (see runChild).
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string
	stderr *bytes.Buffer
	done   chan error
}

func startChild(t *testing.T, env []string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	c := &child{t: t, cmd: cmd, lines: make(chan string, 100), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = &lockedWriter{w: c.stderr}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("child stderr:\n%s", c.stderr)
		}
	})
	return c
}

// waitLine returns the rest of the first output line starting with prefix.
func (c *child) waitLine(prefix string) string {
	c.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("child exited before printing %q; stderr:\n%s", prefix, c.stderr)
			}
			if rest, found := strings.CutPrefix(l, prefix); found {
				return rest
			}
		case <-deadline:
			c.t.Fatalf("child did not print %q within a minute; stderr:\n%s", prefix, c.stderr)
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(syscall.SIGKILL))
	for range c.lines {
	}
	<-c.done
}

// stop sends SIGTERM and expects a clean exit.
func (c *child) stop() {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(syscall.SIGTERM))
	for range c.lines {
	}
	require.NoError(c.t, <-c.done, "a graceful stop exits 0; stderr:\n%s", c.stderr)
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// kill -9 right after a binding commits — before the welcome message is sent, or after WeChat took
// it but before the send was recorded — then restart: the merchant gets exactly one welcome.
func TestKillAfterBindDeliversOneWelcome(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app as child processes")
	}
	for _, hold := range []string{"before-send", "after-send"} {
		t.Run(hold, func(t *testing.T) {
			t.Parallel()
			fake := wecomtest.NewServer(wecomtest.WithCallbackTimeout(2 * time.Second))
			t.Cleanup(fake.Close)
			dir := t.TempDir()
			env := []string{"MB_CHILD=1", "MB_CHILD_DATA=" + dir,
				"WECHAT_APP_ID=" + wecomtest.DefaultAppID, "WECHAT_APP_SECRET=" + wecomtest.DefaultAppSecret,
				"WECHAT_TOKEN=" + wecomtest.DefaultCallbackToken, "WECHAT_AES_KEY=" + wecomtest.DefaultEncodingAESKey,
				"WECHAT_API_BASE=" + fake.URL, "PUBLIC_URL=http://127.0.0.1", "ADMIN_PASSWORD=" + testPassword,
				"WELCOME_TEMPLATE_ID=" + welcomeTpl, "DATABASE_URL=", "REDIS_URL=", "TRUSTED_PROXIES=", "SESSION_KEY="}

			first := startChild(t, append(env, "MB_CHILD_HOLD="+hold))
			base := first.waitLine("READY ")
			require.NoError(t, fake.SetOfficialAccountCallback(wecomtest.CallbackConfig{URL: base + "/wx/callback",
				Token: wecomtest.DefaultCallbackToken, EncodingAESKey: wecomtest.DefaultEncodingAESKey, Mode: wecomtest.ModeSafe}))
			h := &harness{t: t, ts: &httptest.Server{URL: base}, hc: newBrowserClient()}
			h.login()
			id := h.createMerchant("老王面馆", "laowang")
			ticket := h.issueCode(id)
			scanned := make(chan struct{})
			go func() {
				defer close(scanned)
				_, _ = fake.SimulateScan(context.Background(), "oCrash", ticket, false) // may see the process die
			}()
			clientMsgID := first.waitLine("HOLD ") // the binding is committed; the welcome is being sent
			first.kill()
			<-scanned
			welcomes := func() int {
				n := 0
				for _, m := range fake.Messages(wecomtest.MessageTemplate) {
					if m.ToUser == "oCrash" {
						n++
					}
				}
				return n
			}
			if hold == "before-send" {
				require.Zero(t, welcomes(), "killed before the send")
			} else {
				require.Equal(t, 1, welcomes(), "WeChat has it; the app never recorded it")
			}

			// Restart on the same database: the pending welcome goes out, once. (The clock is an
			// hour ahead so that the dead process's lease has run out.)
			second := startChild(t, append(env, "MB_CHILD_SKEW=1h", "MB_CHILD_FLUSH=1"))
			second.waitLine("READY ")
			second.waitLine("SETTLED")
			assert.Equal(t, 1, welcomes(), "exactly one welcome message")
			second.stop()

			db, err := store.Open(t.Context(), filepath.Join(dir, "merchant-bind.db"))
			require.NoError(t, err)
			defer db.Close()
			m, err := db.Merchant(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, "oCrash", m.OpenID, "the binding survived the kill")
			msgs, err := db.MerchantMessages(t.Context(), id, 10)
			require.NoError(t, err)
			require.Len(t, msgs, 1)
			assert.Equal(t, store.MsgSent, msgs[0].Status)
			assert.Equal(t, clientMsgID, msgs[0].ClientMsgID, "the resend carried the same client_msg_id")
			atts, err := db.Attempts(t.Context(), []int64{msgs[0].ID})
			require.NoError(t, err)
			require.Len(t, atts[msgs[0].ID], 2)
			assert.Equal(t, store.AttemptInterrupted, atts[msgs[0].ID][0].Result, "the killed attempt is on record")
			assert.Equal(t, store.AttemptOK, atts[msgs[0].ID][1].Result)
		})
	}
}
