package wecomtest

import (
	"bytes"
	"encoding/base64"
	"image"
	_ "image/gif" // image_upload accepts GIF, JPEG and PNG
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Document types (doc_type).
const (
	docTypeDoc        = 3
	docTypeSheet      = 4
	docTypeSmartsheet = 10
)

// Defaults of a new smart-sheet document (create_doc): one sub-sheet with one text column and one grid
// view, as a document created in the WeCom client has. The column's title is the fake's choice.
// add_sheet, by contrast, makes a sub-sheet without fields and views (添加子表).
const (
	defaultSheetTitle = "智能表"
	defaultFieldTitle = "智能表列"
	defaultViewTitle  = "表格视图"
)

type ssDoc struct {
	DocID      string         `json:"docid"`
	Name       string         `json:"doc_name"`
	DocType    int            `json:"doc_type"`
	Owner      int64          `json:"owner_agentid"` // the app that created it; others get 851003
	CreateTime int64          `json:"create_time"`   // Unix seconds
	ModifyTime int64          `json:"modify_time"`
	Members    map[string]int `json:"members,omitempty"` // userid → auth (1 read, 2 read/write, 7 admin)
	Sheets     []*ssSheet     `json:"sheets,omitempty"`
}

type docReq struct {
	DocID string `json:"docid"`
}

// doc finds a document the calling app may use. h.mu must be held.
func (h *Handler) doc(c *caller, docID string) (*ssDoc, error) {
	if docID == "" {
		return nil, invalid("docid missing")
	}
	d := h.st.Docs[docID]
	if d == nil {
		return nil, errf(codeFileNotExist, "file not exist: docid %s", docID)
	}
	if c.app == nil || d.Owner != c.app.AgentID {
		return nil, errf(codeNoAuthority, "no authority: the doc was not created by this app")
	}
	return d, nil
}

// smartDoc finds a smart sheet document. h.mu must be held.
func (h *Handler) smartDoc(c *caller, docID string) (*ssDoc, error) {
	d, err := h.doc(c, docID)
	if err == nil && d.DocType != docTypeSmartsheet {
		err = invalid("doc %s is not a smart sheet (doc_type %d)", docID, d.DocType)
	}
	return d, err
}

// sheet finds a sub-sheet of a smart sheet document. h.mu must be held.
func (h *Handler) sheet(c *caller, docID, sheetID string) (*ssDoc, *ssSheet, error) {
	d, err := h.smartDoc(c, docID)
	if err != nil {
		return nil, nil, err
	}
	if sheetID == "" {
		return nil, nil, invalid("sheet_id missing")
	}
	for _, s := range d.Sheets {
		if s.ID == sheetID {
			return d, s, nil
		}
	}
	return nil, nil, invalid("invalid sheet_id %s", sheetID)
}

// touch records a write: the doc's modify time, the sheet's data version, the state file.
func (h *Handler) touch(d *ssDoc, s *ssSheet) {
	d.ModifyTime = h.now().Unix()
	if s != nil {
		s.Ver++
	}
	h.markDoc(d.DocID)
}

// newSheet builds an empty sub-sheet: no fields, no views, no records. h.mu must be held.
func (h *Handler) newSheet(d *ssDoc, title string) *ssSheet {
	s := &ssSheet{ID: h.uniqueID("", 6, func(id string) bool { return d.sheetByID(id) != nil }), Title: title,
		Fields: []*ssField{}, Views: []*ssView{}}
	s.reindex()
	return s
}

func (d *ssDoc) sheetByID(id string) *ssSheet {
	for _, s := range d.Sheets {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func (d *ssDoc) sheetTitleTaken(title string, except *ssSheet) bool {
	for _, s := range d.Sheets {
		if s != except && s.Title == title {
			return true
		}
	}
	return false
}

// uniqueID returns prefix + n random characters that exists does not know. h.mu must be held.
func (h *Handler) uniqueID(prefix string, n int, exists func(string) bool) string {
	for {
		id := prefix + h.randString(idAlphabet, n)
		if !exists(id) {
			return id
		}
	}
}

type createDocReq struct {
	SpaceID    string   `json:"spaceid"`
	FatherID   string   `json:"fatherid"`
	DocType    int      `json:"doc_type"`
	DocName    string   `json:"doc_name"`
	AdminUsers []string `json:"admin_users"`
}

type createDocResp struct {
	base
	URL   string `json:"url"`
	DocID string `json:"docid"`
}

// createDoc serves wedoc/create_doc (新建文档). A smart sheet (doc_type 10) starts with one sub-sheet.
func (h *Handler) createDoc(r *http.Request, c *caller) (any, error) {
	var req createDocReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	switch {
	case req.DocType != docTypeDoc && req.DocType != docTypeSheet && req.DocType != docTypeSmartsheet:
		return nil, invalid("invalid doc_type %d: want 3, 4 or 10", req.DocType)
	case req.DocName == "" || utf8.RuneCountInString(req.DocName) > 255:
		return nil, invalid("doc_name must be 1…255 characters")
	}
	for _, u := range req.AdminUsers {
		if h.member(u) == nil {
			return nil, errf(40003, "invalid userid %s in admin_users", u)
		}
	}
	h.mu.Lock()
	defer h.unlock()
	now := h.now().Unix()
	d := &ssDoc{
		DocID: h.uniqueID("dc", 40, func(id string) bool { return h.st.Docs[id] != nil }),
		Name:  req.DocName, DocType: req.DocType, Owner: c.app.AgentID, CreateTime: now, ModifyTime: now,
		Members: map[string]int{},
	}
	for _, u := range req.AdminUsers {
		d.Members[u] = 7
	}
	if d.DocType == docTypeSmartsheet {
		s := h.newSheet(d, defaultSheetTitle)
		s.Fields = []*ssField{{ID: h.fieldID(s), Title: defaultFieldTitle, Type: "FIELD_TYPE_TEXT"}}
		s.Views = []*ssView{{ID: h.viewID(s), Title: defaultViewTitle, Type: "VIEW_TYPE_GRID"}}
		d.Sheets = []*ssSheet{s}
	}
	h.st.Docs[d.DocID] = d
	h.markDoc(d.DocID)
	return createDocResp{base: ok, URL: h.baseURL(r) + "/wecomtest/doc/" + d.DocID, DocID: d.DocID}, nil
}

// renameDoc serves wedoc/rename_doc (重命名文档).
func (h *Handler) renameDoc(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID   string `json:"docid"`
		NewName string `json:"new_name"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if req.NewName == "" || utf8.RuneCountInString(req.NewName) > 255 {
		return nil, invalid("new_name must be 1…255 characters")
	}
	h.mu.Lock()
	defer h.unlock()
	d, err := h.doc(c, req.DocID)
	if err != nil {
		return nil, err
	}
	d.Name = req.NewName
	h.touch(d, nil)
	return ok, nil
}

// delDoc serves wedoc/del_doc (删除文档).
func (h *Handler) delDoc(r *http.Request, c *caller) (any, error) {
	var req docReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	if _, err := h.doc(c, req.DocID); err != nil {
		return nil, err
	}
	delete(h.st.Docs, req.DocID)
	h.markDoc(req.DocID)
	return ok, nil
}

type docBaseInfo struct {
	DocID      string `json:"docid"`
	DocName    string `json:"doc_name"`
	CreateTime int64  `json:"create_time"`
	ModifyTime int64  `json:"modify_time"`
	DocType    int    `json:"doc_type"`
}

// getDocBaseInfo serves wedoc/get_doc_base_info (获取文档基础信息).
func (h *Handler) getDocBaseInfo(r *http.Request, c *caller) (any, error) {
	var req docReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, err := h.doc(c, req.DocID)
	if err != nil {
		return nil, err
	}
	return struct {
		base
		Info docBaseInfo `json:"doc_base_info"`
	}{ok, docBaseInfo{d.DocID, d.Name, d.CreateTime, d.ModifyTime, d.DocType}}, nil
}

// docShare serves wedoc/doc_share (获取文档分享链接).
func (h *Handler) docShare(r *http.Request, c *caller) (any, error) {
	var req docReq
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	if _, err := h.doc(c, req.DocID); err != nil {
		return nil, err
	}
	return struct {
		base
		ShareURL string `json:"share_url"`
	}{ok, h.baseURL(r) + "/wecomtest/doc/" + req.DocID + "?share=1"}, nil
}

type docMember struct {
	Type   int    `json:"type"`
	Auth   int    `json:"auth"`
	UserID string `json:"userid"`
}

// modDocMember serves wedoc/mod_doc_member (修改文档通知范围及权限): type 1 (member) only; auth 1 read,
// 2 read/write (smart sheets only), 7 admin; at most 100 members per list.
func (h *Handler) modDocMember(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID  string      `json:"docid"`
		Update []docMember `json:"update_file_member_list"`
		Delete []docMember `json:"del_file_member_list"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	if len(req.Update) > 100 || len(req.Delete) > 100 {
		return nil, invalid("at most 100 members per list")
	}
	h.mu.Lock()
	defer h.unlock()
	d, err := h.doc(c, req.DocID)
	if err != nil {
		return nil, err
	}
	for _, m := range slices.Concat(req.Update, req.Delete) {
		if m.Type != 1 {
			return nil, invalid("member type %d not supported: want 1", m.Type)
		}
		if h.member(m.UserID) == nil {
			return nil, errf(40003, "invalid userid %s", m.UserID)
		}
	}
	for _, m := range req.Update {
		if m.Auth != 1 && m.Auth != 2 && m.Auth != 7 || m.Auth == 2 && d.DocType != docTypeSmartsheet {
			return nil, invalid("invalid auth %d for userid %s", m.Auth, m.UserID)
		}
	}
	if d.Members == nil {
		d.Members = map[string]int{}
	}
	for _, m := range req.Update {
		d.Members[m.UserID] = m.Auth
	}
	for _, m := range req.Delete {
		delete(d.Members, m.UserID)
	}
	h.touch(d, nil)
	return ok, nil
}

const maxImage = 10 << 20

// imageUpload serves wedoc/image_upload (上传文档图片): base64 content in JSON → a URL the fake serves
// itself, so images in IMAGE cells display.
func (h *Handler) imageUpload(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID   string `json:"docid"`
		Content string `json:"base64_content"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(req.Content)
	if err != nil || len(data) == 0 {
		return nil, invalid("base64_content is not valid base64")
	}
	if len(data) > maxImage {
		return nil, errf(codeInvalidImageSize, "invalid image size: %d bytes > %d", len(data), maxImage)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, invalid("base64_content is not a GIF, JPEG or PNG image")
	}
	h.mu.Lock()
	defer h.unlock()
	if _, err := h.doc(c, req.DocID); err != nil {
		return nil, err
	}
	f := h.storeImage(data, "image/"+format, "image."+format)
	return struct {
		base
		URL    string `json:"url"`
		Height int    `json:"height"`
		Width  int    `json:"width"`
		Size   int    `json:"size"`
	}{ok, h.fileURL(r, f), cfg.Height, cfg.Width, len(data)}, nil
}

// storeImage keeps a permanent image. h.mu must be held.
func (h *Handler) storeImage(data []byte, contentType, name string) *file {
	f := &file{ID: h.uniqueID("img", 24, func(id string) bool { return h.st.Files[id] != nil }),
		Kind: "image", Name: name, ContentType: contentType, Data: data, Created: h.now()}
	h.st.Files[f.ID] = f
	h.markFile(f.ID)
	return f
}

func (h *Handler) fileURL(r *http.Request, f *file) string {
	return h.baseURL(r) + "/wecomtest/files/" + f.ID
}

type sheetInfo struct {
	SheetID   string `json:"sheet_id"`
	Title     string `json:"title"`
	IsVisible bool   `json:"is_visible"`
	Type      string `json:"type"`
}

// getSheet serves smartsheet/get_sheet (查询子表). Only smart-sheet sub-sheets exist in the fake, so
// need_all_type_sheet changes nothing.
func (h *Handler) getSheet(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID   string `json:"docid"`
		SheetID string `json:"sheet_id"`
		NeedAll bool   `json:"need_all_type_sheet"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, err := h.smartDoc(c, req.DocID)
	if err != nil {
		return nil, err
	}
	list := []sheetInfo{}
	for _, s := range d.Sheets {
		if req.SheetID == "" || s.ID == req.SheetID {
			list = append(list, sheetInfo{s.ID, s.Title, true, "smartsheet"})
		}
	}
	if req.SheetID != "" && len(list) == 0 {
		return nil, invalid("invalid sheet_id %s", req.SheetID)
	}
	return struct {
		base
		SheetList []sheetInfo `json:"sheet_list"`
	}{ok, list}, nil
}

type sheetProps struct {
	SheetID string `json:"sheet_id,omitempty"`
	Title   string `json:"title"`
	Index   *int   `json:"index,omitempty"`
}

// addSheet serves smartsheet/add_sheet (添加子表). As documented, the new sub-sheet has no views, records
// or fields ("该智能表不存在视图、记录和字段"): the caller adds them.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99896
func (h *Handler) addSheet(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID string     `json:"docid"`
		Props sheetProps `json:"properties"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, err := h.smartDoc(c, req.DocID)
	if err != nil {
		return nil, err
	}
	title := req.Props.Title
	if title == "" {
		for n := len(d.Sheets) + 1; title == "" || d.sheetTitleTaken(title, nil); n++ {
			title = defaultSheetTitle + strconv.Itoa(n)
		}
	}
	if d.sheetTitleTaken(title, nil) {
		return nil, invalid("sheet title %q already exists", title)
	}
	idx := len(d.Sheets)
	if req.Props.Index != nil {
		idx = min(max(*req.Props.Index, 0), len(d.Sheets))
	}
	s := h.newSheet(d, title)
	d.Sheets = slices.Insert(d.Sheets, idx, s)
	h.touch(d, nil)
	return struct {
		base
		Props sheetProps `json:"properties"`
	}{ok, sheetProps{SheetID: s.ID, Title: title, Index: &idx}}, nil
}

// updateSheet serves smartsheet/update_sheet (更新子表): rename only.
func (h *Handler) updateSheet(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID string     `json:"docid"`
		Props sheetProps `json:"properties"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.Props.SheetID)
	if err != nil {
		return nil, err
	}
	if req.Props.Title == "" {
		return nil, invalid("title missing")
	}
	if d.sheetTitleTaken(req.Props.Title, s) {
		return nil, invalid("sheet title %q already exists", req.Props.Title)
	}
	s.Title = req.Props.Title
	h.touch(d, s)
	return ok, nil
}

// deleteSheet serves smartsheet/delete_sheet (删除子表).
func (h *Handler) deleteSheet(r *http.Request, c *caller) (any, error) {
	var req struct {
		DocID   string `json:"docid"`
		SheetID string `json:"sheet_id"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.unlock()
	d, s, err := h.sheet(c, req.DocID, req.SheetID)
	if err != nil {
		return nil, err
	}
	d.Sheets = slices.DeleteFunc(d.Sheets, func(x *ssSheet) bool { return x == s })
	h.touch(d, nil)
	return ok, nil
}
