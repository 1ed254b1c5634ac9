package sheetsync

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
)

// HandleCallback stores a smart_sheet_change callback and wakes the loop; it returns at once (WeCom
// wants an answer within 5 s). The event names the records (or fields) that changed, never their
// values: the loop reads them back. Events of other documents are ignored.
//
// WeCom events: https://developer.work.weixin.qq.com/document/path/101019 (记录变更事件) and
// https://developer.work.weixin.qq.com/document/path/101016 (字段变更事件).
func (s *Syncer) HandleCallback(ctx context.Context, m *wecom.Message) error {
	if m.Event != wecom.EventSmartSheetChange || (m.DocID != "" && m.DocID != s.docID) || m.SheetID == "" {
		return nil
	}
	var evs []store.SheetEvent
	switch m.ChangeType {
	case wecom.ChangeTypeAddRecord, wecom.ChangeTypeUpdateRecord, wecom.ChangeTypeDeleteRecord:
		evs = append(evs, store.SheetEvent{SheetID: m.SheetID, ChangeType: m.ChangeType, IDs: m.RecordIDs})
	case wecom.ChangeTypeAddField, wecom.ChangeTypeUpdateField, wecom.ChangeTypeDeleteField:
		evs = append(evs, store.SheetEvent{SheetID: m.SheetID, ChangeType: m.ChangeType, IDs: m.FieldIDs})
	case wecom.ChangeTypeFieldOrRecord:
		if len(m.RecordIDs) > 0 {
			evs = append(evs, store.SheetEvent{SheetID: m.SheetID, ChangeType: wecom.ChangeTypeUpdateRecord, IDs: m.RecordIDs})
		}
		if len(m.FieldIDs) > 0 || len(m.RecordIDs) == 0 {
			evs = append(evs, store.SheetEvent{SheetID: m.SheetID, ChangeType: wecom.ChangeTypeUpdateField, IDs: m.FieldIDs})
		}
	default:
		s.log.Info("sheetsync: unknown smart_sheet_change", "change_type", m.ChangeType)
		return nil
	}
	for _, e := range evs {
		if err := s.st.AddSheetEvent(ctx, e); err != nil {
			return err
		}
	}
	s.Kick()
	return nil
}

// applyEvents applies the stored callbacks of t's sub-sheets, oldest first.
func (s *Syncer) applyEvents(ctx context.Context, t *table) error {
	evs, err := s.st.SheetEvents(ctx, s.o.Now(), 200)
	if err != nil || len(evs) == 0 {
		return err
	}
	sheets, err := s.st.Sheets(ctx)
	if err != nil {
		return err
	}
	byID := map[string]store.Sheet{}
	for _, sh := range sheets {
		byID[sh.SheetID] = sh
	}
	for _, e := range evs {
		sh, ok := byID[e.SheetID]
		if !ok && t == productsTable {
			// Not one of the app's sheets (a member's own sub-sheet): nothing to do.
			if err := s.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.SheetEventDone(ctx, e.Seq) }); err != nil {
				return err
			}
			continue
		}
		if !ok || tableOf(sh.Name) != t {
			continue
		}
		if err := s.applyEvent(ctx, t, sh, e); err != nil {
			next := s.o.Now().Add(s.backoff(e.Attempts))
			s.log.Warn("sheetsync: applying a smart-sheet change failed; will retry", "sheet", sh.Title,
				"change", e.ChangeType, "err", err)
			return errors.Join(err, s.st.SheetEventRetry(ctx, e.Seq, next, err.Error()))
		}
		if err := s.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.SheetEventDone(ctx, e.Seq) }); err != nil {
			return err
		}
	}
	return nil
}

func tableOf(name string) *table {
	topic, _, _ := strings.Cut(name, ":")
	return tables[topic]
}

func (s *Syncer) applyEvent(ctx context.Context, t *table, sh store.Sheet, e store.SheetEvent) error {
	switch e.ChangeType {
	case wecom.ChangeTypeAddRecord, wecom.ChangeTypeUpdateRecord:
		if t.yearly || len(e.IDs) == 0 {
			return nil // the ledger and sales are the store's: members' edits there are not taken
		}
		var recs []smartsheet.Record
		for ids := e.IDs; len(ids) > 0; {
			n := min(len(ids), smartsheet.MaxPageSize)
			page, err := s.ss.GetRecords(ctx, s.docID, sh.SheetID, &smartsheet.Query{RecordIDs: ids[:n]})
			if err != nil {
				return err
			}
			recs = append(recs, page.Records...)
			ids = ids[n:]
		}
		if t != productsTable {
			return s.applyPartnerRecords(ctx, t, recs)
		}
		return s.applyProductRecords(ctx, recs)
	case wecom.ChangeTypeDeleteRecord:
		return s.applyDeletes(ctx, t, e.IDs)
	default: // a column was added, renamed or deleted: put back what the app needs
		added, err := s.addMissingColumns(ctx, t, sh.SheetID)
		if err != nil || !added {
			return err
		}
		s.log.Warn("sheetsync: a column of the app was missing and has been re-created; its rows are written again", "sheet", sh.Title)
		return s.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.EnqueueSheet(ctx, sh.Name) })
	}
}

