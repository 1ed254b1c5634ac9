package wecom_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// uploadPart is what a multipart upload carried.
type uploadPart struct {
	query                          map[string]string
	field, filename, ctype, length string
	data                           []byte
}

func captureUpload(t *testing.T, mt *httpmock.MockTransport, url, respFixture string) *uploadPart {
	t.Helper()
	got := &uploadPart{}
	resp := fixture(t, respFixture)
	mt.RegisterResponder(http.MethodPost, url, func(req *http.Request) (*http.Response, error) {
		got.query = map[string]string{}
		for k := range req.URL.Query() {
			got.query[k] = req.URL.Query().Get(k)
		}
		_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if err != nil {
			return nil, err
		}
		part, err := multipart.NewReader(req.Body, params["boundary"]).NextPart()
		if err != nil {
			return nil, err
		}
		got.field, got.filename, got.ctype = part.FormName(), part.FileName(), part.Header.Get("Content-Type")
		_, cd, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		got.length = cd["filelength"]
		got.data, _ = io.ReadAll(part)
		return httpmock.NewBytesResponse(200, resp), nil
	})
	return got
}

func TestMediaUpload(t *testing.T) {
	pixel := fixture(t, "testdata/webhook_send/pixel.png")
	for _, resp := range []string{"testdata/media_upload/ok.json", "testdata/media_upload/ok_number.json"} {
		t.Run(resp, func(t *testing.T) {
			c, mt := newMocked(t)
			got := captureUpload(t, mt, testBase+"/cgi-bin/media/upload", resp)
			res, err := c.Media().Upload(t.Context(), wecom.MediaImage, "bag.png", bytes.NewReader(pixel))
			require.NoError(t, err)
			assert.Equal(t, &wecom.UploadResult{Type: wecom.MediaImage, MediaID: "MEDIA_ID", CreatedAt: time.Unix(1380000000, 0)}, res)
			assert.Equal(t, map[string]string{"type": "image", "access_token": "ACCESS_TOKEN"}, got.query)
			assert.Equal(t, "media", got.field)
			assert.Equal(t, "bag.png", got.filename)
			assert.Equal(t, "image/png", got.ctype)
			assert.Equal(t, "69", got.length)
			assert.Equal(t, pixel, got.data)
		})
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestMediaUploadLimits(t *testing.T) {
	tests := []struct {
		name string
		typ  wecom.MediaType
		file string
		r    io.Reader
		mp   bool
		want error // default ErrInvalidRequest
	}{
		{"voice over 2 MB", wecom.MediaVoice, "a.amr", io.LimitReader(zeros{}, wecom.MaxVoiceBytes+1), false, nil},
		{"image over 10 MB", wecom.MediaImage, "a.png", io.LimitReader(zeros{}, wecom.MaxImageBytes+1), false, nil},
		{"endless reader", wecom.MediaFile, "a.bin", zeros{}, false, nil},
		{"5 bytes", wecom.MediaFile, "a.txt", strings.NewReader("12345"), false, nil},
		{"unknown type", "music", "a.mp3", strings.NewReader("123456"), false, nil},
		{"no filename", wecom.MediaFile, "", strings.NewReader("123456"), false, nil},
		{"filename with newline", wecom.MediaFile, "a\r\nX-Evil: 1", strings.NewReader("123456"), false, nil},
		{"nil reader", wecom.MediaFile, "a.txt", nil, false, nil},
		{"thumb on WeCom", wecom.MediaThumb, "a.jpg", strings.NewReader("123456"), false, wecom.ErrWrongPlatform},
		{"file on 公众号", wecom.MediaFile, "a.txt", strings.NewReader("123456"), true, wecom.ErrWrongPlatform},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMocked(t)
			if tt.mp {
				c, mt = newMockedMP(t)
			}
			_, err := c.Media().Upload(t.Context(), tt.typ, tt.file, tt.r)
			want := tt.want
			if want == nil {
				want = wecom.ErrInvalidRequest
			}
			assert.ErrorIs(t, err, want)
			assert.Zero(t, mt.GetTotalCallCount())
		})
	}
}

