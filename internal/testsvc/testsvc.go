package testsvc

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable that turns a missing program from a skip into a failure.
const RequireEnv = "QIWEI_REQUIRE_SERVICES"

// Require returns the path of binary (looked up on PATH, or used as is when it contains a slash).
// When it cannot be found, the test is skipped with installHint, e.g. "apt-get install zbar-tools",
// or fails when QIWEI_REQUIRE_SERVICES=1.
func Require(t testing.TB, binary, installHint string) string {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		missing(t, binary, installHint)
	}
	return path
}

// missing skips or fails t (both stop the test) because binary is not installed.
func missing(t testing.TB, binary, installHint string) {
	t.Helper()
	msg := binary + " not installed: " + installHint
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg + " (required because " + RequireEnv + "=1)")
	}
	t.Skip(msg)
}
