package testsvc

import (
	"bufio"
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const redisHint = "apt-get install redis-server"

// Redis starts a private redis-server on a free loopback port, waits until it answers PING and
// returns its address ("127.0.0.1:port"). The server keeps nothing on disk and is killed when the
// test ends. A missing redis-server skips the test (see [Require]).
//
// Each call starts a new server, so tests never see each other's keys.
func Redis(t testing.TB) string {
	t.Helper()
	bin := Require(t, "redis-server", redisHint)
	dir := t.TempDir()
	var lastErr string
	for range 3 { // another process may grab the free port between our probe and redis' bind
		addr, errMsg := startRedis(t, bin, dir)
		if errMsg == "" {
			return addr
		}
		lastErr = errMsg
	}
	t.Fatalf("testsvc: redis-server did not start: %s", lastErr)
	return ""
}

// startRedis starts one server; on failure it returns a description with the end of the server's log.
func startRedis(t testing.TB, bin, dir string) (addr, errMsg string) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return "", err.Error()
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var log bytes.Buffer
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.WaitDelay = 2 * time.Second
	killWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return "", err.Error()
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(10 * time.Second)
	for !pingRedis(addr) {
		select {
		case <-exited: // log is complete once Wait has returned
			return "", "exited early: " + tail(log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", "no PONG within 10s: " + tail(log.String())
		}
	}
	t.Cleanup(stop)
	return addr, ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// pingRedis reports whether a Redis server at addr answers PING with PONG.
func pingRedis(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.TrimSpace(line) == "+PONG"
}

func tail(s string) string {
	const limit = 2000
	s = strings.TrimSpace(s)
	if len(s) > limit {
		s = "…" + s[len(s)-limit:]
	}
	return s
}
