// Package testsvc starts and finds the external programs some tests need: a private redis-server,
// PostgreSQL and MariaDB servers (one per test binary, a fresh database per test), headless
// Chromium, zbarimg, pdftoppm.
//
// Every helper follows one rule. When the program is installed, the test uses it. When it is missing,
// the test is skipped with a message naming the Debian package to install, unless the environment
// variable QIWEI_REQUIRE_SERVICES=1 is set (as in CI), in which case the test fails instead:
//
//	func TestWithRedis(t *testing.T) {
//		addr := testsvc.Redis(t) // skipped if redis-server is not installed
//		rdb := redis.NewClient(&redis.Options{Addr: addr})
//		t.Cleanup(func() { rdb.Close() })
//		…
//	}
//
//	zbarimg := testsvc.Require(t, "zbarimg", "apt-get install zbar-tools")
//	pgURL := testsvc.Postgres(t)  // postgres://postgres@127.0.0.1:port/db?sslmode=disable
//	myDSN := testsvc.MariaDB(t)   // root@tcp(127.0.0.1:port)/db (server default charset latin1)
//
// Processes started here are stopped by t.Cleanup (and, on Linux, killed with the test binary if it
// dies first), so no test leaves a server running.
package testsvc
