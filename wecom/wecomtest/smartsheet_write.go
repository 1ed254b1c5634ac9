package wecomtest

// actor is who writes records: an app through the API, or a member in the WeCom client (see
// EditRecordsAsMember). Its name becomes creator_name / updater_name; a member's userid also fills
// the CREATED_USER / MODIFIED_USER cells.
type actor struct {
	name   string
	userID string // members only
}

func appActor(c *caller) actor { return actor{name: c.app.Name} }

// insertRecords validates vals (keyed as k says) and appends one record for each: all or nothing. It
// returns the new records and their normalised values. h.mu must be held.
func (h *Handler) insertRecords(d *ssDoc, s *ssSheet, k keyer, vals []map[string]any, who actor) ([]*ssRecord, []map[string]any, error) {
	if len(s.Records)+len(vals) > maxRows {
		return nil, nil, invalid("too many rows: a sheet has at most %d", maxRows)
	}
	tx := &writeTx{h: h}
	norm := make([]map[string]any, len(vals))
	for i, v := range vals {
		var err error
		if norm[i], err = tx.normalize(k, v); err != nil {
			return nil, nil, err
		}
	}
	tx.commit()
	now := h.now().UnixMilli()
	out := make([]*ssRecord, len(norm))
	for i, v := range norm {
		s.Serial++
		rec := &ssRecord{ID: h.uniqueID("r", 5, func(id string) bool { return s.rec(id) != nil }),
			CreateTime: now, UpdateTime: now, Creator: who.name, Updater: who.name, CreatorID: who.userID,
			UpdaterID: who.userID, Serial: s.Serial, Values: make(map[string]any, len(v))}
		for id, x := range v {
			if x != nil {
				rec.Values[id] = x
			}
		}
		s.put(rec)
		h.markRecord(d.DocID, s.ID, rec.ID)
		out[i] = rec
	}
	h.touch(d, s)
	return out, norm, nil
}

// changeRecords applies vals[i] to the record ids[i] (every id must exist): only the listed cells
// change, an empty value clears one. All or nothing. It returns the new versions of the records and
// the normalised values. h.mu must be held.
func (h *Handler) changeRecords(d *ssDoc, s *ssSheet, k keyer, ids []string, vals []map[string]any, who actor) ([]*ssRecord, []map[string]any, error) {
	for _, id := range ids {
		if s.rec(id) == nil {
			return nil, nil, invalid("invalid record_id %q", id)
		}
	}
	tx := &writeTx{h: h}
	norm := make([]map[string]any, len(vals))
	for i, v := range vals {
		var err error
		if norm[i], err = tx.normalize(k, v); err != nil {
			return nil, nil, err
		}
	}
	tx.commit()
	now := h.now().UnixMilli()
	out := make([]*ssRecord, len(norm))
	for i, v := range norm {
		old := s.rec(ids[i])
		values := make(map[string]any, len(old.Values)+len(v))
		for id, x := range old.Values {
			values[id] = x
		}
		for id, x := range v {
			if x == nil {
				delete(values, id)
			} else {
				values[id] = x
			}
		}
		rec := old.withValues(values)
		rec.UpdateTime, rec.Updater, rec.UpdaterID = now, who.name, who.userID
		s.put(rec)
		h.markRecord(d.DocID, s.ID, rec.ID)
		out[i] = rec
	}
	h.touch(d, s)
	return out, norm, nil
}

// removeRecords deletes records; every id must exist. h.mu must be held.
func (h *Handler) removeRecords(d *ssDoc, s *ssSheet, ids []string) error {
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		if s.rec(id) == nil {
			return invalid("invalid record_id %q", id)
		}
		gone[id] = true
	}
	s.remove(gone)
	for id := range gone {
		h.markRecord(d.DocID, s.ID, id)
	}
	h.touch(d, s)
	return nil
}

// normalize validates one record's values into field-id keys. Keys with empty values map to nil.
func (tx *writeTx) normalize(k keyer, vals map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(vals))
	for key, v := range vals {
		f := k.field(key)
		if f == nil {
			return nil, invalid("unknown field %q", key)
		}
		nv, empty, err := tx.cell(f, v)
		if err != nil {
			return nil, err
		}
		if empty {
			nv = nil
		}
		out[f.ID] = nv
	}
	return out, nil
}

// written renders the cells a write call set, keyed like the request.
func written(k keyer, rec *ssRecord, ids map[string]any) map[string]any {
	out := make(map[string]any, len(ids))
	for id := range ids {
		f := k.s.fieldByID(id)
		if v, has := outValue(f, rec); has {
			out[k.key(f)] = v
		}
	}
	return out
}
