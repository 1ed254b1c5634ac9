package testsvc

import (
	"os"
	"os/exec"
	"testing"
)

// chromiumFlags make headless Chromium start fast and stay quiet on a machine without internet:
// without the background-networking flags it stalls trying to reach Google services.
var chromiumFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
}

// Chromium returns the path of the Chromium binary (/usr/bin/chromium, else chromium or
// chromium-browser on PATH) and the command-line flags to start it headless in a test, ending with a
// fresh --user-data-dir under t.TempDir(). The flags are in "--name" or "--name=value" form; with
// chromedp, split each at "=" into a chromedp.Flag. A missing Chromium skips the test (see [Require]).
func Chromium(t testing.TB) (path string, flags []string) {
	t.Helper()
	path = chromiumPath()
	if path == "" {
		missing(t, "chromium", "apt-get install chromium")
	}
	flags = append(append([]string(nil), chromiumFlags...), "--user-data-dir="+t.TempDir())
	return path, flags
}

func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
