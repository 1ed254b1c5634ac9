// Command scanner is qiwei's bag-shop inventory app (examples/scanner).
//
// It is not built yet: the scanner issue makes it real. Until then it says so and exits non-zero.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "qiwei scanner: 尚未完成 (not built yet) — the bag-shop app lands with the scanner issue; the SDK packages are usable now.")
	os.Exit(2)
}
