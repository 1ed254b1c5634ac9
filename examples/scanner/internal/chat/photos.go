package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/photo"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// photo receives an image message: it is downloaded and scaled at once (a bot's image URL
// expires soon, and a bad file is reported while the member still has the photo at hand), kept in
// the store, and added to the draft. The tenth is refused.
func (f *Flow) photo(ctx context.Context, m Message) (string, error) {
	d, _, err := f.read(ctx, m.From)
	if err != nil {
		return "", err
	}
	if len(d.Images) >= shop.MaxPhotos {
		return tooMany(&d), nil
	}
	prep, failure := f.fetch(ctx, m.MediaID)
	if failure != "" {
		return failure + "\n" + status(&d), nil
	}
	sum := sha256.Sum256(prep.JPEG)
	key := "chat:" + hex.EncodeToString(sum[:16])
	if err := f.drafts.PutChatImage(ctx, key, prep.JPEG, f.imageTTL); err != nil {
		return "", err
	}
	var reply string
	err = f.edit(ctx, m.From, func(d *draft) bool {
		if i := slices.IndexFunc(d.Images, func(im draftPhoto) bool { return im.Key == key }); i >= 0 {
			reply = fmt.Sprintf("这张照片和第 %d 张相同，未重复添加。\n%s", i+1, status(d))
			return false
		}
		if len(d.Images) >= shop.MaxPhotos {
			reply = tooMany(d)
			return false
		}
		d.Images = append(d.Images, draftPhoto{Media: m.MediaID, Key: key})
		reply = fmt.Sprintf("已收到第 %d 张照片。\n%s\n%s", len(d.Images), status(d), nextStep(d))
		return true
	})
	return reply, err
}

func tooMany(d *draft) string {
	return fmt.Sprintf("最多 %d 张照片，这张（第 %d 张）未保存。\n%s\n%s", shop.MaxPhotos, len(d.Images)+1, status(d), nextStep(d))
}

// fetch downloads and scales a photo; failure is the member's reply when it cannot be used.
func (f *Flow) fetch(ctx context.Context, mediaID string) (*photo.Prepared, string) {
	if f.download == nil {
		return nil, "图片下载失败，请重新发送照片。"
	}
	data, err := f.download(ctx, mediaID)
	if err != nil {
		f.log.Warn("scanner: chat photo download failed", "err", err)
		return nil, "图片下载失败，请重新发送照片。"
	}
	prep, err := photo.Prepare(data)
	switch {
	case errors.Is(err, photo.ErrTooLarge), errors.Is(err, photo.ErrNotImage):
		return nil, "照片未保存：" + err.Error() + "。"
	case err != nil:
		f.log.Warn("scanner: chat photo unreadable", "err", err)
		return nil, "照片未保存：无法读取这张图片。"
	}
	return prep, ""
}

// loadPhotos returns the draft's photos from the store, downloading again those no longer kept.
// missing lists (0-based) the ones that could not be had.
func (f *Flow) loadPhotos(ctx context.Context, ims []draftPhoto) (photos [][]byte, missing []int, err error) {
	for i, im := range ims {
		var data []byte
		if im.Key != "" {
			if data, err = f.drafts.ChatImage(ctx, im.Key, f.imageTTL); err != nil {
				return nil, nil, err
			}
		}
		if data == nil {
			if prep, failure := f.fetch(ctx, im.Media); failure == "" {
				data = prep.JPEG
			}
		}
		if data == nil {
			missing = append(missing, i)
			continue
		}
		photos = append(photos, data)
	}
	return photos, missing, nil
}

// dropMissing takes photos that can no longer be had out of the draft and tells the member, who
// may send them again or finish with the others.
func (f *Flow) dropMissing(ctx context.Context, user string, raw []byte, missing []int) (string, error) {
	var reply string
	err := f.drafts.EditDraft(ctx, user, func(data []byte, updated time.Time) ([]byte, error) {
		if string(data) != string(raw) {
			reply = "草稿刚刚有变化，请再发送一次 #。"
			return data, nil
		}
		d := f.decode(data, updated)
		nums := make([]string, len(missing))
		for k, i := range missing {
			nums[k] = strconv.Itoa(i + 1)
		}
		var kept []draftPhoto
		for i, im := range d.Images {
			if !slices.Contains(missing, i) {
				kept = append(kept, im)
			}
		}
		d.Images = kept
		reply = fmt.Sprintf("第 %s 张照片已过期或无法下载，已从草稿中去掉，尚未入库。\n%s\n请重新发送这些照片，或再发送 # 按现有照片入库。",
			strings.Join(nums, "、"), status(&d))
		return json.Marshal(d)
	})
	return reply, err
}
