// Package browsertest starts headless Chromium through chromedp for the apps' real-browser tests
// and saves screenshots for review. A missing Chromium skips the test (or fails it under
// QIWEI_REQUIRE_SERVICES=1), see testsvc.Chromium.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qiwei-go/qiwei/internal/testsvc"
)

// New returns a chromedp tab context, bounded by timeout, on a fresh headless Chromium that is shut
// down when the test ends.
//
// Chromium gets a profile directory of its own, removed only after the browser process has exited:
// a t.TempDir profile raced Chromium's last writes at shutdown ("directory not empty").
func New(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path, flags := testsvc.Chromium(t)
	profile, err := os.MkdirTemp("", "qiwei-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path)}
	for _, f := range flags {
		name, value, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		switch {
		case name == "user-data-dir":
			opts = append(opts, chromedp.UserDataDir(profile))
		case ok:
			opts = append(opts, chromedp.Flag(name, value))
		default:
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp v0.14 reports CDP events it does not know (the <dialog> top layer) as errors; ignore those.
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		if !strings.HasPrefix(format, "unhandled") {
			t.Logf("chromedp: "+format, args...)
		}
	}))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	alloc := chromedp.FromContext(ctx).Allocator
	t.Cleanup(func() {
		cancel()
		cancelTab()
		cancelAlloc()
		alloc.Wait() // the browser process has exited: nothing writes to the profile any more
		if err := os.RemoveAll(profile); err != nil {
			t.Logf("browsertest: profile not removed: %v", err)
		}
	})
	return ctx
}

// ScreensEnv, set to 1, makes the browser tests refresh the committed screenshots for review;
// otherwise they go to a temporary directory so that a test run leaves the tree clean.
const ScreensEnv = "QIWEI_SCREENS"

// ScreensDir returns dir (created if needed) when QIWEI_SCREENS=1, else a temporary directory; also
// a temporary one on a read-only checkout.
func ScreensDir(t *testing.T, dir string) string {
	t.Helper()
	if os.Getenv(ScreensEnv) != "1" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshots go to a temporary directory: %v", err)
		return t.TempDir()
	}
	return dir
}

// Shot is an action that saves a screenshot of the viewport as dir/name.
func Shot(dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.CaptureScreenshot(&png).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), png, 0o644)
	})
}
