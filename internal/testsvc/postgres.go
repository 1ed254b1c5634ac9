package testsvc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

const postgresHint = "apt-get install postgresql"

var postgresServer = sharedServer{kind: "postgres"}

// Postgres returns the URL of a new, empty database on a private PostgreSQL server listening on a
// free loopback port, e.g. "postgres://postgres@127.0.0.1:41234/t3_123456?sslmode=disable". The
// server is started once per test binary (see [sharedServer]); the database is dropped when the test
// ends. A missing PostgreSQL skips the test (see [Require]).
//
// The server runs with fsync off: it is for tests, and a test that kills the app kills the app, not
// PostgreSQL.
func Postgres(t testing.TB) string {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		missing(t, "postgres (initdb)", postgresHint)
	}
	addr := postgresServer.get(t, func(s *sharedServer) error { return startPostgres(s, bin) })
	host, port, _ := net.SplitHostPort(addr)
	name := postgresServer.dbName()
	pgCmd := func(tool string, args ...string) *exec.Cmd {
		all := append([]string{"-h", host, "-p", port, "-U", "postgres"}, args...)
		return exec.Command(filepath.Join(bin, tool), all...)
	}
	if err := run(pgCmd("createdb", name)); err != nil {
		t.Fatalf("testsvc: postgres: %v", err)
	}
	t.Cleanup(func() { _ = run(pgCmd("dropdb", "--force", name)) })
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", addr, name)
}

// postgresBin finds the directory holding initdb and postgres: Debian keeps them in
// /usr/lib/postgresql/<version>/bin (the newest is taken), other systems on PATH.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// startPostgres runs initdb and postgres. initdb and postgres refuse to run as root, so as root both
// run as the system's postgres user, which then owns the data directory.
func startPostgres(s *sharedServer, bin string) error {
	data := filepath.Join(s.dir, "data")
	owner, err := postgresOwner(s.dir)
	if err != nil {
		return err
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	owner(initdb)
	if err := run(initdb); err != nil {
		return err
	}
	var lastErr error
	for range 3 { // another process may take the free port between our probe and the server's bind
		port, err := freePort()
		if err != nil {
			return err
		}
		cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", s.dir,
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=200")
		owner(cmd)
		d, err := startDaemon(cmd)
		if err != nil {
			return err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		lastErr = d.waitReady(30*time.Second, func() bool {
			return exec.Command(filepath.Join(bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port)).Run() == nil
		})
		if lastErr == nil {
			s.addr = addr
			return nil
		}
	}
	return lastErr
}

// postgresOwner returns what makes a command run as the data directory's owner: as root, the system's
// postgres user (after giving it dir); otherwise ourselves.
func postgresOwner(dir string) (func(*exec.Cmd), error) {
	if os.Geteuid() != 0 {
		return func(*exec.Cmd) {}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user (%s): %w", postgresHint, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return func(cmd *exec.Cmd) { runAs(cmd, uid, gid) }, nil
}
