package wecomtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
)

// The state file is a snapshot plus an append-only journal (WithStateFile). Every critical section
// that changes the persisted state marks what it changed (markDoc, markRecord, …); h.unlock turns
// the marks into one journal line — the changed objects as they are now — and writes it before the
// lock is released, so before the HTTP answer. A write(2) that has returned is in the operating
// system's page cache, which survives the death of the process (kill -9): no fsync is needed for
// that, and none is made per write. A power cut or kernel crash can still lose the last writes; the
// snapshot itself is fsynced.
//
// Journal lines hold absolute state (a record as it is, a deletion), so replaying them in order over
// the snapshot they follow gives the state of the last line. A torn last line is a write that was
// never acknowledged: it is cut off at load. When the journal has grown past journalLimit, the
// compactor takes a view of the state under the lock (records are immutable, so copying the slices
// is enough), switches to a new journal file, and writes the snapshot outside the lock.

// journalLimit is the journal size that triggers a compaction into the snapshot.
const journalLimit = 64 << 20

// changes is what the current critical section changed. Guarded by h.mu.
type changes struct {
	docs      map[string]bool
	recs      map[recKey]map[string]bool
	files     map[string]bool
	qr        map[string]bool
	msgs      []*SentMessage
	msgsReset bool
	followers map[string]bool
	menus     map[string]bool
	nextMsgID bool
}

type recKey struct{ doc, sheet string }

func (c *changes) empty() bool {
	return len(c.docs) == 0 && len(c.recs) == 0 && len(c.files) == 0 && len(c.qr) == 0 && len(c.msgs) == 0 &&
		!c.msgsReset && len(c.followers) == 0 && len(c.menus) == 0 && !c.nextMsgID
}

func mark(m *map[string]bool, id string) {
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[id] = true
}

// The mark functions record a change for the journal. h.mu must be held. They do nothing without a
// state file.

func (h *Handler) markDoc(docID string) {
	if h.jr != nil {
		mark(&h.chg.docs, docID)
	}
}

func (h *Handler) markRecord(docID, sheetID, recordID string) {
	if h.jr == nil {
		return
	}
	k := recKey{docID, sheetID}
	if h.chg.recs == nil {
		h.chg.recs = map[recKey]map[string]bool{}
	}
	set := h.chg.recs[k]
	mark(&set, recordID)
	h.chg.recs[k] = set
}

func (h *Handler) markFile(id string) {
	if h.jr != nil {
		mark(&h.chg.files, id)
	}
}

func (h *Handler) markQR(ticket string) {
	if h.jr != nil {
		mark(&h.chg.qr, ticket)
	}
}

func (h *Handler) markFollower(openID string) {
	if h.jr != nil {
		mark(&h.chg.followers, openID)
	}
}

func (h *Handler) markMenu(key string) {
	if h.jr != nil {
		mark(&h.chg.menus, key)
	}
}

func (h *Handler) markMessage(m *SentMessage) {
	if h.jr != nil {
		h.chg.msgs = append(h.chg.msgs, m)
		h.chg.nextMsgID = true
	}
}

func (h *Handler) markMessagesCleared() {
	if h.jr != nil {
		h.chg.msgs, h.chg.msgsReset = nil, true
	}
}

func (h *Handler) markNextMsgID() {
	if h.jr != nil {
		h.chg.nextMsgID = true
	}
}

// unlock journals what the critical section changed, then releases h.mu. Every h.mu.Lock is paired
// with unlock, so a change is on disk before anything can observe it (or answer it).
func (h *Handler) unlock() {
	if h.jr != nil && !h.chg.empty() {
		if h.failed() == nil {
			h.commit()
		} else {
			h.chg = changes{} // nothing more is written after a failure: replay stops at the last good line
		}
	}
	h.mu.Unlock()
}

// entry is one journal line.
type entry struct {
	Docs      []*ssDoc                   `json:"docs,omitempty"` // metadata; sheets without records
	DocsDel   []string                   `json:"docs_del,omitempty"`
	Records   []recordsEntry             `json:"records,omitempty"`
	Files     []*file                    `json:"files,omitempty"`
	FilesDel  []string                   `json:"files_del,omitempty"`
	QR        []*qrTicket                `json:"qr,omitempty"`
	QRDel     []string                   `json:"qr_del,omitempty"`
	MsgsReset bool                       `json:"msgs_reset,omitempty"`
	Msgs      []*SentMessage             `json:"msgs,omitempty"`
	Followers []string                   `json:"followers,omitempty"`
	Menus     map[string]json.RawMessage `json:"menus,omitempty"` // null: deleted
	NextMsgID int64                      `json:"next_msgid,omitempty"`
}

