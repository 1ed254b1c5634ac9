package sheetsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
	"github.com/qiwei-go/qiwei/smartsheet"
	"github.com/qiwei-go/qiwei/wecom"
)

// claim is a batch of outbox rows: distinct entities, with every queued row of each.
type claim struct {
	entities []string
	seqs     map[string][]int64
	full     map[string]bool
	attempts int // most attempts of any row
}

func (c *claim) seqsOf(entities []string) []int64 {
	var out []int64
	for _, e := range entities {
		out = append(out, c.seqs[e]...)
	}
	return out
}

// push writes the table's due outbox rows, batch after batch.
func (s *Syncer) push(ctx context.Context, t *table, force bool) error {
	for {
		now := s.o.Now()
		if !force {
			n, oldest, err := s.st.Due(ctx, t.topic, now, s.o.Batch)
			if err != nil {
				return err
			}
			if n == 0 || (n < s.o.Batch && now.Sub(oldest) < s.o.MaxDelay) {
				return nil
			}
		}
		items, err := s.st.Outbox(ctx, t.topic, now, 4*s.o.Batch)
		if err != nil || len(items) == 0 {
			return err
		}
		c := &claim{seqs: map[string][]int64{}, full: map[string]bool{}}
		for _, it := range items {
			if _, ok := c.seqs[it.Entity]; !ok {
				if len(c.entities) == s.o.Batch {
					continue
				}
				c.entities = append(c.entities, it.Entity)
			}
			c.seqs[it.Entity] = append(c.seqs[it.Entity], it.Seq)
			c.full[it.Entity] = c.full[it.Entity] || it.Full
			c.attempts = max(c.attempts, it.Attempts)
		}
		if err := s.deliver(ctx, t, c); err != nil {
			return err
		}
	}
}

// deliver writes one claim; a batch that WeCom refuses for its content is split until the bad row
// is alone, so that one bad row never holds up the others.
func (s *Syncer) deliver(ctx context.Context, t *table, c *claim) error {
	var err error
	if !t.yearly {
		err = s.pushKeyed(ctx, t, c)
	} else {
		err = s.pushRows(ctx, t, c)
	}
	if err == nil {
		return nil
	}
	if len(c.entities) > 1 && permanent(err) {
		half := len(c.entities) / 2
		for _, part := range [][]string{c.entities[:half], c.entities[half:]} {
			sub := &claim{entities: part, seqs: c.seqs, full: c.full, attempts: c.attempts}
			if err := s.deliver(ctx, t, sub); err != nil && !permanent(err) {
				return err
			}
		}
		return nil
	}
	seqs := c.seqsOf(c.entities)
	next := s.o.Now().Add(s.backoff(c.attempts))
	s.log.Warn("sheetsync: writing to the smart sheet failed; will retry", "table", t.topic, "rows", len(c.entities),
		"retry_in", time.Until(next).Round(time.Second), "err", err)
	if rerr := s.st.WriteTx(ctx, func(tx *store.Tx) error { return tx.OutboxRetry(ctx, seqs, next, err.Error()) }); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// permanent reports whether WeCom refused the call for its content (an errcode other than a rate
// limit, a busy system or a version conflict): sending it again unchanged fails again.
func permanent(err error) bool {
	var ae *wecom.APIError
	if !errors.As(err, &ae) || wecom.IsRateLimited(err) || smartsheet.MayHaveApplied(err) {
		return false
	}
	return ae.Code != -1 && ae.Code != 6000 && ae.Code != 42001 && ae.Code != 40014
}

// pushRows adds ledger or sales rows (append-only tables) to their yearly sub-sheets.
func (s *Syncer) pushRows(ctx context.Context, t *table, c *claim) error {
	known, err := s.st.SheetRows(ctx, t.topic, c.entities)
	if err != nil {
		return err
	}
	var done, todo []string
	for _, e := range c.entities {
		if known[e].RecordID != "" {
			done = append(done, e) // already in the sheet (queued twice)
		} else {
			todo = append(todo, e)
		}
	}
	found, err := s.resolveMaybe(ctx, t, known, todo)
	if err != nil {
		return err
	}
	if err := s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for e, r := range found {
			if err := tx.SaveSheetRow(ctx, r); err != nil {
				return err
			}
			done = append(done, e)
		}
		return tx.OutboxDone(ctx, c.seqsOf(done))
	}); err != nil {
		return err
	}
	rows, err := s.loadRows(ctx, t, todo, found)
	if err != nil {
		return err
	}
	for _, g := range rows {
		if err := s.addGroup(ctx, t, c, g); err != nil {
			return err
		}
	}
	return nil
}

// rowGroup is rows of one year, in the store's order.
type rowGroup struct {
	year     int
	entities []string
	cells    []cells
}

