package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// MenuService manages the custom menu (自定义菜单) of a 公众号, or of a WeCom app (then the client's
// agent id is sent as the agentid query parameter). Get one with [Client.Menu].
//
// Shapes and limits follow the official pages: 公众号 自定义菜单 创建接口
// (https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html)
// and WeCom 创建菜单 (https://developer.work.weixin.qq.com/document/path/90231).
type MenuService struct{ c *Client }

// Menu returns the custom-menu service.
func (c *Client) Menu() *MenuService { return &MenuService{c: c} }

// MenuButtonType is a button's type.
type MenuButtonType string

// Button types. Both platforms know click, view, the scancode_*, pic_* and location_select types;
// miniprogram, media_id and article_id are 公众号 only, view_miniprogram is WeCom's mini-program type.
const (
	MenuClick           MenuButtonType = "click"              // pushes a click event with Key
	MenuView            MenuButtonType = "view"               // opens URL
	MenuScanCodePush    MenuButtonType = "scancode_push"      // scans and acts on the result in the client
	MenuScanCodeWaitMsg MenuButtonType = "scancode_waitmsg"   // scans and pushes the result to the server
	MenuPicSysPhoto     MenuButtonType = "pic_sysphoto"       // camera
	MenuPicPhotoOrAlbum MenuButtonType = "pic_photo_or_album" // camera or album
	MenuPicWeixin       MenuButtonType = "pic_weixin"         // WeChat album
	MenuLocationSelect  MenuButtonType = "location_select"    // location picker
	MenuMiniProgram     MenuButtonType = "miniprogram"        // 公众号: AppID + PagePath (+ URL fallback)
	MenuViewMiniProgram MenuButtonType = "view_miniprogram"   // WeCom: AppID + PagePath
	MenuMediaID         MenuButtonType = "media_id"           // 公众号: permanent material
	MenuArticleID       MenuButtonType = "article_id"         // 公众号: published article
)

// Menu limits.
const (
	MaxMenuButtons    = 3    // top-level buttons
	MaxMenuSubButtons = 5    // per top-level button
	MaxMenuKeyBytes   = 128  // key
	MaxMenuURLBytes   = 1024 // url
)

// MenuButton is a menu button. A top-level button either has SubButtons (and then only a Name) or a
// Type with its fields.
type MenuButton struct {
	Type      MenuButtonType `json:"type,omitempty"`
	Name      string         `json:"name"`
	Key       string         `json:"key,omitempty"`      // click, scancode_*, pic_*, location_select
	URL       string         `json:"url,omitempty"`      // view; fallback page for miniprogram
	AppID     string         `json:"appid,omitempty"`    // miniprogram, view_miniprogram
	PagePath  string         `json:"pagepath,omitempty"` // miniprogram, view_miniprogram
	MediaID   string         `json:"media_id,omitempty"`
	ArticleID string         `json:"article_id,omitempty"`
	// Value is set only by [MenuService.Current] for buttons configured in the web console
	// (types text, img, voice, video, news).
	Value      string       `json:"value,omitempty"`
	SubButtons []MenuButton `json:"sub_button,omitempty"`
}