type recordsEntry struct {
	DocID   string      `json:"docid"`
	SheetID string      `json:"sheet_id"`
	Put     []*ssRecord `json:"put,omitempty"`
	Del     []string    `json:"del,omitempty"`
}

// docMeta is a copy of d whose sheets carry no records.
func docMeta(d *ssDoc) *ssDoc {
	c := *d
	c.Members = maps.Clone(d.Members)
	c.Sheets = make([]*ssSheet, len(d.Sheets))
	for i, s := range d.Sheets {
		c.Sheets[i] = s.meta()
	}
	return &c
}

// commit writes the marked changes as one journal line. h.mu must be held. A failed write breaks the
// handler: from then on every call is answered errcode -1, since a write could no longer be made
// durable (see Handler.failed).
func (h *Handler) commit() {
	c := &h.chg
	var e entry
	for _, id := range slices.Sorted(maps.Keys(c.docs)) {
		if d := h.st.Docs[id]; d != nil {
			e.Docs = append(e.Docs, docMeta(d))
		} else {
			e.DocsDel = append(e.DocsDel, id)
		}
	}
	for k, ids := range c.recs {
		d := h.st.Docs[k.doc]
		if d == nil {
			continue // the doc was deleted: DocsDel covers its records
		}
		s := d.sheetByID(k.sheet)
		if s == nil {
			continue // the sheet was deleted: the doc's metadata covers it
		}
		re := recordsEntry{DocID: k.doc, SheetID: k.sheet}
		for id := range ids {
			if r := s.rec(id); r != nil {
				re.Put = append(re.Put, r)
			} else {
				re.Del = append(re.Del, id)
			}
		}
		// New records are appended in creation order on replay.
		slices.SortFunc(re.Put, func(a, b *ssRecord) int { return s.pos[a.ID] - s.pos[b.ID] })
		e.Records = append(e.Records, re)
	}
	for id := range c.files {
		if f := h.st.Files[id]; f != nil {
			e.Files = append(e.Files, f)
		} else {
			e.FilesDel = append(e.FilesDel, id)
		}
	}
	for t := range c.qr {
		if q := h.st.QRTickets[t]; q != nil {
			e.QR = append(e.QR, q)
		} else {
			e.QRDel = append(e.QRDel, t)
		}
	}
	e.MsgsReset, e.Msgs = c.msgsReset, c.msgs
	for id := range c.followers {
		if h.st.Followers[id] {
			e.Followers = append(e.Followers, id)
		}
	}
	for k := range c.menus {
		if e.Menus == nil {
			e.Menus = map[string]json.RawMessage{}
		}
		e.Menus[k] = h.st.Menus[k] // nil encodes as null: deleted
	}
	if c.nextMsgID {
		e.NextMsgID = h.st.NextMsgID
	}
	h.chg = changes{}
	line, err := json.Marshal(e)
	if err == nil {
		err = h.jr.append(append(line, '\n'))
	}
	if err != nil {
		h.fail(fmt.Errorf("journal %s: %w", h.jr.path(), err))
		return
	}
	if h.jr.size > journalLimit && h.saver != nil {
		h.saver.kickCompact()
	}
}

// fail records the first persistence failure; see Handler.failed.
func (h *Handler) fail(err error) {
	if h.broken.CompareAndSwap(nil, &err) {
		h.cfg.log.Error("wecomtest: state file can no longer be written: every call now fails", "err", err)
	}
}

// failed reports the persistence failure, if any.
func (h *Handler) failed() error {
	if p := h.broken.Load(); p != nil {
		return *p
	}
	return nil
}

// journal is the open journal file. Guarded by h.mu.
type journal struct {
	base   string   // state file path; journals are base.journal.<gen>
	gen    int64    // generation of the file being appended to
	f      *os.File // nil after Close: a late write reopens the file for that write
	size   int64
	closed bool // Close has run: keep no file open
}

func journalPath(base string, gen int64) string { return fmt.Sprintf("%s.journal.%d", base, gen) }

func (j *journal) path() string { return journalPath(j.base, j.gen) }

func (j *journal) append(line []byte) error {
	f := j.f
	if f == nil {
		var err error
		if f, err = os.OpenFile(j.path(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
			return err
		}
		defer f.Close()
	}
	n, err := f.Write(line) // os.File.Write writes everything or returns an error
	j.size += int64(n)
	return err
}

// rotate starts the next generation: later lines go to a new, empty file.
func (j *journal) rotate() error {
	f, err := os.OpenFile(journalPath(j.base, j.gen+1), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if j.f != nil {
		_ = j.f.Close()
	}
	j.f, j.gen, j.size = f, j.gen+1, 0
	if j.closed {
		_ = f.Close()
		j.f = nil
	}
	return nil
}
