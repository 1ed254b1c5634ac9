package wecomtest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const mediaTTL = 72 * time.Hour // temporary media live 3 days

// mediaLimits are the upload size limits per type (bytes) and the errcode for exceeding them.
var mediaLimits = map[string]struct {
	max  int
	code int
}{
	"image": {10 << 20, codeInvalidImageSize},
	"voice": {2 << 20, codeInvalidFileSize},
	"video": {10 << 20, 40011},
	"file":  {20 << 20, codeInvalidFileSize},
	"thumb": {64 << 10, codeInvalidFileSize}, // 公众号 only
}

// readMedia reads the multipart part named "media": its bytes, file name and content type.
func readMedia(r *http.Request, limit int) (data []byte, name, ctype string, err error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", "", errf(codeEmptyMedia, "media data missing: want multipart/form-data with a part named media")
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", "", errf(codeEmptyMedia, "media data missing: no part named media")
		}
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			return nil, "", "", errf(codeInvalidFileSize, "invalid file size: the request is larger than %d bytes", tooLarge.Limit)
		}
		if err != nil {
			return nil, "", "", invalid("bad multipart body: %v", err)
		}
		if p.FormName() != "media" {
			continue
		}
		data, err = io.ReadAll(io.LimitReader(p, int64(limit)+1))
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			return nil, "", "", errf(codeInvalidFileSize, "invalid file size: the request is larger than %d bytes", tooLarge.Limit)
		}
		if err != nil {
			return nil, "", "", invalid("bad multipart body: %v", err)
		}
		ctype = p.Header.Get("Content-Type")
		if mt, _, perr := mime.ParseMediaType(ctype); perr != nil || mt == "application/octet-stream" {
			ctype = http.DetectContentType(data)
		}
		return data, p.FileName(), ctype, nil
	}
}

func isImage(data []byte) bool {
	ct := http.DetectContentType(data)
	return ct == "image/jpeg" || ct == "image/png"
}

// mediaUpload serves media/upload?type=image|voice|video|file (上传临时素材), multipart part "media".
// WeCom answers created_at as a string, the 公众号 as a number (and without errcode).
func (h *Handler) mediaUpload(r *http.Request, c *caller) (any, error) {
	typ := r.URL.Query().Get("type")
	lim, known := mediaLimits[typ]
	if !known || typ == "thumb" && !c.mp {
		return nil, errf(codeInvalidType, "invalid type %q", typ)
	}
	data, name, ctype, err := readMedia(r, lim.max)
	switch {
	case err != nil:
		return nil, err
	case len(data) <= 5:
		return nil, errf(codeInvalidFileSize, "invalid file size: media must be larger than 5 bytes")
	case len(data) > lim.max:
		return nil, errf(lim.code, "invalid file size: %s media must be at most %d bytes", typ, lim.max)
	case typ == "image" && !isImage(data):
		return nil, errf(codeInvalidMediaType, "invalid media type: image must be JPG or PNG")
	}
	h.mu.Lock()
	now := h.now()
	for id, f := range h.st.Files { // forget expired media
		if !f.Expires.IsZero() && !now.Before(f.Expires) {
			delete(h.st.Files, id)
			h.markFile(id)
		}
	}
	f := &file{ID: h.uniqueID("3", 63, func(id string) bool { return h.st.Files[id] != nil }), Kind: typ,
		Name: name, ContentType: ctype, Data: data, Created: now, Expires: now.Add(mediaTTL)}
	h.st.Files[f.ID] = f
	h.markFile(f.ID)
	h.unlock()
	if c.mp {
		return struct {
			Type      string `json:"type"`
			MediaID   string `json:"media_id"`
			CreatedAt int64  `json:"created_at"`
		}{typ, f.ID, now.Unix()}, nil
	}
	return struct {
		base
		Type      string `json:"type"`
		MediaID   string `json:"media_id"`
		CreatedAt string `json:"created_at"`
	}{base{}, typ, f.ID, strconv.FormatInt(now.Unix(), 10)}, nil
}

