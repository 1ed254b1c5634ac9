package testsvc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A shared server is started once per test binary, by the first test that needs it, and serves every
// test of that binary; each test gets a database of its own on it. Starting a database server costs
// seconds (initdb, mariadb-install-db), a fresh database on a running one milliseconds.
//
// The server outlives the tests that started it, so no t.Cleanup stops it: on Linux the kernel kills
// it with the test binary (see killWithParent), and its data directory, named after the binary's pid,
// is removed by the next run that finds the pid gone.
type sharedServer struct {
	kind string // "postgres", "mariadb": names the data directories
	mu   sync.Mutex
	done bool   // start was tried
	err  string // why it failed, if it did
	addr string // 127.0.0.1:port
	dir  string // the data directory's parent
	seq  atomic.Int64
}

// get starts the server on first use (start fills s.addr) and returns its address, or fails t.
func (s *sharedServer) get(t testing.TB, start func(s *sharedServer) error) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		sweepStale(s.kind)
		dir, err := os.MkdirTemp("", fmt.Sprintf("qiwei-testsvc-%s-%d-", s.kind, os.Getpid()))
		if err == nil {
			s.dir = dir
			err = start(s)
		}
		if err != nil {
			s.err = err.Error()
		}
	}
	if s.err != "" {
		t.Fatalf("testsvc: %s did not start: %s", s.kind, s.err)
	}
	return s.addr
}

// dbName returns a new database name, unique within this test binary.
func (s *sharedServer) dbName() string {
	return fmt.Sprintf("t%d_%d", s.seq.Add(1), time.Now().UnixNano()%1e6)
}

// sweepStale removes the data directories of earlier test binaries that are no longer running.
func sweepStale(kind string) {
	prefix := "qiwei-testsvc-" + kind + "-"
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range dirs {
		rest := strings.TrimPrefix(filepath.Base(d), prefix)
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			_ = os.RemoveAll(d)
		}
	}
}

// daemon is a server process started by a shared server.
type daemon struct {
	cmd    *exec.Cmd
	log    bytes.Buffer
	exited chan struct{}
}

func startDaemon(cmd *exec.Cmd) (*daemon, error) {
	d := &daemon{cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &d.log, &d.log
	killWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// waitReady polls ready until it is true, the daemon exits or timeout passes.
func (d *daemon) waitReady(timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ready() {
		select {
		case <-d.exited:
			return fmt.Errorf("exited early: %s", tail(d.log.String()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = d.cmd.Process.Kill()
			<-d.exited
			return fmt.Errorf("not ready within %s: %s", timeout, tail(d.log.String()))
		}
	}
	return nil
}

// run runs a setup command and returns its error with the end of its output.
func run(cmd *exec.Cmd) error {
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(cmd.Path), err, tail(string(out)))
	}
	return nil
}
