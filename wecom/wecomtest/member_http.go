package wecomtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// The /test endpoints drive the fake from outside a Go test (the demo apps' pages, other languages,
// curl): a member's change of a smart sheet, delivered to the app as smart_sheet_change. They need no
// access token. Refusals are 4xx JSON {"errcode","errmsg"} (404 for an unknown docid, 413 for a body
// over WithMaxRequestBody); a change that is applied answers 200 with errcode 0, the record ids, and
// whether the callback got it:
//
//	{"errcode":0,"errmsg":"ok","record_ids":["rAbc12"],"delivered":false,"delivery_error":"…"}

// memberReq is the body of the /test/smartsheet/member_* endpoints.
type memberReq struct {
	UserID    string       `json:"userid"` // default: the current user (SetCurrentUser)
	DocID     string       `json:"docid"`
	Sheet     string       `json:"sheet"` // sheet_id or title
	Records   []MemberEdit `json:"records"`
	RecordIDs []string     `json:"record_ids"`
}

type memberResp struct {
	base
	RecordIDs     []string `json:"record_ids"`
	Delivered     bool     `json:"delivered"`
	DeliveryError string   `json:"delivery_error,omitempty"`
}

func (h *Handler) memberRoutes() {
	h.page("POST /test/smartsheet/member_edit", h.memberEndpoint(func(ctx context.Context, req *memberReq) ([]string, error) {
		ids := make([]string, len(req.Records))
		for i, e := range req.Records {
			ids[i] = e.RecordID
		}
		return ids, h.EditRecordsAsMember(ctx, req.UserID, req.DocID, req.Sheet, req.Records)
	}))
	h.page("POST /test/smartsheet/member_delete", h.memberEndpoint(func(ctx context.Context, req *memberReq) ([]string, error) {
		return req.RecordIDs, h.DeleteRecordsAsMember(ctx, req.UserID, req.DocID, req.Sheet, req.RecordIDs)
	}))
	h.page("POST /test/smartsheet/member_add", h.memberEndpoint(func(ctx context.Context, req *memberReq) ([]string, error) {
		values := make([]map[string]any, len(req.Records))
		for i, e := range req.Records {
			values[i] = e.Values
		}
		return h.AddRecordsAsMember(ctx, req.UserID, req.DocID, req.Sheet, values)
	}))
}

// memberEndpoint decodes a member change, runs it and answers as described above.
func (h *Handler) memberEndpoint(run func(context.Context, *memberReq) ([]string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.maxBody)
		data, err := io.ReadAll(r.Body)
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			writeStatusJSON(w, http.StatusRequestEntityTooLarge, invalid("request body too large: more than %d bytes", tooLarge.Limit))
			return
		}
		var req memberReq
		if err == nil {
			err = json.Unmarshal(data, &req)
		}
		if err != nil {
			writeStatusJSON(w, http.StatusBadRequest, invalid("invalid json: %v", err))
			return
		}
		if err := h.failed(); err != nil {
			writeStatusJSON(w, http.StatusServiceUnavailable, errf(codeSystemBusy, "system busy: the fake's state file cannot be written"))
			return
		}
		if req.UserID == "" {
			h.mu.Lock()
			req.UserID = h.oa.currentUser
			h.unlock()
		}
		// The delivery belongs to the fake, not to the caller's request: a client that gives up does
		// not cut WeCom's retries short.
		ids, err := run(context.WithoutCancel(r.Context()), &req)
		switch {
		case err == nil:
			writeJSON(w, memberResp{base: ok, RecordIDs: ids, Delivered: true})
		case isDelivery(err):
			writeJSON(w, memberResp{base: ok, RecordIDs: ids, DeliveryError: err.Error()})
		default:
			status := http.StatusBadRequest
			if ae := (*apiError)(nil); errors.As(err, &ae) && ae.Code == codeFileNotExist {
				status = http.StatusNotFound
			}
			writeStatusJSON(w, status, err)
		}
	}
}

// writeStatusJSON answers an error as {"errcode","errmsg"} with an HTTP status.
func writeStatusJSON(w http.ResponseWriter, status int, err error) {
	data, _ := json.Marshal(errBody(err))
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
