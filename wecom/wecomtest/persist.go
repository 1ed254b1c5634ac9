package wecomtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// load reads the snapshot, if it exists, replays the journals written after it and opens the last
// journal for appending (see journal.go).
func (h *Handler) load(path string) error {
	st := newState()
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read state file: %w", err)
	default:
		if err := json.Unmarshal(data, st); err != nil {
			return fmt.Errorf("state file %s: %w", path, err)
		}
		if st.Version != stateVersion {
			return fmt.Errorf("state file %s: version %d, want %d", path, st.Version, stateVersion)
		}
	}
	st.fix()
	gens, err := journalGens(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	j := &journal{base: path, gen: max(st.JournalGen, 1)}
	for i, g := range gens {
		if g < st.JournalGen { // already in the snapshot: a compaction ended before it removed the file
			_ = os.Remove(journalPath(path, g))
			continue
		}
		if err := replay(st, journalPath(path, g), i == len(gens)-1); err != nil {
			return err
		}
		j.gen = g
	}
	if j.f, err = os.OpenFile(j.path(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	if fi, err := j.f.Stat(); err == nil {
		j.size = fi.Size()
	}
	h.st, h.jr = st, j
	return nil
}

// journalGens lists the generations of the journal files next to the state file, oldest first.
func journalGens(base string) ([]int64, error) {
	names, err := filepath.Glob(base + ".journal.*")
	if err != nil {
		return nil, err
	}
	var gens []int64
	for _, n := range names {
		if g, err := strconv.ParseInt(strings.TrimPrefix(n, base+".journal."), 10, 64); err == nil && g > 0 {
			gens = append(gens, g)
		}
	}
	slices.Sort(gens)
	return gens, nil
}

// replay applies the lines of one journal file to st. In the last file an incomplete last line is a
// write that was cut off by the death of the process, hence never acknowledged: it is removed.
func replay(st *state, path string, last bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	for off, n := 0, 1; off < len(data); n++ {
		end := bytes.IndexByte(data[off:], '\n')
		var e entry
		if end < 0 || json.Unmarshal(data[off:off+end], &e) != nil {
			if last && (end < 0 || off+end+1 == len(data)) {
				return os.Truncate(path, int64(off))
			}
			return fmt.Errorf("journal %s: line %d is corrupt", path, n)
		}
		st.apply(&e)
		off += end + 1
	}
	return nil
}

// apply replays one journal line.
func (st *state) apply(e *entry) {
	for _, d := range e.Docs {
		st.putDocMeta(d)
	}
	for _, re := range e.Records {
		var s *ssSheet
		if d := st.Docs[re.DocID]; d != nil {
			s = d.sheetByID(re.SheetID)
		}
		if s == nil {
			continue // deleted by a later change of the same line's doc metadata
		}
		for _, r := range re.Put {
			s.put(r)
		}
		gone := make(map[string]bool, len(re.Del))
		for _, id := range re.Del {
			gone[id] = true
		}
		s.remove(gone)
	}
	for _, id := range e.DocsDel {
		delete(st.Docs, id)
	}
	for _, f := range e.Files {
		st.Files[f.ID] = f
	}
	for _, id := range e.FilesDel {
		delete(st.Files, id)
	}
	for _, q := range e.QR {
		st.QRTickets[q.Ticket] = q
	}
	for _, t := range e.QRDel {
		delete(st.QRTickets, t)
	}
	if e.MsgsReset {
		st.Messages = nil
	}
	st.Messages = append(st.Messages, e.Msgs...)
	if n := len(st.Messages) - maxKeptMessages; n > 0 {
		st.Messages = slices.Delete(st.Messages, 0, n)
	}
	for _, id := range e.Followers {
		st.Followers[id] = true
	}
	for k, v := range e.Menus {
		if v == nil || string(v) == "null" {
			delete(st.Menus, k)
		} else {
			st.Menus[k] = v
		}
	}
	if e.NextMsgID != 0 {
		st.NextMsgID = e.NextMsgID
	}
}

// putDocMeta replaces a document's metadata, keeping the records of the sheets it still has (minus
// the cells of deleted fields).
func (st *state) putDocMeta(d *ssDoc) {
	old := st.Docs[d.DocID]
	for _, s := range d.Sheets {
		var prev *ssSheet
		if old != nil {
			prev = old.sheetByID(s.ID)
		}
		if prev == nil {
			s.Records = nil
			s.reindex()
			continue
		}
		s.Records, s.pos = prev.Records, prev.pos
		gone := map[string]bool{}
		for _, f := range prev.Fields {
			if s.fieldByID(f.ID) == nil {
				gone[f.ID] = true
			}
		}
		s.dropFields(gone)
	}
	st.Docs[d.DocID] = d
}

// view is a copy of the state for a snapshot, taken under h.mu and encoded after it is released:
// metadata is copied, and record slices are copied (records are immutable, see ssSheet).
func (h *Handler) view() *state {
	v := *h.st
	v.Docs = make(map[string]*ssDoc, len(h.st.Docs))
	for id, d := range h.st.Docs {
		c := docMeta(d)
		for i, s := range d.Sheets {
			c.Sheets[i].Records = slices.Clone(s.Records)
		}
		v.Docs[id] = c
	}
	v.Files, v.QRTickets = maps.Clone(h.st.Files), maps.Clone(h.st.QRTickets)
	v.Followers, v.Menus = maps.Clone(h.st.Followers), maps.Clone(h.st.Menus)
	v.Messages = slices.Clone(h.st.Messages)
	return &v
}

// compact writes a snapshot of the state and removes the journals it covers. The lock is held only
// to copy the state and switch to a new journal file.
func (h *Handler) compact() error {
	h.saver.mu.Lock()
	defer h.saver.mu.Unlock()
	h.mu.Lock()
	if err := h.failed(); err != nil {
		h.unlock()
		return err
	}
	v := h.view()
	err := h.jr.rotate()
	v.JournalGen = h.jr.gen
	h.unlock()
	if err == nil {
		var data []byte
		if data, err = json.Marshal(v); err == nil {
			err = writeAtomic(h.jr.base, data)
		}
	}
	if err != nil {
		h.cfg.log.Warn("wecomtest: snapshot of the state file failed; the journal keeps every change", "path", h.jr.base, "err", err)
		return fmt.Errorf("wecomtest: snapshot: %w", err)
	}
	gens, _ := journalGens(h.jr.base)
	for _, g := range gens {
		if g < v.JournalGen {
			_ = os.Remove(journalPath(h.jr.base, g))
		}
	}
	return nil
}

// Save writes a snapshot of the state file now (no-op without WithStateFile). It is not needed for
// durability: every acknowledged change is already in the journal.
func (h *Handler) Save() error {
	if h.saver == nil {
		return nil
	}
	return h.compact()
}

// saver compacts the journal in the background when it has grown past journalLimit.
type saver struct {
	h       *Handler
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	mu      sync.Mutex // serialises compactions
}

func newSaver(h *Handler) *saver {
	s := &saver{h: h, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.loop()
	return s
}

func (s *saver) kickCompact() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *saver) loop() {
	defer close(s.stopped)
	for {
		select {
		case <-s.kick:
			_ = s.h.compact()
		case <-s.stop:
			return
		}
	}
}

// close stops the background compactor, writes a last snapshot and closes the journal file. A
// change made later (a request still running) reopens the journal for its line.
func (s *saver) close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.stopped
	err := s.h.compact()
	s.h.mu.Lock()
	s.h.jr.closed = true
	if s.h.jr.f != nil {
		_ = s.h.jr.f.Close()
		s.h.jr.f = nil
	}
	s.h.unlock()
	return err
}

// writeAtomic writes a file through a temporary file in the same directory, fsync and rename, then
// fsyncs the directory, so that the snapshot survives a power cut before the journals are removed.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
