package wecomtest

import "slices"

// ssSheet is a smart-sheet sub-sheet (子表). Cell values are kept by field id, so renaming a field
// touches no record.
//
// Records are immutable once they are in Records: a write replaces the *ssRecord (see put), so a
// snapshot can copy the slice under the lock and encode it after the lock is released.
type ssSheet struct {
	ID      string      `json:"sheet_id"`
	Title   string      `json:"title"`
	Fields  []*ssField  `json:"fields"`
	Views   []*ssView   `json:"views"`
	Records []*ssRecord `json:"records"`
	Ver     int64       `json:"ver"`    // data version, +1 on every write
	Serial  int64       `json:"serial"` // records ever created (AUTONUMBER)

	pos map[string]int // record id → index in Records
}

func (s *ssSheet) reindex() {
	s.pos = make(map[string]int, len(s.Records))
	for i, r := range s.Records {
		s.pos[r.ID] = i
	}
}

// rec returns the record with id, or nil.
func (s *ssSheet) rec(id string) *ssRecord {
	if i, ok := s.pos[id]; ok {
		return s.Records[i]
	}
	return nil
}

// put stores r: it replaces the record with the same id in place, or appends a new one.
func (s *ssSheet) put(r *ssRecord) {
	if i, ok := s.pos[r.ID]; ok {
		s.Records[i] = r
		return
	}
	s.pos[r.ID] = len(s.Records)
	s.Records = append(s.Records, r)
}

// remove deletes the records whose ids are in gone, keeping the order of the others.
func (s *ssSheet) remove(gone map[string]bool) {
	if len(gone) == 0 {
		return
	}
	s.Records = slices.DeleteFunc(s.Records, func(r *ssRecord) bool { return gone[r.ID] })
	s.reindex()
}

// withValues returns a copy of r whose values are vals (r itself is never modified).
func (r *ssRecord) withValues(vals map[string]any) *ssRecord {
	c := *r
	c.Values = vals
	return &c
}

// dropFields removes the cells of the field ids in gone from every record (copies, see put).
func (s *ssSheet) dropFields(gone map[string]bool) {
	for i, r := range s.Records {
		hit := false
		for id := range gone {
			if _, has := r.Values[id]; has {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		vals := make(map[string]any, len(r.Values))
		for id, v := range r.Values {
			if !gone[id] {
				vals[id] = v
			}
		}
		s.Records[i] = r.withValues(vals)
	}
}

// meta is a copy of the sheet without its records, for the journal and snapshots: fields, views and
// their options are copied, so the copy stays valid after the lock is released.
func (s *ssSheet) meta() *ssSheet {
	c := &ssSheet{ID: s.ID, Title: s.Title, Ver: s.Ver, Serial: s.Serial}
	c.Fields = make([]*ssField, len(s.Fields))
	for i, f := range s.Fields {
		fc := *f
		fc.Options = make([]*ssOption, len(f.Options))
		for j, o := range f.Options {
			oc := *o
			fc.Options[j] = &oc
		}
		if f.Options == nil {
			fc.Options = nil
		}
		c.Fields[i] = &fc
	}
	c.Views = make([]*ssView, len(s.Views))
	for i, v := range s.Views {
		vc := *v
		c.Views[i] = &vc
	}
	return c
}
