package testsvc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

const mariadbHint = "apt-get install mariadb-server"

var mariadbServer = sharedServer{kind: "mariadb"}

// MariaDB returns the DSN (go-sql-driver/mysql form) of a new, empty database on a private MariaDB
// server listening on a free loopback port, e.g. "root@tcp(127.0.0.1:41234)/t3_123456". The server is
// started once per test binary (see [sharedServer]); the database is dropped when the test ends. A
// missing MariaDB skips the test (see [Require]).
//
// The server's default character set is deliberately latin1, as on many installed servers: code under
// test must ask for utf8mb4 itself (in its DSN or its tables) or Chinese text breaks.
func MariaDB(t testing.TB) string {
	t.Helper()
	server := mariadbBinary("mariadbd", "mysqld")
	client := mariadbBinary("mariadb", "mysql")
	install := mariadbBinary("mariadb-install-db", "mysql_install_db")
	if server == "" || client == "" || install == "" {
		missing(t, "mariadbd", mariadbHint)
	}
	addr := mariadbServer.get(t, func(s *sharedServer) error { return startMariaDB(s, server, install, client) })
	name := mariadbServer.dbName()
	sql := func(stmt string) error {
		return run(exec.Command(client, "--no-defaults", "-S", filepath.Join(mariadbServer.dir, "sock"),
			"-u", "root", "-e", stmt))
	}
	if err := sql("CREATE DATABASE " + name); err != nil {
		t.Fatalf("testsvc: mariadb: %v", err)
	}
	t.Cleanup(func() { _ = sql("DROP DATABASE IF EXISTS " + name) })
	return fmt.Sprintf("root@tcp(%s)/%s", addr, name)
}

// mariadbBinary finds the first of names on PATH or in /usr/sbin (not on a non-root PATH on Debian).
func mariadbBinary(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		if p := filepath.Join("/usr/sbin", n); isFile(p) {
			return p
		}
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// startMariaDB creates a data directory (root may log in without a password, over TCP from
// 127.0.0.1 too) and starts the server on it with durability traded for speed.
func startMariaDB(s *sharedServer, server, install, client string) error {
	data := filepath.Join(s.dir, "data")
	asRoot := []string{}
	if os.Geteuid() == 0 {
		asRoot = []string{"--user=root"} // mariadbd refuses to run as root unless told
	}
	initArgs := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
		"--skip-test-db"}, asRoot...)
	if err := run(exec.Command(install, initArgs...)); err != nil {
		return err
	}
	sock := filepath.Join(s.dir, "sock")
	var lastErr error
	for range 3 { // another process may take the free port between our probe and the server's bind
		port, err := freePort()
		if err != nil {
			return err
		}
		args := append([]string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(port),
			"--bind-address=127.0.0.1", "--socket=" + sock, "--skip-log-bin", "--skip-name-resolve",
			"--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=64M", "--max-connections=300",
			"--character-set-server=latin1", "--collation-server=latin1_swedish_ci"}, asRoot...)
		d, err := startDaemon(exec.Command(server, args...))
		if err != nil {
			return err
		}
		lastErr = d.waitReady(60*time.Second, func() bool {
			return exec.Command(client, "--no-defaults", "-S", sock, "-u", "root", "-e", "SELECT 1").Run() == nil
		})
		if lastErr == nil {
			s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			return nil
		}
	}
	return lastErr
}
