package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

// verifyFileRE matches the file WeCom's admin console asks for when a 可信域名 (trusted domain) is
// set: WW_verify_<random>.txt, to be served at the root of the domain.
var verifyFileRE = regexp.MustCompile(`^/(WW_verify_[A-Za-z0-9]{1,64}\.txt)$`)

// serveDomainVerify answers GET /WW_verify_….txt with the file of that name in the data directory,
// without a login. It reports whether it answered.
func serveDomainVerify(w http.ResponseWriter, r *http.Request, dataDir string) bool {
	m := verifyFileRE.FindStringSubmatch(r.URL.Path)
	if m == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	b, err := os.ReadFile(filepath.Join(dataDir, m[1]))
	if err != nil {
		return false
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(b)
	return true
}
