package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// ChangeType values of the smart_sheet_change event, as WeCom spells them (fields: "filed").
const (
	changeAddRecord    = "add_record"
	changeUpdateRecord = "update_record"
	changeDeleteRecord = "delete_record"
	changeAddField     = "add_filed"
	changeUpdateField  = "update_filed"
	changeDeleteField  = "delete_filed"
)

// maxChangeIDs is how many RecordId or FieldId one smart_sheet_change callback carries at most; more
// come in further callbacks (记录变更事件: "RecordId一次最多回调1000个,超过会分批回调").
const maxChangeIDs = 1000

// MemberEdit is one record changed by a member: Values are keyed by field title, each cell value in the
// same JSON shape update_records accepts (e.g. []any{map[string]any{"type":"text","text":"x"}} or 1299.0).
type MemberEdit struct {
	RecordID string         `json:"record_id"`
	Values   map[string]any `json:"values"`
}

// EditRecordsAsMember applies edits as member userID to a sheet (sheet = sheet_id or sheet title) of docID,
// as if edited in the WeCom client (records' update time and updater change), then delivers the
// smart_sheet_change event (ChangeType update_record, one <RecordId> per record, at most 1,000 per callback,
// more in further callbacks) to the callback of the app that created the document, signed and encrypted,
// with the fake's WeCom retry rules. The edit stays applied even when delivery fails; the error says so
// (a *DeliveryError).
//
// The edit itself is all or nothing: an unknown member, document, sheet, record or field, a read-only
// field or a value of the wrong shape changes nothing. Document permissions are not modelled: any
// member of the corp may edit. Only cells listed in Values change; null, "" or [] clears one.
//
// WeCom event: https://developer.work.weixin.qq.com/document/path/101019 (记录变更事件)
func (h *Handler) EditRecordsAsMember(ctx context.Context, userID, docID, sheet string, edits []MemberEdit) error {
	if len(edits) == 0 {
		return memberErr(invalid("no records to edit"))
	}
	h.mu.Lock()
	m, d, s, err := h.memberTarget(userID, docID, sheet)
	if err != nil {
		h.unlock()
		return memberErr(err)
	}
	ids := make([]string, len(edits))
	vals := make([]map[string]any, len(edits))
	for i, e := range edits {
		ids[i], vals[i] = e.RecordID, e.Values
	}
	_, _, err = h.changeRecords(d, s, keyer{s: s}, ids, vals, memberActor(m))
	owner, sheetID := d.Owner, s.ID
	h.unlock()
	if err != nil {
		return memberErr(err)
	}
	return h.deliverChange(ctx, owner, userID, changeUpdateRecord, docID, sheetID, "RecordId", unique(ids))
}

// DeleteRecordsAsMember deletes records as a member and delivers ChangeType delete_record the same way.
func (h *Handler) DeleteRecordsAsMember(ctx context.Context, userID, docID, sheet string, recordIDs []string) error {
	if len(recordIDs) == 0 {
		return memberErr(invalid("no records to delete"))
	}
	h.mu.Lock()
	_, d, s, err := h.memberTarget(userID, docID, sheet)
	if err == nil {
		err = h.removeRecords(d, s, recordIDs)
	}
	owner, sheetID := d.ownerOrZero(), s.idOrEmpty()
	h.unlock()
	if err != nil {
		return memberErr(err)
	}
	return h.deliverChange(ctx, owner, userID, changeDeleteRecord, docID, sheetID, "RecordId", unique(recordIDs))
}