func TestMediaUploadError(t *testing.T) {
	c, mt := newMocked(t)
	captureUpload(t, mt, testBase+"/cgi-bin/media/upload", "testdata/media_upload/40004.json")
	_, err := c.Media().Upload(t.Context(), wecom.MediaVoice, "a.amr", strings.NewReader("#!AMR\n..."))
	assert.ErrorIs(t, err, wecom.ErrCode(40004))
}

func TestMediaUploadImage(t *testing.T) {
	c, mt := newMocked(t)
	got := captureUpload(t, mt, testBase+"/cgi-bin/media/uploadimg", "testdata/media_uploadimg/ok.json")
	pixel := fixture(t, "testdata/webhook_send/pixel.png")
	u, err := c.Media().UploadImage(t.Context(), "logo.png", bytes.NewReader(pixel))
	require.NoError(t, err)
	assert.Equal(t, "http://p.qpic.cn/pic_wework/3474110808/7a7c8471673ff0f178f63447935d35a5c1247a7f31d9c060/0", u)
	assert.Equal(t, pixel, got.data)
	assert.Equal(t, "media", got.field)

	_, err = c.Media().UploadImage(t.Context(), "a.gif", strings.NewReader("GIF89a-not-allowed"))
	assert.ErrorIs(t, err, wecom.ErrInvalidRequest)
	_, err = c.Media().UploadImage(t.Context(), "big.png", io.MultiReader(bytes.NewReader(pixel), io.LimitReader(zeros{}, wecom.MaxUploadImgBytes)))
	assert.ErrorIs(t, err, wecom.ErrInvalidRequest)
}

func TestMediaDownload(t *testing.T) {
	content := bytes.Repeat([]byte("bag"), 1000)
	tests := []struct {
		name, disposition, want string
	}{
		{"quoted", `attachment; filename="bag.jpg"`, "bag.jpg"},
		{"raw UTF-8", `attachment; filename="库存 照片.jpg"`, "库存 照片.jpg"},
		{"RFC 5987", `attachment; filename*=UTF-8''%E5%BA%93%E5%AD%98.jpg`, "库存.jpg"},
		{"path traversal", `attachment; filename="../../etc/passwd"`, "passwd"},
		{"windows path", `attachment; filename="C:\\x\\evil.exe"`, "evil.exe"},
		{"unparsable", `attachment; filename=a b.jpg; x`, "a b.jpg"},
		{"none", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMocked(t)
			mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/media/get", func(req *http.Request) (*http.Response, error) {
				if req.URL.Query().Get("media_id") != "MEDIA_ID" {
					return httpmock.NewStringResponse(404, ""), nil
				}
				resp := httpmock.NewBytesResponse(200, content)
				resp.Header.Set("Content-Type", "image/jpeg")
				resp.Header.Set("Content-Length", "3000")
				if tt.disposition != "" {
					resp.Header.Set("Content-Disposition", tt.disposition)
				}
				return resp, nil
			})
			f, err := c.Media().Download(t.Context(), "MEDIA_ID")
			require.NoError(t, err)
			defer f.Close()
			assert.Equal(t, tt.want, f.Filename)
			assert.Equal(t, "image/jpeg", f.ContentType)
			assert.EqualValues(t, 3000, f.ContentLength)
			data, err := io.ReadAll(f)
			require.NoError(t, err)
			assert.Equal(t, content, data)
		})
	}
}

func TestMediaDownloadJSONError(t *testing.T) {
	c, mt := newMocked(t)
	mt.RegisterResponder(http.MethodGet, testBase+"/cgi-bin/media/get", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewBytesResponse(200, fixture(t, "testdata/media_get/40007.json"))
		resp.Header.Set("Content-Type", "application/json; charset=utf-8")
		return resp, nil
	})
	_, err := c.Media().Download(t.Context(), "BAD")
	assert.ErrorIs(t, err, wecom.CodeInvalidMediaID)
	assert.NotContains(t, err.Error(), "ACCESS_TOKEN")

	_, err = c.Media().Download(t.Context(), "")
	assert.ErrorIs(t, err, wecom.ErrInvalidRequest)
}
