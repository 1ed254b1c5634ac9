package wecom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MediaService uploads and downloads temporary media (素材管理). Get one with [Client.Media].
type MediaService struct{ c *Client }

// Media returns the media service. It works for WeCom apps and 公众号 alike (same paths and shapes).
func (c *Client) Media() *MediaService { return &MediaService{c: c} }

// MediaType is the type query parameter of media/upload.
type MediaType string

// Media types.
const (
	MediaImage MediaType = "image" // JPG/PNG ≤ 10 MB
	MediaVoice MediaType = "voice" // AMR ≤ 2 MB, ≤ 60 s
	MediaVideo MediaType = "video" // MP4 ≤ 10 MB
	MediaFile  MediaType = "file"  // ≤ 20 MB (WeCom only)
	MediaThumb MediaType = "thumb" // 公众号 only: JPG ≤ 64 KB
)

// Size limits of temporary media (WeCom path/90253; the 公众号 thumb limit from the 公众号 docs).
const (
	MinMediaBytes       = 6 // "all files > 5 bytes"
	MaxImageBytes       = 10 << 20
	MaxVoiceBytes       = 2 << 20
	MaxVideoBytes       = 10 << 20
	MaxFileBytes        = 20 << 20
	MaxThumbBytes       = 64 << 10
	MaxUploadImgBytes   = 2 << 20 // WeCom media/uploadimg (上传图片): 5 B – 2 MB
	MaxMPUploadImgBytes = 1 << 20 // 公众号 media/uploadimg (上传图文消息内的图片): under 1 MB
	maxMultipartHeader  = 4 << 10
)

// MaxBytes returns the upload size limit for t, or 0 for an unknown type.
func (t MediaType) MaxBytes() int64 {
	switch t {
	case MediaImage:
		return MaxImageBytes
	case MediaVoice:
		return MaxVoiceBytes
	case MediaVideo:
		return MaxVideoBytes
	case MediaFile:
		return MaxFileBytes
	case MediaThumb:
		return MaxThumbBytes
	}
	return 0
}

// UploadResult is the answer of a temporary upload. The media_id is valid for 3 days.
type UploadResult struct {
	Type      MediaType
	MediaID   string
	CreatedAt time.Time // zero if WeCom sent none
}

type uploadResp struct {
	Type      MediaType `json:"type"`
	MediaID   string    `json:"media_id"`
	CreatedAt flexInt   `json:"created_at"` // a string of Unix seconds in WeCom's example; numbers accepted
}

func (r *uploadResp) result() *UploadResult {
	out := &UploadResult{Type: r.Type, MediaID: r.MediaID}
	if r.CreatedAt > 0 {
		out.CreatedAt = time.Unix(int64(r.CreatedAt), 0)
	}
	return out
}

// Upload uploads temporary media (上传临时素材) read from r under filename. The size limit of typ is
// checked before anything is sent (r is read into memory, at most limit+1 bytes).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90253
func (s *MediaService) Upload(ctx context.Context, typ MediaType, filename string, r io.Reader) (*UploadResult, error) {
	const call = "Media.Upload"
	switch {
	case s.c == nil:
		return nil, fmt.Errorf("%w (%s)", ErrNilClient, call)
	case typ == MediaFile:
		if err := s.c.Require(PlatformWeCom, call+"(file)"); err != nil {
			return nil, err
		}
	case typ == MediaThumb:
		if err := s.c.Require(PlatformOfficialAccount, call+"(thumb)"); err != nil {
			return nil, err
		}
	}
	if typ.MaxBytes() == 0 {
		return nil, invalidf(call, "type", "unknown media type %q", typ)
	}
	body, err := multipartMedia(call, typ.MaxBytes(), filename, r)
	if err != nil {
		return nil, err
	}
	return upload(ctx, s.c, &Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload",
		Query: url.Values{"type": {string(typ)}}, Body: body.RawBody})
}

// upload performs a multipart media upload and decodes {type, media_id, created_at}.
func upload(ctx context.Context, c *Client, req *Request) (*UploadResult, error) {
	var raw uploadResp
	if err := c.Do(ctx, req, &raw); err != nil {
		return nil, err
	}
	if raw.MediaID == "" {
		return nil, fmt.Errorf("wecom: %s: %w", req.Path, errNoMediaID)
	}
	return raw.result(), nil
}

// UploadImage uploads a JPG or PNG image and returns a permanent URL: for a WeCom client (上传图片) to
// use inside WeCom messages, at most [MaxUploadImgBytes] (2 MB; quota 3000 a month, 1000 a day per
// corp); for a 公众号 client (上传图文消息内的图片获取URL) to use inside articles, at most
// [MaxMPUploadImgBytes] (1 MB). The limit of the client's platform is checked before anything is
// sent.
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90256
// WeChat API: https://developers.weixin.qq.com/doc/service/api/material/permanent/api_uploadimage
func (s *MediaService) UploadImage(ctx context.Context, filename string, r io.Reader) (string, error) {
	const call = "Media.UploadImage"
	limit := int64(MaxUploadImgBytes)
	switch s.c.Platform() {
	case 0:
		return "", fmt.Errorf("%w (%s)", ErrNilClient, call)
	case PlatformOfficialAccount:
		limit = MaxMPUploadImgBytes
	}
	body, err := multipartMedia(call, limit, filename, r)
	if err != nil {
		return "", err
	}
	if ct := sniffImage(body.payload); ct == "" {
		return "", invalidf(call, "image", "not a JPG or PNG image")
	}
	var raw struct {
		URL string `json:"url"`
	}
	if err := s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/media/uploadimg", Body: body.RawBody}, &raw); err != nil {
		return "", err
	}
	if raw.URL == "" {
		return "", fmt.Errorf("wecom: /cgi-bin/media/uploadimg: response has no url")
	}
	return raw.URL, nil
}