// AddRecordsAsMember adds records as a member (returns their new record ids) and delivers add_record.
// values are keyed by field title like MemberEdit.Values; an empty map adds an empty row. The ids are
// returned even when the delivery fails (the rows exist).
func (h *Handler) AddRecordsAsMember(ctx context.Context, userID, docID, sheet string, values []map[string]any) ([]string, error) {
	if len(values) == 0 {
		return nil, memberErr(invalid("no records to add"))
	}
	h.mu.Lock()
	m, d, s, err := h.memberTarget(userID, docID, sheet)
	if err != nil {
		h.unlock()
		return nil, memberErr(err)
	}
	recs, _, err := h.insertRecords(d, s, keyer{s: s}, values, memberActor(m))
	owner, sheetID := d.Owner, s.ID
	h.unlock()
	if err != nil {
		return nil, memberErr(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids, h.deliverChange(ctx, owner, userID, changeAddRecord, docID, sheetID, "RecordId", ids)
}

// AddFieldAsMember adds a column as a member (its id is returned) and delivers ChangeType add_filed
// with its FieldId. fieldType is a FIELD_TYPE_… value add_fields accepts; the column gets the
// client's default properties.
//
// WeCom event: https://developer.work.weixin.qq.com/document/path/101016 (字段变更事件)
func (h *Handler) AddFieldAsMember(ctx context.Context, userID, docID, sheet, title, fieldType string) (string, error) {
	k, known := fieldKinds[fieldType]
	switch {
	case !known || k.noCreate:
		return "", memberErr(invalid("invalid field_type %q", fieldType))
	case title == "" || utf8.RuneCountInString(title) > 255:
		return "", memberErr(invalid("field title must be 1…255 characters"))
	}
	h.mu.Lock()
	_, d, s, err := h.memberTarget(userID, docID, sheet)
	switch {
	case err != nil:
	case len(s.Fields) >= maxFields:
		err = invalid("too many fields: a sheet has at most %d", maxFields)
	case s.fieldByTitle(title) != nil:
		err = invalid("field title %q already exists", title)
	}
	var id string
	if err == nil {
		f := &ssField{ID: h.fieldID(s), Title: title, Type: fieldType}
		s.Fields = append(s.Fields, f)
		id = f.ID
		h.touch(d, s)
	}
	owner, sheetID := d.ownerOrZero(), s.idOrEmpty()
	h.unlock()
	if err != nil {
		return "", memberErr(err)
	}
	return id, h.deliverChange(ctx, owner, userID, changeAddField, docID, sheetID, "FieldId", []string{id})
}

// RenameFieldAsMember renames a column (field = field id or current title) as a member and delivers
// ChangeType update_filed.
func (h *Handler) RenameFieldAsMember(ctx context.Context, userID, docID, sheet, field, title string) error {
	if title == "" || utf8.RuneCountInString(title) > 255 {
		return memberErr(invalid("field title must be 1…255 characters"))
	}
	h.mu.Lock()
	_, d, s, err := h.memberTarget(userID, docID, sheet)
	var f *ssField
	if err == nil {
		f, err = s.fieldByKey(field)
	}
	if err == nil && f.Title != title && s.fieldByTitle(title) != nil {
		err = invalid("field title %q already exists", title)
	}
	var id string
	if err == nil {
		f.Title, id = title, f.ID
		h.touch(d, s)
	}
	owner, sheetID := d.ownerOrZero(), s.idOrEmpty()
	h.unlock()
	if err != nil {
		return memberErr(err)
	}
	return h.deliverChange(ctx, owner, userID, changeUpdateField, docID, sheetID, "FieldId", []string{id})
}

// DeleteFieldsAsMember deletes columns (ids or titles) and their cells as a member and delivers
// ChangeType delete_filed. A sheet keeps at least one column.
func (h *Handler) DeleteFieldsAsMember(ctx context.Context, userID, docID, sheet string, fields []string) error {
	if len(fields) == 0 {
		return memberErr(invalid("no fields to delete"))
	}
	h.mu.Lock()
	_, d, s, err := h.memberTarget(userID, docID, sheet)
	var ids []string
	for _, key := range fields {
		if err != nil {
			break
		}
		var f *ssField
		if f, err = s.fieldByKey(key); err == nil {
			ids = append(ids, f.ID)
		}
	}
	if err == nil {
		var gone map[string]bool
		if gone, err = deletable(ids, s.Fields, func(f *ssField) string { return f.ID }, "field"); err == nil {
			s.Fields = slices.DeleteFunc(s.Fields, func(f *ssField) bool { return gone[f.ID] })
			s.dropFields(gone)
			h.touch(d, s)
		}
	}
	owner, sheetID := d.ownerOrZero(), s.idOrEmpty()
	h.unlock()
	if err != nil {
		return memberErr(err)
	}
	return h.deliverChange(ctx, owner, userID, changeDeleteField, docID, sheetID, "FieldId", unique(ids))
}

func memberActor(m *Member) actor {
	name := m.Name
	if name == "" {
		name = m.UserID
	}
	return actor{name: name, userID: m.UserID}
}

// memberErr is the error of a member change that was refused (nothing changed).
func memberErr(err error) error { return fmt.Errorf("wecomtest: member change refused: %w", err) }

// memberTarget resolves a member change: the member, the smart-sheet document (whichever app made it)
// and the sheet, by id or else by title. h.mu must be held.
func (h *Handler) memberTarget(userID, docID, sheet string) (*Member, *ssDoc, *ssSheet, error) {
	m := h.member(userID)
	if m == nil {
		return nil, nil, nil, errf(codeUserNotFound, "userid %q is not a member of the corp", userID)
	}
	d := h.st.Docs[docID]
	if d == nil {
		return nil, nil, nil, errf(codeFileNotExist, "file not exist: docid %s", docID)
	}
	if d.DocType != docTypeSmartsheet {
		return nil, nil, nil, invalid("doc %s is not a smart sheet (doc_type %d)", docID, d.DocType)
	}
	s := d.sheetByID(sheet)
	if s == nil {
		for _, x := range d.Sheets {
			if x.Title == sheet {
				s = x
				break
			}
		}
	}
	if s == nil {
		return nil, nil, nil, invalid("no sheet with id or title %q", sheet)
	}
	return m, d, s, nil
}

func (d *ssDoc) ownerOrZero() int64 {
	if d == nil {
		return 0
	}
	return d.Owner
}

func (s *ssSheet) idOrEmpty() string {
	if s == nil {
		return ""
	}
	return s.ID
}

// fieldByKey finds a field by id, else by title.
func (s *ssSheet) fieldByKey(key string) (*ssField, error) {
	if f := s.fieldByID(key); f != nil {
		return f, nil
	}
	if f := s.fieldByTitle(key); f != nil {
		return f, nil
	}
	return nil, invalid("no field with id or title %q", key)
}

func unique(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// deliverChange sends the smart_sheet_change events of a member's change, applied already, to the
// callback of the app that created the document: one callback per 1,000 ids, each with WeCom's retry
// rule (SendMessage). It returns the first failure, saying that the change is applied.
func (h *Handler) deliverChange(ctx context.Context, owner int64, from, changeType, docID, sheetID, idTag string, ids []string) error {
	h.mu.Lock()
	cb := h.cb.apps[owner]
	h.unlock()
	if cb == nil {
		return fmt.Errorf("wecomtest: %s applied, but app %d has no callback for smart_sheet_change: %w", changeType, owner, ErrNoCallback)
	}
	var first error
	for lo := 0; lo < len(ids); lo += maxChangeIDs {
		plain := h.changeXML(from, changeType, docID, sheetID, idTag, ids[lo:min(lo+maxChangeIDs, len(ids))])
		// The app's reply does not matter for this event: a reply that is not a valid encrypted
		// envelope (ErrBadReply) still means the event was received with HTTP 200.
		if _, err := h.deliver(ctx, cb, h.cfg.corpID, owner, "", plain); err != nil && !errors.Is(err, ErrBadReply) && first == nil {
			first = fmt.Errorf("wecomtest: %s applied, but its smart_sheet_change was not delivered: %w", changeType, err)
		}
	}
	return first
}

// changeXML renders a smart_sheet_change event as the 记录变更事件 / 字段变更事件 pages show it: ToUserName
// the corp id, FromUserName the member's userid, and one RecordId (or FieldId) element per id.
func (h *Handler) changeXML(from, changeType, docID, sheetID, idTag string, ids []string) []byte {
	var x xmlBuilder
	x.b.WriteString("<xml>")
	x.text("ToUserName", h.cfg.corpID)
	x.text("FromUserName", from)
	x.num("CreateTime", h.now().Unix())
	x.text("MsgType", "event")
	x.text("Event", "smart_sheet_change")
	x.text("ChangeType", changeType)
	x.text("DocId", docID)
	x.text("SheetId", sheetID)
	for _, id := range ids {
		x.text(idTag, id)
	}
	x.b.WriteString("</xml>")
	return []byte(x.b.String())
}

// isDelivery reports whether err is a delivery failure of an applied change (rather than a refusal).
func isDelivery(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) || errors.Is(err, ErrNoCallback)
}
