package sheetsync

import (
	"context"
	"fmt"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// keyedWrite is one row of a keyed table (products, suppliers, customers) about to be written.
type keyedWrite struct {
	key  string
	row  store.SheetRow
	rec  smartsheet.Record
	snap snapshot // canonical text of the cells sent
}

// pushKeyed writes the claimed rows of a keyed table: an update of the cells that differ from what
// the app last wrote (nothing at all when none differs), or an add for a row new to the sheet.
func (s *Syncer) pushKeyed(ctx context.Context, t *table, c *claim) error {
	sh, err := s.sheetFor(ctx, t, 0, 0)
	if err != nil {
		return err
	}
	rows, err := t.load(ctx, s, c.entities)
	if err != nil {
		return err
	}
	known, err := s.st.SheetRows(ctx, t.topic, c.entities)
	if err != nil {
		return err
	}
	found, err := s.resolveMaybe(ctx, t, known, c.entities)
	if err != nil {
		return err
	}
	for k, r := range found {
		known[k] = r
		c.full[k] = true // unknown content: write every cell
	}
	var adds, updates []keyedWrite
	var done []string
	for _, code := range c.entities {
		row, r := rows[code], known[code]
		if row == nil || (row.hidden && r.RecordID == "") {
			done = append(done, code) // gone, or deleted in the sheet: nothing to write
			continue
		}
		all := row.cells
		snap := t.snapshot(all)
		w := keyedWrite{key: code, row: r}
		w.row.Topic, w.row.Entity, w.row.Sheet = t.topic, code, sh.Name
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
	if err := s.writeKeyed(ctx, t, c, sh, updates, false); err != nil {
		return err
	}
	return s.writeKeyed(ctx, t, c, sh, adds, true)
}

// writeKeyed sends one update_records or add_records call. Before the call the store records
// what is being written (and, for adds, that they may be in the sheet), so that the app recognises
// its own write in a callback and looks an unanswered add up before sending it again.
func (s *Syncer) writeKeyed(ctx context.Context, t *table, c *claim, sh store.Sheet, ws []keyedWrite, add bool) error {
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
		recs[i], codes[i] = w.rec, w.key
	}
	var out []smartsheet.Record
	var err error
	if add {
		s.called(t.topic + ":add")
		out, err = s.ss.AddRecords(ctx, s.docID, sh.SheetID, recs)
	} else {
		s.called(t.topic + ":update")
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

// loadProducts reads products for the sheet, uploading their stored photos the first time.
func loadProducts(ctx context.Context, s *Syncer, codes []string) (map[string]*keyedRow, error) {
	ps, err := s.st.ProductsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	var sids []int64
	for _, p := range ps {
		if p.SupplierID != 0 {
			sids = append(sids, p.SupplierID)
		}
	}
	sups, err := s.st.SuppliersByID(ctx, sids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*keyedRow, len(ps))
	for code, p := range ps {
		urls, err := s.photoURLs(ctx, p)
		if err != nil {
			return nil, err
		}
		sup := ""
		if x := sups[p.SupplierID]; x != nil {
			sup = x.Name
		}
		out[code] = &keyedRow{cells: productCells(p, urls, sup), hidden: p.Deleted}
	}
	return out, nil
}

func parseIDs(ids []string) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func loadSuppliers(ctx context.Context, s *Syncer, ids []string) (map[string]*keyedRow, error) {
	xs, err := s.st.SuppliersByID(ctx, parseIDs(ids))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*keyedRow, len(xs))
	for id, x := range xs {
		out[strconv.FormatInt(id, 10)] = &keyedRow{cells: supplierCells(x), hidden: x.Deleted}
	}
	return out, nil
}

func loadCustomers(ctx context.Context, s *Syncer, ids []string) (map[string]*keyedRow, error) {
	xs, err := s.st.CustomersByID(ctx, parseIDs(ids))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*keyedRow, len(xs))
	for id, x := range xs {
		out[strconv.FormatInt(id, 10)] = &keyedRow{cells: customerCells(x), hidden: x.Deleted}
	}
	return out, nil
}

// photoURLs returns the URLs of a product's pictures in the document, uploading a picture kept in
// the store the first time (wedoc/image_upload).
func (s *Syncer) photoURLs(ctx context.Context, p *shop.Product) ([]string, error) {
	ids := p.PhotoIDs()
	if len(ids) == 0 {
		if p.PhotoURL == "" {
			return nil, nil
		}
		return []string{p.PhotoURL}, nil
	}
	var out []string
	for _, id := range ids {
		u, err := s.photoURL(ctx, p.Code, id)
		if err != nil {
			return nil, err
		}
		if u != "" {
			out = append(out, u)
		}
	}
	return out, nil
}

// photoURL returns the URL of a stored picture in the document, uploading it the first time.
func (s *Syncer) photoURL(ctx context.Context, code, id string) (string, error) {
	u, err := s.st.PhotoSheetURL(ctx, id)
	if err != nil || u != "" {
		return u, err
	}
	data, _, err := s.st.Photo(ctx, id)
	if err != nil {
		return "", err
	}
	s.called("photos:upload")
	img, err := s.ss.UploadImage(ctx, s.docID, data)
	if err != nil {
		if permanent(err) {
			s.log.Warn("sheetsync: the picture was refused; the row is written without it", "code", code, "err", err)
			return "", nil
		}
		return "", fmt.Errorf("upload the picture of %s: %w", code, err)
	}
	return img.URL, s.st.SetPhotoSheetURL(ctx, id, img.URL)
}
