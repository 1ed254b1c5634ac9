package wecomtest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) init() { c.n = map[string]int{} }

func (c *callCounter) add(endpoint string) {
	c.mu.Lock()
	c.n[endpoint]++
	c.mu.Unlock()
}

// Calls returns how many requests reached an endpoint, faulted ones included. endpoint is a route
// pattern such as "POST /cgi-bin/wedoc/smartsheet/add_records"; a bare path ("/cgi-bin/gettoken")
// counts every method.
func (h *Handler) Calls(endpoint string) int {
	h.calls.mu.Lock()
	defer h.calls.mu.Unlock()
	if strings.HasPrefix(endpoint, "/") {
		n := 0
		for k, v := range h.calls.n {
			if _, path, _ := strings.Cut(k, " "); path == endpoint {
				n += v
			}
		}
		return n
	}
	return h.calls.n[endpoint]
}

// CallCounts returns a copy of every endpoint's call count.
func (h *Handler) CallCounts() map[string]int {
	h.calls.mu.Lock()
	defer h.calls.mu.Unlock()
	out := make(map[string]int, len(h.calls.n))
	for k, v := range h.calls.n {
		out[k] = v
	}
	return out
}

// ResetCalls sets every call count back to zero.
func (h *Handler) ResetCalls() {
	h.calls.mu.Lock()
	defer h.calls.mu.Unlock()
	clear(h.calls.n)
}

// Messages returns the recorded messages, oldest first; with kinds, only those kinds.
func (h *Handler) Messages(kinds ...MessageKind) []SentMessage {
	h.mu.Lock()
	defer h.unlock()
	out := make([]SentMessage, 0, len(h.st.Messages))
	for _, m := range h.st.Messages {
		if len(kinds) == 0 || slices.Contains(kinds, m.Kind) {
			out = append(out, *m)
		}
	}
	return out
}

// ClearMessages forgets the recorded messages.
func (h *Handler) ClearMessages() {
	h.mu.Lock()
	defer h.unlock()
	h.st.Messages = nil
	h.markMessagesCleared()
}

// Doc summarises a document, for inspection.
type Doc struct {
	DocID   string
	Name    string
	DocType int
	AgentID int64 // the app that created it
	Sheets  []Sheet
}

// Sheet summarises a smart-sheet sub-sheet.
type Sheet struct {
	SheetID string
	Title   string
	Fields  int
	Records int
	Ver     int64
}

// Docs lists the documents, in no particular order.
func (h *Handler) Docs() []Doc {
	h.mu.Lock()
	defer h.unlock()
	out := make([]Doc, 0, len(h.st.Docs))
	for _, d := range h.st.Docs {
		doc := Doc{DocID: d.DocID, Name: d.Name, DocType: d.DocType, AgentID: d.Owner}
		for _, s := range d.Sheets {
			doc.Sheets = append(doc.Sheets, Sheet{s.ID, s.Title, len(s.Fields), len(s.Records), s.Ver})
		}
		out = append(out, doc)
	}
	return out
}

// RecordCount returns the number of rows of a sub-sheet, to check from a test that a write was applied
// exactly once.
func (h *Handler) RecordCount(docID, sheetID string) (int, error) {
	h.mu.Lock()
	defer h.unlock()
	d := h.st.Docs[docID]
	if d == nil {
		return 0, fmt.Errorf("wecomtest: unknown docid %q", docID)
	}
	s := d.sheetByID(sheetID)
	if s == nil {
		return 0, fmt.Errorf("wecomtest: unknown sheet %q", sheetID)
	}
	return len(s.Records), nil
}
