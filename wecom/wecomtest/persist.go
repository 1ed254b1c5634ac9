package wecomtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// load reads the state file, if it exists.
func (h *Handler) load(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state file: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("state file %s: version %d, want %d", path, st.Version, stateVersion)
	}
	st.fix()
	h.st = st
	return nil
}

// dirty schedules a save of the state file (no-op without WithStateFile). Safe with or without h.mu.
func (h *Handler) dirty() {
	if h.saver != nil {
		select {
		case h.saver.kick <- struct{}{}:
		default:
		}
	}
}

// Save writes the state file now (no-op without WithStateFile).
func (h *Handler) Save() error {
	if h.saver == nil {
		return nil
	}
	return h.saver.save()
}

// saver writes the state file in the background, at most once per delay.
type saver struct {
	h       *Handler
	path    string
	delay   time.Duration
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once

	mu      sync.Mutex // serialises writes
	lastErr error
}

func newSaver(h *Handler, path string, delay time.Duration) *saver {
	s := &saver{h: h, path: path, delay: delay, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.loop()
	return s
}

func (s *saver) loop() {
	defer close(s.stopped)
	for {
		select {
		case <-s.kick:
			select {
			case <-time.After(s.delay):
			case <-s.stop:
			}
			_ = s.save()
		case <-s.stop:
			return
		}
	}
}

// close stops the loop and saves one last time.
func (s *saver) close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.stopped
	return s.save()
}

// save snapshots the state under the handler's lock and writes it atomically: a temporary file in the
// same directory, fsync, rename.
func (s *saver) save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.mu.Lock()
	data, err := json.Marshal(s.h.st)
	s.h.mu.Unlock()
	if err == nil {
		err = writeAtomic(s.path, data)
	}
	if err != nil {
		s.h.cfg.log.Warn("wecomtest: save state", "path", s.path, "err", err)
	}
	s.lastErr = err
	return err
}

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
	}
	return err
}
