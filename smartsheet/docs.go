package smartsheet

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// DocType is a document type (doc_type).
type DocType int

// Document types.
const (
	DocTypeDoc        DocType = 3  // 文档
	DocTypeSheet      DocType = 4  // 表格
	DocTypeSmartsheet DocType = 10 // 智能表格
)

// CreateDocRequest is the input to [Client.CreateDoc].
type CreateDocRequest struct {
	Name       string   // 1…255 characters
	Type       DocType  // default DocTypeSmartsheet
	SpaceID    string   // optional: the space; with FatherID empty the app's default location is used
	FatherID   string   // optional: parent folder fileid (the spaceid for the root)
	AdminUsers []string // userids made document admins, so people can manage it in the WeCom client
}

// Doc is a document created by [Client.CreateDoc]. Store ID: WeCom does not list an app's documents.
type Doc struct {
	ID  string `json:"docid"`
	URL string `json:"url"`
}

// CreateDoc creates a document (新建文档), a smart sheet by default. A new smart sheet has one
// sub-sheet (see [Client.Sheets]) with one default text column. A call that failed ambiguously (see
// [MayHaveApplied]) is not retried: it may have created the document.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/97658
func (c *Client) CreateDoc(ctx context.Context, req *CreateDocRequest) (*Doc, error) {
	if req == nil || req.Name == "" || utf8.RuneCountInString(req.Name) > 255 {
		return nil, invalidf("CreateDoc: the name must be 1…255 characters")
	}
	typ := req.Type
	if typ == 0 {
		typ = DocTypeSmartsheet
	}
	body := struct {
		SpaceID    string   `json:"spaceid,omitempty"`
		FatherID   string   `json:"fatherid,omitempty"`
		DocType    DocType  `json:"doc_type"`
		DocName    string   `json:"doc_name"`
		AdminUsers []string `json:"admin_users,omitempty"`
	}{req.SpaceID, req.FatherID, typ, req.Name, req.AdminUsers}
	var doc Doc
	if err := c.post(ctx, "create_doc", body, &doc, false); err != nil {
		return nil, err
	}
	return &doc, nil
}

// RenameDoc renames a document (重命名文档).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99894
func (c *Client) RenameDoc(ctx context.Context, docID, newName string) error {
	if docID == "" || newName == "" || utf8.RuneCountInString(newName) > 255 {
		return invalidf("RenameDoc: need a doc id and a name of 1…255 characters")
	}
	body := struct {
		DocID   string `json:"docid"`
		NewName string `json:"new_name"`
	}{docID, newName}
	return c.post(ctx, "rename_doc", body, nil, true)
}

// DeleteDoc deletes a document (删除文档).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99930
func (c *Client) DeleteDoc(ctx context.Context, docID string) error {
	if docID == "" {
		return invalidf("DeleteDoc: empty doc id")
	}
	return c.post(ctx, "del_doc", docBody{docID}, nil, false)
}

type docBody struct {
	DocID string `json:"docid"`
}

// DocInfo is a document's basic information.
type DocInfo struct {
	ID         string
	Name       string
	Type       DocType
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// DocInfo returns a document's basic information (获取文档基础信息).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/97734
func (c *Client) DocInfo(ctx context.Context, docID string) (*DocInfo, error) {
	if docID == "" {
		return nil, invalidf("DocInfo: empty doc id")
	}
	var resp struct {
		Info struct {
			DocID      string          `json:"docid"`
			DocName    string          `json:"doc_name"`
			CreateTime json.RawMessage `json:"create_time"`
			ModifyTime json.RawMessage `json:"modify_time"`
			DocType    DocType         `json:"doc_type"`
		} `json:"doc_base_info"`
	}
	if err := c.post(ctx, "get_doc_base_info", docBody{docID}, &resp, true); err != nil {
		return nil, err
	}
	in := resp.Info
	return &DocInfo{ID: in.DocID, Name: in.DocName, Type: in.DocType,
		CreatedAt: c.unixSeconds(in.CreateTime), ModifiedAt: c.unixSeconds(in.ModifyTime)}, nil
}

// unixSeconds reads Unix seconds given as a number or a string (zero time when absent or odd).
func (c *Client) unixSeconds(raw json.RawMessage) time.Time {
	f, ok := decodeNumber(raw)
	if !ok || f <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).In(c.loc)
}

// ShareURL returns a document's share link (获取文档分享链接).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/97733
func (c *Client) ShareURL(ctx context.Context, docID string) (string, error) {
	if docID == "" {
		return "", invalidf("ShareURL: empty doc id")
	}
	var resp struct {
		ShareURL string `json:"share_url"`
	}
	if err := c.post(ctx, "doc_share", docBody{docID}, &resp, true); err != nil {
		return "", err
	}
	return resp.ShareURL, nil
}

