package wecomtest

import (
	"encoding/json"
	"time"
)

// state is everything the fake keeps across restarts with WithStateFile. Guarded by Handler.mu; changes
// are marked for the journal (journal.go).
type state struct {
	Version   int                        `json:"version"`
	Docs      map[string]*ssDoc          `json:"docs"`
	Files     map[string]*file           `json:"files"`
	QRTickets map[string]*qrTicket       `json:"qr_tickets"`
	Messages  []*SentMessage             `json:"messages"`
	Followers map[string]bool            `json:"followers"`
	Menus     map[string]json.RawMessage `json:"menus"`
	NextMsgID int64                      `json:"next_msgid"`

	// JournalGen is the first journal generation not contained in this snapshot (see journal.go).
	JournalGen int64 `json:"journal_gen,omitempty"`
}

const stateVersion = 1

func newState() *state {
	return &state{
		Version:   stateVersion,
		Docs:      map[string]*ssDoc{},
		Files:     map[string]*file{},
		QRTickets: map[string]*qrTicket{},
		Followers: map[string]bool{},
		Menus:     map[string]json.RawMessage{},
		NextMsgID: 1000001,
	}
}

// fix fills maps a hand-edited or older state file may lack and rebuilds indexes.
func (s *state) fix() {
	if s.Docs == nil {
		s.Docs = map[string]*ssDoc{}
	}
	if s.Files == nil {
		s.Files = map[string]*file{}
	}
	if s.QRTickets == nil {
		s.QRTickets = map[string]*qrTicket{}
	}
	if s.Followers == nil {
		s.Followers = map[string]bool{}
	}
	if s.Menus == nil {
		s.Menus = map[string]json.RawMessage{}
	}
	if s.NextMsgID == 0 {
		s.NextMsgID = 1000001
	}
	for _, d := range s.Docs {
		for _, sh := range d.Sheets {
			sh.reindex()
		}
	}
}

// file is stored content: an image from wedoc/image_upload or media/uploadimg (served at
// /wecomtest/files/{id}), or temporary media from media/upload (served by media/get).
type file struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"` // "image" (permanent URL) or the media type: image, voice, video, file
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Data        []byte    `json:"data"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"` // media only: 3 days
}

// nextMsgID returns a new message id. h.mu must be held.
func (h *Handler) nextMsgID() int64 {
	h.markNextMsgID()
	h.st.NextMsgID++
	return h.st.NextMsgID
}
