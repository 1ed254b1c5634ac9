package web

import (
	"net/http"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/imports"
)

// apiImportPreview is the dry run of an import (POST /api/import/preview, the same multipart form
// as /api/import): per row what would be created or skipped and why, the header as it was
// understood and the workbook's sheets. Nothing is written; the page's confirm button then sends
// the same file to /api/import.
func (s *Server) apiImportPreview(w http.ResponseWriter, r *http.Request, u User) error {
	name, data, o, err := readUpload(r)
	if err != nil {
		return err
	}
	p, err := imports.DryRun(r.Context(), s.cfg.Store, s.cfg.Shop, u.actor(), name, data, o)
	if badFile(w, err) {
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
