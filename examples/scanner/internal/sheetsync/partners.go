package sheetsync

import (
	"context"
	"errors"
	"strconv"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// Members' edits of the 供应商 and 客户 sheets: a changed cell changes the supplier or customer, a
// row a member adds (with a name) becomes a new one, a deleted row retires it (停用). A value the
// shop refuses (an empty name, a taken supplier name) is not taken: the store's row is written back.

// sheetActor is who edits through the sheet: allowed what a manager may do.
func sheetActor(rec smartsheet.Record) shop.Actor {
	a := editor(rec)
	a.Manager = true
	return a
}

// applyPartnerRecords applies what members changed in these rows of 供应商 or 客户.
func (s *Syncer) applyPartnerRecords(ctx context.Context, t *table, recs []smartsheet.Record) error {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	rows, err := s.st.SheetRowsByRecord(ctx, ids)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		cur := t.read(rec)
		r, ok := rows[rec.ID]
		if !ok || r.Topic != t.topic {
			if err := s.addPartner(ctx, t, rec, cur); err != nil {
				return err
			}
			continue
		}
		if err := s.editPartner(ctx, t, rec, r, cur); err != nil {
			return err
		}
	}
	return nil
}

// partnerEdit returns the cells a member changed, compared with what the app wrote (or is writing).
func partnerEdit(cur snapshot, r store.SheetRow) (shop.PartnerInput, bool) {
	pushed, pushing := parseSnapshot(r.Pushed), parseSnapshot(r.Pushing)
	var in shop.PartnerInput
	changed := false
	for title, v := range cur {
		if v == pushed[title] {
			continue
		}
		if w, ok := pushing[title]; ok && v == w {
			continue
		}
		v := v
		switch title {
		case colName:
			in.Name = &v
		case colContact:
			in.Contact = &v
		case colPhone:
			in.Phone = &v
		case colExternal:
			in.ExternalID = &v
		case colNotes:
			in.Notes = &v
		case colState:
			del := v == stateRetired
			in.Deleted = &del
		default:
			continue // 编号 and the times are the app's: written back
		}
		changed = true
	}
	return in, changed
}

func (s *Syncer) editPartner(ctx context.Context, t *table, rec smartsheet.Record, r store.SheetRow, cur snapshot) error {
	in, changed := partnerEdit(cur, r)
	if !changed {
		return nil
	}
	id, err := strconv.ParseInt(r.Entity, 10, 64)
	if err != nil {
		return nil
	}
	a := sheetActor(rec)
	if t == suppliersTable {
		_, err = s.shop.UpdateSupplier(ctx, a, id, in)
	} else {
		_, err = s.shop.UpdateCustomer(ctx, a, id, in)
	}
	switch {
	case errors.Is(err, shop.ErrInvalid), errors.Is(err, shop.ErrNameTaken):
		s.log.Info("sheetsync: a member's edit was refused; the row is written back", "sheet", t.title, "id", r.Entity, "err", err)
	case errors.Is(err, shop.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	// The sheet holds cur now; the store's values that differ from it are written back.
	r.Pushed = parseSnapshot(r.Pushed).merge(cur).String()
	return s.st.WriteTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveSheetRow(ctx, r); err != nil {
			return err
		}
		return tx.Enqueue(ctx, t.topic, r.Entity)
	})
}

// addPartner makes a supplier or customer of a row a member added (once it has a name); the app
// then writes its 编号 into the row.
func (s *Syncer) addPartner(ctx context.Context, t *table, rec smartsheet.Record, cur snapshot) error {
	if cur[colName] == "" {
		return nil // not filled in yet: a later update_record brings it back
	}
	if cur[colID] != "" {
		return nil // one of the app's rows whose add was unconfirmed: resolved by key when pushed
	}
	in := shop.PartnerInput{Name: ptr(cur[colName]), Phone: ptr(cur[colPhone]), Notes: ptr(cur[colNotes])}
	var id int64
	var err error
	if t == suppliersTable {
		in.Contact = ptr(cur[colContact])
		var x *shop.Supplier
		if x, err = s.shop.CreateSupplier(ctx, sheetActor(rec), in); err == nil {
			id = x.ID
		}
	} else {
		in.ExternalID = ptr(cur[colExternal])
		var x *shop.Customer
		if x, err = s.shop.CreateCustomer(ctx, sheetActor(rec), in); err == nil {
			id = x.ID
		}
	}
	if errors.Is(err, shop.ErrInvalid) || errors.Is(err, shop.ErrNameTaken) {
		s.log.Info("sheetsync: a row added in the sheet is not taken", "sheet", t.title, "record", rec.ID, "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	entity := strconv.FormatInt(id, 10)
	return s.st.WriteTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveSheetRow(ctx, store.SheetRow{Topic: t.topic, Entity: entity, Sheet: t.topic, RecordID: rec.ID,
			Pushed: cur.String()}); err != nil {
			return err
		}
		if err := tx.AddSheetRows(ctx, t.topic, 1); err != nil {
			return err
		}
		return tx.Enqueue(ctx, t.topic, entity)
	})
}

// retirePartner handles a row of 供应商 or 客户 deleted in the sheet: the supplier or customer is
// retired (停用) and kept; it is not written to the sheet again unless brought back in the app.
func (s *Syncer) retirePartner(ctx context.Context, t *table, r store.SheetRow) error {
	id, err := strconv.ParseInt(r.Entity, 10, 64)
	if err != nil {
		return nil
	}
	if err := s.st.WriteTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveSheetRow(ctx, store.SheetRow{Topic: r.Topic, Entity: r.Entity}); err != nil {
			return err
		}
		return tx.AddSheetRows(ctx, r.Sheet, -1)
	}); err != nil {
		return err
	}
	a := shop.Actor{UserID: "表格", Name: "表格", Manager: true}
	retired := true
	if t == suppliersTable {
		_, err = s.shop.UpdateSupplier(ctx, a, id, shop.PartnerInput{Deleted: &retired})
	} else {
		_, err = s.shop.UpdateCustomer(ctx, a, id, shop.PartnerInput{Deleted: &retired})
	}
	if errors.Is(err, shop.ErrNotFound) {
		return nil
	}
	return err
}

func ptr[T any](v T) *T { return &v }
