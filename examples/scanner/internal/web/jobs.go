package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/imports"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// readUpload reads the multipart upload of /api/import and /api/import/preview: the file (field
// "file") and the sheet to read (field "sheet", optional).
func readUpload(r *http.Request) (string, []byte, imports.Options, error) {
	var o imports.Options
	r.Body = http.MaxBytesReader(nil, r.Body, imports.MaxBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, o, &httpError{http.StatusRequestEntityTooLarge, "too_large", "文件不能超过 10 MB (file too large)"}
		}
		return "", nil, o, badRequest("上传格式错误，请重新选择文件 (malformed upload)")
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 {
		return "", nil, o, badRequest("请选择文件 (field \"file\")")
	}
	f, err := fhs[0].Open()
	if err != nil {
		return "", nil, o, badRequest("无法读取文件")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, imports.MaxBytes+1))
	if err != nil {
		return "", nil, o, badRequest("无法读取文件")
	}
	if len(data) > imports.MaxBytes {
		return "", nil, o, &httpError{http.StatusRequestEntityTooLarge, "too_large", "文件不能超过 10 MB (file too large)"}
	}
	o.Sheet = strings.TrimSpace(r.FormValue("sheet"))
	return fhs[0].Filename, data, o, nil
}

// badFile answers a file that cannot be imported: 422 with the reason in Chinese and, for a
// workbook, its sheets (to choose another).
func badFile(w http.ResponseWriter, err error) bool {
	var perr *imports.ParseError
	if !errors.As(err, &perr) {
		return false
	}
	sheets := perr.Sheets
	if sheets == nil {
		sheets = []imports.Sheet{}
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "bad_file", "message": perr.Msg, "sheets": sheets})
	return true
}

// apiImport queues an uploaded .xlsx or .csv (multipart field "file", optional "sheet") as a
// background job and answers at once (202) with the job's id and progress page. Bags already in
// the shop are skipped, so the same file uploaded again creates nothing twice.
func (s *Server) apiImport(w http.ResponseWriter, r *http.Request, u User) error {
	name, data, o, err := readUpload(r)
	if err != nil {
		return err
	}
	j, err := imports.Submit(r.Context(), s.cfg.Store, s.cfg.Shop, u.actor(), name, data, o)
	if badFile(w, err) {
		return nil
	}
	if err != nil {
		return err
	}
	if s.cfg.Imports != nil {
		s.cfg.Imports.Kick()
	}
	w.Header().Set("Location", "/import/"+j.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"job": j.ID, "url": "/import/" + j.ID, "total": j.Total, "state": j.State})
	return nil
}

// jobJSON is a job's progress; the per-row results come with ?results=1 or once the job is done.
func jobJSON(j *store.Job, withResults bool) map[string]any {
	m := map[string]any{"job": j.ID, "file": j.FileName, "state": j.State, "total": j.Total, "done": j.Done,
		"created": j.Created, "skipped": j.Skipped, "failed": j.Failed, "error": j.Error,
		"created_at": j.CreatedAt, "updated_at": j.UpdatedAt, "summary": imports.Summary(j)}
	if withResults || j.State == store.JobDone {
		var rs []imports.Result
		_ = json.Unmarshal([]byte(j.Results), &rs)
		if rs == nil {
			rs = []imports.Result{}
		}
		m["results"] = rs
	}
	return m
}

func (s *Server) apiImportJob(w http.ResponseWriter, r *http.Request, u User) error {
	j, err := s.cfg.Store.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jobJSON(j, r.URL.Query().Get("results") == "1"))
	return nil
}

// importJobPage shows a job's progress (the page polls /api/import/{id}).
func (s *Server) importJobPage(w http.ResponseWriter, r *http.Request, u User) error {
	j, err := s.cfg.Store.Job(r.Context(), r.PathValue("id"))
	if errors.Is(err, shop.ErrNotFound) {
		return &httpError{http.StatusNotFound, "not_found", "导入任务不存在 (no such import)"}
	}
	if err != nil {
		return err
	}
	return s.render(w, r, u, "importjob.html", "导入进度", map[string]any{"J": j, "Summary": imports.Summary(j)})
}
