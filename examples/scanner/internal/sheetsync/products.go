package sheetsync

import (
	"context"
	"fmt"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// productWrite is one product row about to be written.
type productWrite struct {
	code string
	row  store.SheetRow
	rec  smartsheet.Record
	snap snapshot // canonical text of the cells sent
}

// pushProducts writes the claimed products' rows: an update of the cells that differ from what
// the app last wrote (nothing at all when none differs), or an add for a product new to the sheet.
func (s *Syncer) pushProducts(ctx context.Context, c *claim) error {
	sh, err := s.sheetFor(ctx, productsTable, 0, 0)
	if err != nil {
		return err
	}
	ps, err := s.st.ProductsByCode(ctx, c.entities)
	if err != nil {
		return err
	}
	known, err := s.st.SheetRows(ctx, store.TopicProducts, c.entities)
	if err != nil {
		return err
	}
	found, err := s.resolveMaybe(ctx, productsTable, known, c.entities)
	if err != nil {
		return err
	}
	for k, r := range found {
		known[k] = r
		c.full[k] = true // unknown content: write every cell
	}
	var adds, updates []productWrite
	var done []string
	for _, code := range c.entities {
		p, r := ps[code], known[code]
		if p == nil || (p.Deleted && r.RecordID == "") {
			done = append(done, code) // gone, or deleted in the sheet: nothing to write
			continue
		}
		photo, err := s.photoURL(ctx, p)
		if err != nil {
			return err
		}
		all := productCells(p, photo)
		snap := productsTable.snapshot(all)
		w := productWrite{code: code, row: r}
		w.row.Topic, w.row.Entity, w.row.Sheet = store.TopicProducts, code, sh.Name
		if r.RecordID == "" {
			w.rec, w.snap = smartsheet.Record{Values: all}, snap
			adds = append(adds, w)
			continue
		}
		pushed := parseSnapshot(r.Pushed)
		// A write whose outcome is unknown (Pushing set: the answer was lost, or the app stopped)
		// leaves the row's cells unknown too: write them all.
		full := c.full[code] || r.Pushing != ""
		w.rec, w.snap = smartsheet.Record{ID: r.RecordID, Values: map[string]smartsheet.Value{}}, snapshot{}
		for title, v := range snap {
			if full || pushed[title] != v {
				w.rec.Values[title], w.snap[title] = all[title], v
			}
		}
		if len(w.snap) == 0 {
			done = append(done, code)
			continue
		}
		updates = append(updates, w)
	}
	if err := s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for k, r := range found {
			if err := tx.SaveSheetRow(ctx, r); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return tx.OutboxDone(ctx, c.seqsOf(done))
	}); err != nil {
		return err
	}
	if err := s.writeProducts(ctx, c, sh, updates, false); err != nil {
		return err
	}
	return s.writeProducts(ctx, c, sh, adds, true)
}

// writeProducts sends one update_records or add_records call. Before the call the store records
// what is being written (and, for adds, that they may be in the sheet), so that the app recognises
// its own write in a callback and looks an unanswered add up before sending it again.
func (s *Syncer) writeProducts(ctx context.Context, c *claim, sh store.Sheet, ws []productWrite, add bool) error {
	if len(ws) == 0 {
		return nil
	}
	if err := s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for _, w := range ws {
			r := w.row
			r.Pushing, r.Maybe = w.snap.String(), add
			if err := tx.SaveSheetRow(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	recs := make([]smartsheet.Record, len(ws))
	codes := make([]string, len(ws))
	for i, w := range ws {
		recs[i], codes[i] = w.rec, w.code
	}
	var out []smartsheet.Record
	var err error
	if add {
		s.called("products:add")
		out, err = s.ss.AddRecords(ctx, s.docID, sh.SheetID, recs)
	} else {
		s.called("products:update")
		out, err = s.ss.UpdateRecords(ctx, s.docID, sh.SheetID, recs)
	}
	if err != nil {
		if !smartsheet.MayHaveApplied(err) {
			_ = s.st.WriteTx(ctx, func(tx *store.Tx) error { // certainly not written: as before
				for _, w := range ws {
					if err := tx.SaveSheetRow(ctx, w.row); err != nil {
						return err
					}
				}
				return nil
			})
		}
		return fmt.Errorf("write %d rows of %s: %w", len(recs), sh.Title, err)
	}
	return s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for i, w := range ws {
			r := w.row
			r.Pushed, r.Pushing, r.Maybe = parseSnapshot(r.Pushed).merge(w.snap).String(), "", false
			if add {
				r.RecordID = out[i].ID
			}
			if err := tx.SaveSheetRow(ctx, r); err != nil {
				return err
			}
		}
		if add {
			if err := tx.AddSheetRows(ctx, sh.Name, len(ws)); err != nil {
				return err
			}
		}
		return tx.OutboxDone(ctx, c.seqsOf(codes))
	})
}

// photoURL returns the URL of a product's picture in the document, uploading a picture kept in the
// store the first time (wedoc/image_upload).
func (s *Syncer) photoURL(ctx context.Context, p *shop.Product) (string, error) {
	if p.PhotoID == "" {
		return p.PhotoURL, nil
	}
	u, err := s.st.PhotoSheetURL(ctx, p.PhotoID)
	if err != nil || u != "" {
		return u, err
	}
	data, _, err := s.st.Photo(ctx, p.PhotoID)
	if err != nil {
		return "", err
	}
	s.called("photos:upload")
	img, err := s.ss.UploadImage(ctx, s.docID, data)
	if err != nil {
		if permanent(err) {
			s.log.Warn("sheetsync: the picture was refused; the row is written without it", "code", p.Code, "err", err)
			return "", nil
		}
		return "", fmt.Errorf("upload the picture of %s: %w", p.Code, err)
	}
	return img.URL, s.st.SetPhotoSheetURL(ctx, p.PhotoID, img.URL)
}