// loadRows reads the rows to add and groups them by year (a row's time in China Standard Time).
func (s *Syncer) loadRows(ctx context.Context, t *table, ids []string, skip map[string]store.SheetRow) ([]*rowGroup, error) {
	var rest []string
	for _, id := range ids {
		if _, ok := skip[id]; !ok {
			rest = append(rest, id)
		}
	}
	groups := map[int]*rowGroup{}
	var order []*rowGroup
	add := func(id string, at time.Time, c cells) {
		y := at.In(s.o.Location).Year()
		g := groups[y]
		if g == nil {
			g = &rowGroup{year: y}
			groups[y] = g
			order = append(order, g)
		}
		g.entities, g.cells = append(g.entities, id), append(g.cells, c)
	}
	who, _, err := s.st.Members(ctx)
	if err != nil {
		return nil, err
	}
	if t == ledgerTable {
		ms, err := s.st.MovementsByID(ctx, rest)
		if err != nil {
			return nil, err
		}
		var sids []int64
		for _, m := range ms {
			if m.SupplierID != 0 {
				sids = append(sids, m.SupplierID)
			}
		}
		sups, err := s.st.SuppliersByID(ctx, sids)
		if err != nil {
			return nil, err
		}
		for _, id := range rest {
			if m, ok := ms[id]; ok {
				sup := ""
				if x := sups[m.SupplierID]; x != nil {
					sup = x.Name
				}
				add(id, m.At, moveCells(&m, who, sup))
			}
		}
		return order, nil
	}
	xs, err := s.st.SalesByID(ctx, rest)
	if err != nil {
		return nil, err
	}
	var cids []int64
	for _, x := range xs {
		if x.CustomerID != 0 {
			cids = append(cids, x.CustomerID)
		}
	}
	cus, err := s.st.CustomersByID(ctx, cids)
	if err != nil {
		return nil, err
	}
	for _, id := range rest {
		if x, ok := xs[id]; ok {
			name := ""
			if c := cus[x.CustomerID]; c != nil {
				name = c.Name
			}
			add(id, x.At, saleCells(&x, who, name))
		}
	}
	return order, nil
}

// addGroup adds one year's rows: it marks them "maybe added" first, so that after a crash or a lost
// answer they are looked up before being sent again.
func (s *Syncer) addGroup(ctx context.Context, t *table, c *claim, g *rowGroup) error {
	sh, err := s.sheetFor(ctx, t, g.year, len(g.entities))
	if err != nil {
		return err
	}
	if err := s.mark(ctx, t, sh, g.entities, true); err != nil {
		return err
	}
	recs := make([]smartsheet.Record, len(g.cells))
	for i, cl := range g.cells {
		recs[i] = smartsheet.Record{Values: cl}
	}
	s.called(t.topic + ":add")
	added, err := s.ss.AddRecords(ctx, s.docID, sh.SheetID, recs)
	if err != nil {
		if !smartsheet.MayHaveApplied(err) {
			_ = s.mark(ctx, t, sh, g.entities, false)
		}
		return fmt.Errorf("add %d rows to %s: %w", len(recs), sh.Title, err)
	}
	return s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for i, e := range g.entities {
			if err := tx.SaveSheetRow(ctx, store.SheetRow{Topic: t.topic, Entity: e, Sheet: sh.Name, RecordID: added[i].ID}); err != nil {
				return err
			}
		}
		if err := tx.AddSheetRows(ctx, sh.Name, len(g.entities)); err != nil {
			return err
		}
		return tx.OutboxDone(ctx, c.seqsOf(g.entities))
	})
}

// mark sets or clears the "maybe added" flag of rows about to be added to sh.
func (s *Syncer) mark(ctx context.Context, t *table, sh store.Sheet, entities []string, maybe bool) error {
	return s.st.WriteTx(ctx, func(tx *store.Tx) error {
		for _, e := range entities {
			if err := tx.SaveSheetRow(ctx, store.SheetRow{Topic: t.topic, Entity: e, Sheet: sh.Name, Maybe: maybe}); err != nil {
				return err
			}
		}
		return nil
	})
}

// resolveMaybe looks up, by key, the rows whose add may have been applied without its answer. It
// returns the rows found in the sheet, with their record ids.
func (s *Syncer) resolveMaybe(ctx context.Context, t *table, known map[string]store.SheetRow, entities []string) (map[string]store.SheetRow, error) {
	bySheet := map[string][]string{}
	for _, e := range entities {
		if r := known[e]; r.Maybe && r.Sheet != "" {
			bySheet[r.Sheet] = append(bySheet[r.Sheet], e)
		}
	}
	found := map[string]store.SheetRow{}
	if len(bySheet) == 0 {
		return found, nil
	}
	sheets, err := s.st.Sheets(ctx)
	if err != nil {
		return nil, err
	}
	for _, sh := range sheets {
		keys := bySheet[sh.Name]
		if len(keys) == 0 {
			continue
		}
		ids, err := s.lookup(ctx, t, sh.SheetID, keys)
		if err != nil {
			return nil, err
		}
		for k, id := range ids {
			r := known[k]
			r.RecordID, r.Maybe = id, false
			found[k] = r
		}
		if len(ids) > 0 {
			s.log.Info("sheetsync: rows whose add was unconfirmed are in the sheet", "sheet", sh.Title, "rows", len(ids))
		}
	}
	return found, nil
}

// lookup finds records by key: key → record id. A few keys are looked up with filters, many with
// one read of the key column.
func (s *Syncer) lookup(ctx context.Context, t *table, sheetID string, keys []string) (map[string]string, error) {
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	found := map[string]string{}
	scan := func(q *smartsheet.Query) error {
		for rec, err := range s.ss.Records(ctx, s.docID, sheetID, q) {
			if err != nil {
				return err
			}
			if k := rec.Values[t.key].String(); want[k] && found[k] == "" {
				found[k] = rec.ID
			}
		}
		return nil
	}
	if len(keys) > 100 {
		return found, scan(&smartsheet.Query{Fields: []string{t.key}})
	}
	for len(keys) > 0 {
		n := min(len(keys), 20)
		fs := make([]smartsheet.Filter, n)
		for i, k := range keys[:n] {
			fs[i] = smartsheet.Where(t.key, smartsheet.Is, k)
		}
		if err := scan(&smartsheet.Query{Fields: []string{t.key}, Filter: smartsheet.Or(fs...)}); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return found, nil
}