// MediaDownload is a download in progress: read it like any io.ReadCloser and close it.
type MediaDownload struct {
	body          io.ReadCloser
	Filename      string // from Content-Disposition, reduced to a base name ("" if none)
	ContentType   string
	ContentLength int64 // -1 when unknown
}

// Read reads the media content.
func (f *MediaDownload) Read(p []byte) (int, error) { return f.body.Read(p) }

// Close closes the underlying response body.
func (f *MediaDownload) Close() error { return f.body.Close() }

// Download streams temporary media (获取临时素材). An errcode answer (WeCom sends errors as JSON with
// status 200) is returned as *[APIError]. Files over 20 MB need HTTP Range requests, which this
// method does not make (WeCom answers errcode 830002).
//
// WeCom API: https://developer.work.weixin.qq.com/document/path/90254
func (s *MediaService) Download(ctx context.Context, mediaID string) (*MediaDownload, error) {
	if mediaID == "" {
		return nil, invalidf("Media.Download", "mediaID", "empty")
	}
	body, h, err := s.c.Stream(ctx, &Request{Method: http.MethodGet, Path: "/cgi-bin/media/get",
		Query: url.Values{"media_id": {mediaID}}})
	if err != nil {
		return nil, err
	}
	f := &MediaDownload{body: body, ContentType: h.Get("Content-Type"), ContentLength: -1,
		Filename: dispositionFilename(h.Get("Content-Disposition"))}
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		f.ContentLength = n
	}
	return f, nil
}

// dispositionFilename extracts the filename of a Content-Disposition header, tolerating the raw
// UTF-8 WeCom sends, and keeps only its base name so that it is safe to use as a local file name.
func dispositionFilename(cd string) string {
	if cd == "" {
		return ""
	}
	var name string
	if _, params, err := mime.ParseMediaType(cd); err == nil {
		name = params["filename"]
	} else if i := strings.Index(strings.ToLower(cd), "filename="); i >= 0 {
		name = cd[i+len("filename="):]
		if j := strings.IndexByte(name, ';'); j >= 0 {
			name = name[:j]
		}
		name = strings.Trim(strings.TrimSpace(name), `"`)
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
	}
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return name
}

// multipartBody is a built multipart request plus the raw file bytes it carries.
type multipartBody struct {
	RawBody
	payload []byte
}

// multipartMedia reads r (at most limit bytes, and more than 5) and wraps it in a multipart body with
// one part named "media" carrying filename, filelength and a Content-Type.
func multipartMedia(call string, limit int64, filename string, r io.Reader) (multipartBody, error) {
	if r == nil {
		return multipartBody{}, invalidf(call, "reader", "nil")
	}
	if filename == "" || strings.ContainsAny(filename, "\r\n\x00") || len(filename) > 255 {
		return multipartBody{}, invalidf(call, "filename", "empty, too long or contains control characters")
	}
	if limit <= 0 {
		limit = MaxFileBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return multipartBody{}, fmt.Errorf("wecom: %s: read: %w", call, err)
	}
	switch {
	case int64(len(data)) > limit:
		return multipartBody{}, invalidf(call, "size", "larger than %d bytes", limit)
	case len(data) < MinMediaBytes:
		return multipartBody{}, invalidf(call, "size", "must be more than 5 bytes, got %d", len(data))
	}
	ext := strings.ToLower(filepath.Ext(filename))
	ctype := mediaContentTypes[ext]
	if ctype == "" {
		ctype = mime.TypeByExtension(ext) // system tables vary; the common media types are fixed above
	}
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	var buf bytes.Buffer
	buf.Grow(len(data) + maxMultipartHeader)
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`,
		quoteEscaper.Replace(filename), len(data)))
	h.Set("Content-Type", ctype)
	pw, err := mw.CreatePart(h)
	if err == nil {
		_, err = pw.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return multipartBody{}, fmt.Errorf("wecom: %s: build multipart body: %w", call, err)
	}
	return multipartBody{RawBody: RawBody{ContentType: mw.FormDataContentType(), Data: buf.Bytes()}, payload: data}, nil
}

// mediaContentTypes fixes the part Content-Type of the usual WeCom media, whatever the system's
// MIME tables say.
var mediaContentTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".amr": "audio/amr",
	".mp4": "video/mp4", ".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8",
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// sniffImage returns "image/jpeg" or "image/png" for such data, else "".
func sniffImage(data []byte) string {
	switch ct := http.DetectContentType(data); ct {
	case "image/jpeg", "image/png":
		return ct
	}
	return ""
}

var errNoMediaID = errors.New("wecom: response has no media_id")