// applyDeletes handles rows deleted in the sheet: a product is marked 已删除 (and kept), a supplier
// or customer retired; a ledger or sales row is the store's record and is written again.
func (s *Syncer) applyDeletes(ctx context.Context, t *table, recordIDs []string) error {
	rows, err := s.st.SheetRowsByRecord(ctx, recordIDs)
	if err != nil {
		return err
	}
	for _, r := range rows {
		gone := store.SheetRow{Topic: r.Topic, Entity: r.Entity}
		if t == suppliersTable || t == customersTable {
			if err := s.retirePartner(ctx, t, r); err != nil {
				return err
			}
			continue
		}
		if t != productsTable {
			if err := s.st.WriteTx(ctx, func(tx *store.Tx) error {
				if err := tx.SaveSheetRow(ctx, gone); err != nil {
					return err
				}
				if err := tx.AddSheetRows(ctx, r.Sheet, -1); err != nil {
					return err
				}
				return tx.EnqueueFull(ctx, r.Topic, r.Entity)
			}); err != nil {
				return err
			}
			s.log.Warn("sheetsync: a row of the ledger or sales was deleted in the sheet; it is written again", "id", r.Entity)
			continue
		}
		_, _, err := s.shop.ApplySheetEdit(ctx, shop.Actor{UserID: "表格"}, r.Entity, shop.SheetEdit{Deleted: true},
			func(ctx context.Context, tx shop.Tx, p *shop.Product) error {
				st := tx.(*store.Tx)
				if err := st.SaveSheetRow(ctx, gone); err != nil {
					return err
				}
				return st.AddSheetRows(ctx, r.Sheet, -1)
			})
		if err != nil && !errors.Is(err, shop.ErrNotFound) {
			return err
		}
		s.log.Info("sheetsync: a product's row was deleted in the sheet; the product is marked 已删除", "code", r.Entity)
	}
	return nil
}

// applyProductRecords applies what members changed in these rows of 商品.
func (s *Syncer) applyProductRecords(ctx context.Context, recs []smartsheet.Record) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	rows, err := s.st.SheetRowsByRecord(ctx, ids)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		cur := productsTable.read(rec)
		r, ok := rows[rec.ID]
		if !ok || r.Topic != store.TopicProducts {
			if err := s.linkOrRegister(ctx, rec, cur); err != nil {
				return err
			}
			continue
		}
		if err := s.applyProductRow(ctx, rec, r, cur); err != nil && !errors.Is(err, shop.ErrNotFound) {
			return err
		}
	}
	return nil
}

// applyProductRow compares a row with what the app last wrote (and what it is writing): a cell
// equal to either is the app's own; any other is a member's edit.
func (s *Syncer) applyProductRow(ctx context.Context, rec smartsheet.Record, r store.SheetRow, cur snapshot) error {
	pushed, pushing := parseSnapshot(r.Pushed), parseSnapshot(r.Pushing)
	var e shop.SheetEdit
	changed := false
	for title, v := range cur {
		if v == pushed[title] {
			continue
		}
		if w, ok := pushing[title]; ok && v == w {
			continue
		}
		changed = true
		setEdit(&e, title, v, pushed, pushing)
	}
	if !changed {
		return nil
	}
	_, move, err := s.shop.ApplySheetEdit(ctx, editor(rec), r.Entity, e, func(ctx context.Context, tx shop.Tx, p *shop.Product) error {
		st := tx.(*store.Tx)
		r.Pushed = pushed.merge(cur).String() // what the sheet holds now; the store's values differing from it are written back
		if err := st.SaveSheetRow(ctx, r); err != nil {
			return err
		}
		return st.Enqueue(ctx, store.TopicProducts, r.Entity)
	})
	if move != nil {
		s.log.Info("sheetsync: 库存 changed in the sheet", "code", r.Entity, "qty", move.Qty, "by", move.Actor)
	}
	return err
}