// mediaExists reports whether a temporary media id is known and unexpired.
func (h *Handler) mediaExists(id string) bool {
	h.mu.Lock()
	defer h.unlock()
	f := h.st.Files[id]
	return f != nil && !f.Expires.IsZero() && h.now().Before(f.Expires)
}

// mediaUploadImg serves media/uploadimg, JPG/PNG → a permanent URL the fake serves. The limits differ
// per platform: WeCom's 上传图片 takes 5 B … 2 MB (40009 上传图片大小不是有效值 above, 40004 不合法的媒体
// 文件类型 for another format); the 公众号's 上传图文消息内的图片 takes less than 1 MB (40009 invalid image
// size, 40005 invalid file type, the codes its page lists).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90256
// 公众号 API: https://developers.weixin.qq.com/doc/service/api/material/permanent/api_uploadimage
func (h *Handler) mediaUploadImg(r *http.Request, c *caller) (any, error) {
	limit, typeCode := 2<<20, codeInvalidMediaType
	if c.mp {
		limit, typeCode = 1<<20, codeInvalidType
	}
	data, name, ctype, err := readMedia(r, limit)
	switch {
	case err != nil:
		return nil, err
	case len(data) > limit:
		return nil, errf(codeInvalidImageSize, "invalid image size: at most %d bytes", limit)
	case !isImage(data):
		return nil, errf(typeCode, "invalid file type: JPG or PNG only")
	}
	h.mu.Lock()
	f := h.storeImage(data, ctype, name)
	h.unlock()
	if c.mp {
		return struct {
			URL string `json:"url"`
		}{h.fileURL(r, f)}, nil
	}
	return struct {
		base
		URL string `json:"url"`
	}{base{}, h.fileURL(r, f)}, nil
}

// mediaGet serves media/get (获取临时素材): the bytes with Content-Type and Content-Disposition, Range
// supported; errcode JSON 41006 (no media_id) or 40007 (unknown or expired).
func (h *Handler) mediaGet(w http.ResponseWriter, r *http.Request, _ *caller) error {
	id := r.URL.Query().Get("media_id")
	if id == "" {
		return errf(codeMissingMediaID, "media_id missing")
	}
	h.mu.Lock()
	f := h.st.Files[id]
	valid := f != nil && !f.Expires.IsZero() && h.now().Before(f.Expires)
	h.unlock()
	if !valid {
		return errf(codeInvalidMediaID, "invalid media_id")
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	http.ServeContent(w, r, "", f.Created, bytes.NewReader(f.Data))
	return nil
}

// serveFile serves images handed out by image_upload and uploadimg (no token, like a CDN URL).
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	f := h.st.Files[r.PathValue("id")]
	h.unlock()
	if f == nil || f.Kind != "image" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, "", f.Created, bytes.NewReader(f.Data))
}

// AddMedia stores bytes as temporary media (as media/upload would) and returns the media_id, e.g. to
// simulate an image message a member sends to the app.
func (h *Handler) AddMedia(typ, name string, data []byte) (string, error) {
	if _, known := mediaLimits[typ]; !known {
		return "", errors.New("wecomtest: unknown media type " + typ)
	}
	h.mu.Lock()
	defer h.unlock()
	now := h.now()
	f := &file{ID: h.uniqueID("3", 63, func(id string) bool { return h.st.Files[id] != nil }), Kind: typ,
		Name: name, ContentType: http.DetectContentType(data), Data: bytes.Clone(data), Created: now, Expires: now.Add(mediaTTL)}
	h.st.Files[f.ID] = f
	h.markFile(f.ID)
	return f.ID, nil
}

// Media returns the bytes and content type of a stored file: a media_id or the id at the end of an
// image URL. ok is false for an unknown id.
func (h *Handler) Media(id string) (data []byte, contentType string, ok bool) {
	id = id[strings.LastIndexByte(id, '/')+1:]
	h.mu.Lock()
	defer h.unlock()
	f := h.st.Files[id]
	if f == nil {
		return nil, "", false
	}
	return bytes.Clone(f.Data), f.ContentType, true
}