// DocAuth is a member's permission on a document.
type DocAuth int

// Document permissions.
const (
	AuthRead      DocAuth = 1 // 可查看
	AuthReadWrite DocAuth = 2 // 可编辑 (smart sheets only)
	AuthAdmin     DocAuth = 7 // 管理员
)

// DocMember is a member in [Client.ModDocMembers].
type DocMember struct {
	Type   int     `json:"type"` // 1 = a member (userid); the default
	Auth   DocAuth `json:"auth,omitempty"`
	UserID string  `json:"userid"`
}

// ModDocMembersRequest is the input to [Client.ModDocMembers]: at most 100 members per list.
type ModDocMembersRequest struct {
	Update []DocMember // add members or change their Auth
	Remove []DocMember // remove members (Auth is ignored)
}

// ModDocMembers changes who may open a document and how (修改文档通知范围及权限).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/101476
func (c *Client) ModDocMembers(ctx context.Context, docID string, req *ModDocMembersRequest) error {
	if docID == "" || req == nil || len(req.Update)+len(req.Remove) == 0 {
		return invalidf("ModDocMembers: need a doc id and members")
	}
	if len(req.Update) > 100 || len(req.Remove) > 100 {
		return invalidf("ModDocMembers: at most 100 members per list")
	}
	norm := func(ms []DocMember, keepAuth bool) ([]DocMember, error) {
		out := make([]DocMember, len(ms))
		for i, m := range ms {
			if m.UserID == "" {
				return nil, invalidf("ModDocMembers: member %d has no userid", i)
			}
			if m.Type == 0 {
				m.Type = 1
			}
			if !keepAuth {
				m.Auth = 0
			} else if m.Auth == 0 {
				return nil, invalidf("ModDocMembers: member %q has no Auth", m.UserID)
			}
			out[i] = m
		}
		return out, nil
	}
	upd, err := norm(req.Update, true)
	if err != nil {
		return err
	}
	del, err := norm(req.Remove, false)
	if err != nil {
		return err
	}
	body := struct {
		DocID  string      `json:"docid"`
		Update []DocMember `json:"update_file_member_list,omitempty"`
		Delete []DocMember `json:"del_file_member_list,omitempty"`
	}{docID, upd, del}
	return c.post(ctx, "mod_doc_member", body, nil, true)
}

// UploadedImage is a picture uploaded with [Client.UploadImage].
type UploadedImage struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Size   int64  `json:"size"`
}

// UnmarshalJSON reads width, height and size as numbers or as decimal strings: the 上传图片 page
// documents them as strings while its example shows numbers.
func (u *UploadedImage) UnmarshalJSON(data []byte) error {
	var w struct {
		URL    string          `json:"url"`
		Width  json.RawMessage `json:"width"`
		Height json.RawMessage `json:"height"`
		Size   json.RawMessage `json:"size"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	num := func(name string, raw json.RawMessage) (int64, error) {
		if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
			return 0, nil
		}
		f, ok := decodeNumber(raw)
		if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32*1024 {
			return 0, fmt.Errorf("smartsheet: image_upload: %s is not a whole number: %s", name, raw)
		}
		return int64(f), nil
	}
	width, err := num("width", w.Width)
	if err != nil {
		return err
	}
	height, err := num("height", w.Height)
	if err != nil {
		return err
	}
	size, err := num("size", w.Size)
	if err != nil {
		return err
	}
	*u = UploadedImage{URL: w.URL, Width: int(width), Height: int(height), Size: size}
	return nil
}

// Image returns the picture as an [Image] for an image cell.
func (u *UploadedImage) Image(title string) Image {
	return Image{Title: title, URL: u.URL, Width: u.Width, Height: u.Height}
}

// UploadImage uploads a picture (JPEG, PNG or GIF bytes) for image cells of the document
// (上传文档图片). WeCom's size limit is not documented: keep pictures small (≤ 2 MB).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/99933
func (c *Client) UploadImage(ctx context.Context, docID string, data []byte) (*UploadedImage, error) {
	if docID == "" || len(data) == 0 {
		return nil, invalidf("UploadImage: need a doc id and image bytes")
	}
	body := struct {
		DocID   string `json:"docid"`
		Content string `json:"base64_content"`
	}{docID, base64.StdEncoding.EncodeToString(data)}
	var img UploadedImage
	if err := c.post(ctx, "image_upload", body, &img, false); err != nil {
		return nil, err
	}
	return &img, nil
}