// UnmarshalJSON accepts sub_button both as an array (menu/get) and as {"list": […]}
// (get_current_selfmenu_info).
func (b *MenuButton) UnmarshalJSON(data []byte) error {
	type plain MenuButton
	var w struct {
		plain
		SubButtons json.RawMessage `json:"sub_button"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = MenuButton(w.plain)
	b.SubButtons = nil
	raw := bytes.TrimSpace(w.SubButtons)
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '{':
		var l struct {
			List []MenuButton `json:"list"`
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			return err
		}
		b.SubButtons = l.List
	default:
		if err := json.Unmarshal(raw, &b.SubButtons); err != nil {
			return err
		}
	}
	if len(b.SubButtons) == 0 {
		b.SubButtons = nil // "sub_button": [] on leaf buttons
	}
	return nil
}

func (b *MenuButton) validate(where string) error {
	const call = "Menu.Create"
	if b.Name == "" {
		return invalidf(call, where, "empty name")
	}
	if len(b.Key) > MaxMenuKeyBytes {
		return invalidf(call, where, "key longer than %d bytes", MaxMenuKeyBytes)
	}
	if len(b.URL) > MaxMenuURLBytes {
		return invalidf(call, where, "url longer than %d bytes", MaxMenuURLBytes)
	}
	switch b.Type {
	case MenuClick, MenuScanCodePush, MenuScanCodeWaitMsg, MenuPicSysPhoto, MenuPicPhotoOrAlbum,
		MenuPicWeixin, MenuLocationSelect:
		if b.Key == "" {
			return invalidf(call, where, "type %s needs a key", b.Type)
		}
	case MenuView:
		if b.URL == "" {
			return invalidf(call, where, "type view needs a url")
		}
	case MenuMiniProgram:
		if b.AppID == "" || b.PagePath == "" || b.URL == "" {
			return invalidf(call, where, "type miniprogram needs appid, pagepath and a fallback url")
		}
	case MenuViewMiniProgram:
		if b.AppID == "" {
			return invalidf(call, where, "type view_miniprogram needs an appid")
		}
	case MenuMediaID:
		if b.MediaID == "" {
			return invalidf(call, where, "type media_id needs a media_id")
		}
	case MenuArticleID:
		if b.ArticleID == "" {
			return invalidf(call, where, "type article_id needs an article_id")
		}
	case "":
		return invalidf(call, where, "a button without sub-buttons needs a type")
	}
	return nil
}

func validateMenu(buttons []MenuButton) error {
	const call = "Menu.Create"
	if n := len(buttons); n == 0 || n > MaxMenuButtons {
		return invalidf(call, "Buttons", "need 1–%d top-level buttons, got %d", MaxMenuButtons, n)
	}
	for i := range buttons {
		b := &buttons[i]
		where := "button " + strconv.Itoa(i)
		if len(b.SubButtons) == 0 {
			if err := b.validate(where); err != nil {
				return err
			}
			continue
		}
		if b.Name == "" {
			return invalidf(call, where, "empty name")
		}
		if n := len(b.SubButtons); n > MaxMenuSubButtons {
			return invalidf(call, where, "more than %d sub-buttons (%d)", MaxMenuSubButtons, n)
		}
		for j := range b.SubButtons {
			s := &b.SubButtons[j]
			sw := where + "." + strconv.Itoa(j)
			if len(s.SubButtons) > 0 {
				return invalidf(call, sw, "menus have two levels only")
			}
			if err := s.validate(sw); err != nil {
				return err
			}
		}
	}
	return nil
}

// query adds agentid for WeCom apps.
func (s *MenuService) query() (url.Values, error) {
	switch s.c.Platform() {
	case 0:
		return nil, fmt.Errorf("%w (Menu)", ErrNilClient)
	case PlatformOfficialAccount:
		return nil, nil
	}
	if s.c.agentID == 0 {
		return nil, ErrNoAgentID
	}
	return url.Values{"agentid": {strconv.FormatInt(s.c.agentID, 10)}}, nil
}

// Create replaces the menu (创建菜单). 公众号 clients see the change within minutes.
//
// WeChat API: https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html
// WeCom API: https://developer.work.weixin.qq.com/document/path/90231
func (s *MenuService) Create(ctx context.Context, buttons []MenuButton) error {
	if err := validateMenu(buttons); err != nil {
		return err
	}
	q, err := s.query()
	if err != nil {
		return err
	}
	return s.c.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/menu/create", Query: q,
		Body: struct {
			Button []MenuButton `json:"button"`
		}{buttons}}, nil)
}

// Get returns the menu created through the API (查询菜单): /cgi-bin/menu/get. For a 公众号 the
// conditional menus are not returned.
func (s *MenuService) Get(ctx context.Context) ([]MenuButton, error) {
	q, err := s.query()
	if err != nil {
		return nil, err
	}
	var raw struct {
		Button []MenuButton `json:"button"` // WeCom
		Menu   *struct {
			Button []MenuButton `json:"button"`
		} `json:"menu"` // 公众号
	}
	if err := s.c.Do(ctx, &Request{Method: http.MethodGet, Path: "/cgi-bin/menu/get", Query: q}, &raw); err != nil {
		return nil, err
	}
	if raw.Menu != nil {
		return raw.Menu.Button, nil
	}
	return raw.Button, nil
}

// Current returns the menu in effect, whether set through the API or in the web console
// (获取自定义菜单配置, /cgi-bin/get_current_selfmenu_info), and whether the menu is switched on.
// 公众号 only.
func (s *MenuService) Current(ctx context.Context) (open bool, buttons []MenuButton, err error) {
	if err := s.c.Require(PlatformOfficialAccount, "Menu.Current"); err != nil {
		return false, nil, err
	}
	var raw struct {
		IsMenuOpen   flexInt `json:"is_menu_open"`
		SelfMenuInfo struct {
			Button []MenuButton `json:"button"`
		} `json:"selfmenu_info"`
	}
	if err := s.c.Do(ctx, &Request{Method: http.MethodGet, Path: "/cgi-bin/get_current_selfmenu_info"}, &raw); err != nil {
		return false, nil, err
	}
	return raw.IsMenuOpen == 1, raw.SelfMenuInfo.Button, nil
}

// Delete removes the menu (删除菜单), including a 公众号's conditional menus.
func (s *MenuService) Delete(ctx context.Context) error {
	q, err := s.query()
	if err != nil {
		return err
	}
	return s.c.Do(ctx, &Request{Method: http.MethodGet, Path: "/cgi-bin/menu/delete", Query: q}, nil)
}