// setEdit records a member's value of one column in e.
func setEdit(e *shop.SheetEdit, title, v string, pushed, pushing snapshot) {
	str := func() *string { return &v }
	cents := func() *shop.Money {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		m := shop.Yuan(f)
		return &m
	}
	switch title {
	case colName:
		e.Name = str()
	case colBrand:
		e.Brand = str()
	case colModel:
		e.Model = str()
	case colColor:
		e.Color = str()
	case colLocation:
		e.Location = str()
	case colPrice:
		e.Price = cents()
	case colFloor:
		e.Floor = cents()
	case colCost:
		e.Cost = cents()
	case colStatus:
		st := shop.Status(v)
		e.Status = &st
	case colPhoto:
		e.PhotoURL = str()
	case colStock:
		to, err := strconv.Atoi(v)
		from := pushed[colStock]
		if w, ok := pushing[colStock]; ok {
			from = w // the newer value the app was writing
		}
		was, ferr := strconv.Atoi(from)
		if err == nil && ferr == nil && to >= 0 {
			e.StockFrom, e.StockTo = &was, &to
		}
	}
	// 产品编码 and the times are the app's: the store's values are written back.
}

// editor is who changed a row, as the sheet tells (its last editor's name).
func editor(rec smartsheet.Record) shop.Actor {
	name := strings.TrimSpace(rec.UpdaterName)
	if name == "" {
		name = "表格"
	}
	return shop.Actor{UserID: name, Name: name}
}

// linkOrRegister handles a row of 商品 the store has no record of: the app's own row whose add was
// not confirmed (its code is known: the row is linked), or a row a member added (a new product,
// once it has a name and a price; the app writes its code and status back).
func (s *Syncer) linkOrRegister(ctx context.Context, rec smartsheet.Record, cur snapshot) error {
	code := shop.NormalizeCode(cur[colCode])
	if code != "" {
		_, err := s.st.Product(ctx, code)
		if err == nil {
			known, err := s.st.SheetRows(ctx, store.TopicProducts, []string{code})
			if err != nil {
				return err
			}
			r := known[code]
			if r.RecordID != "" && r.RecordID != rec.ID {
				s.log.Warn("sheetsync: a second row of 商品 has an existing code; it is left alone", "code", code, "record", rec.ID)
				return nil
			}
			r = store.SheetRow{Topic: store.TopicProducts, Entity: code, Sheet: store.TopicProducts, RecordID: rec.ID, Pushed: cur.String()}
			return s.st.WriteTx(ctx, func(tx *store.Tx) error {
				if err := tx.SaveSheetRow(ctx, r); err != nil {
					return err
				}
				return tx.Enqueue(ctx, store.TopicProducts, code)
			})
		}
		if !errors.Is(err, shop.ErrNotFound) {
			return err
		}
	}
	price, _ := strconv.ParseFloat(cur[colPrice], 64)
	if cur[colName] == "" || price <= 0 {
		return nil // not filled in yet: a later update_record brings it back
	}
	stock, _ := strconv.Atoi(cur[colStock])
	floor, _ := strconv.ParseFloat(cur[colFloor], 64)
	cost, _ := strconv.ParseFloat(cur[colCost], 64)
	in := shop.NewProduct{Code: code, Name: cur[colName], Brand: cur[colBrand], Model: cur[colModel], Color: cur[colColor],
		Price: shop.Yuan(price), Floor: shop.Yuan(floor), Cost: shop.Yuan(cost), Stock: max(stock, 0),
		Location: cur[colLocation], PhotoURL: cur[colPhoto], RequestID: "sheet-" + rec.ID}
	p, err := s.shop.RegisterWith(ctx, editor(rec), in, func(ctx context.Context, tx shop.Tx, p *shop.Product) error {
		return tx.(*store.Tx).SaveSheetRow(ctx, store.SheetRow{Topic: store.TopicProducts, Entity: p.Code,
			Sheet: store.TopicProducts, RecordID: rec.ID, Pushed: cur.String()})
	})
	if errors.Is(err, shop.ErrInvalid) || errors.Is(err, shop.ErrCodeTaken) {
		s.log.Info("sheetsync: a row added in the sheet is not a valid product yet", "record", rec.ID, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("register a row added in the sheet: %w", err)
	}
	s.log.Info("sheetsync: a product was added in the sheet", "code", p.Code, "by", rec.UpdaterName)
	return nil
}
