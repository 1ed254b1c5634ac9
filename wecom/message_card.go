package wecom

// CardType is a template card's card_type (模板卡片类型).
type CardType string

// Card types with typed fields here. Others (vote_interaction, multiple_interaction) can still be sent:
// they need fields this struct does not model, so use [Client.Do] for them.
const (
	CardTextNotice        CardType = "text_notice"        // 文本通知型
	CardNewsNotice        CardType = "news_notice"        // 图文展示型
	CardButtonInteraction CardType = "button_interaction" // 按钮交互型
)

// Template-card limits (模板卡片) as documented for app messages.
const (
	MaxCardHorizontalContents = 6 // horizontal_content_list
	MaxCardJumps              = 3 // jump_list
	MaxCardButtons            = 6 // button_list
	MaxCardVerticalContents   = 4 // vertical_content_list (news_notice)
	MaxCardTaskIDBytes        = 128
)

// TemplateCard is the template_card object of an app message or a group-robot message. Fill the
// fields that belong to CardType; the zero values are left out of the JSON.
type TemplateCard struct {
	CardType        CardType       `json:"card_type"`
	Source          *CardSource    `json:"source,omitempty"`
	MainTitle       *CardTitle     `json:"main_title,omitempty"`
	EmphasisContent *CardTitle     `json:"emphasis_content,omitempty"` // text_notice: big number + label
	QuoteArea       *CardQuoteArea `json:"quote_area,omitempty"`
	SubTitleText    string         `json:"sub_title_text,omitempty"`
	CardImage       *CardImage     `json:"card_image,omitempty"` // news_notice
	// VerticalContentList is news_notice's list of title/desc pairs under the image.
	VerticalContentList   []CardTitle             `json:"vertical_content_list,omitempty"`
	HorizontalContentList []CardHorizontalContent `json:"horizontal_content_list,omitempty"`
	JumpList              []CardJump              `json:"jump_list,omitempty"`
	CardAction            *CardAction             `json:"card_action,omitempty"`
	// TaskID identifies the card in template_card_event callbacks and updates; required for
	// button_interaction. ≤ 128 bytes of letters, digits and _-@.
	TaskID     string       `json:"task_id,omitempty"`
	ButtonList []CardButton `json:"button_list,omitempty"` // button_interaction, 1–6
}

// CardSource is the card's source line: an icon and a short text.
type CardSource struct {
	IconURL   string `json:"icon_url,omitempty"`
	Desc      string `json:"desc,omitempty"`
	DescColor int    `json:"desc_color,omitempty"` // 0 grey, 1 black, 2 red, 3 green
}

// CardTitle is a title with a description (main_title, emphasis_content, vertical_content_list items).
type CardTitle struct {
	Title string `json:"title,omitempty"`
	Desc  string `json:"desc,omitempty"`
}

// CardQuoteArea is the quoted block of a card.
type CardQuoteArea struct {
	Type      int    `json:"type,omitempty"` // 0 none, 1 URL, 2 mini program
	URL       string `json:"url,omitempty"`
	AppID     string `json:"appid,omitempty"`
	PagePath  string `json:"pagepath,omitempty"`
	Title     string `json:"title,omitempty"`
	QuoteText string `json:"quote_text,omitempty"`
}

// CardImage is news_notice's picture.
type CardImage struct {
	URL         string  `json:"url"`
	AspectRatio float64 `json:"aspect_ratio,omitempty"` // 1.3–2.25, default 1.3
}

// CardHorizontalContent is one "key: value" row.
type CardHorizontalContent struct {
	Type    int    `json:"type,omitempty"` // 0 text, 1 URL, 2 file (media_id), 3 member detail (userid)
	KeyName string `json:"keyname"`
	Value   string `json:"value,omitempty"`
	URL     string `json:"url,omitempty"`
	MediaID string `json:"media_id,omitempty"`
	UserID  string `json:"userid,omitempty"`
}

// CardJump is one link under the card.
type CardJump struct {
	Type     int    `json:"type,omitempty"` // 0 none, 1 URL, 2 mini program
	Title    string `json:"title"`
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// CardAction is what tapping the card does.
type CardAction struct {
	Type     int    `json:"type"` // 1 open URL, 2 open mini program
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// CardButton is a button of a button_interaction card. A click with Type 0 arrives as a
// template_card_event whose EventKey is Key.
type CardButton struct {
	Type  int    `json:"type,omitempty"` // 0 callback (Key), 1 open URL
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"` // 1–4
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
}

// validate checks what must hold for WeCom to accept the card.
func (tc *TemplateCard) validate(call string) error {
	if tc.CardType == "" {
		return invalidf(call, "Card.CardType", "empty")
	}
	if n := len(tc.HorizontalContentList); n > MaxCardHorizontalContents {
		return invalidf(call, "Card.HorizontalContentList", "more than %d entries (%d)", MaxCardHorizontalContents, n)
	}
	for i, h := range tc.HorizontalContentList {
		if h.KeyName == "" {
			return invalidf(call, "Card.HorizontalContentList", "entry %d has no KeyName", i)
		}
	}
	if n := len(tc.JumpList); n > MaxCardJumps {
		return invalidf(call, "Card.JumpList", "more than %d entries (%d)", MaxCardJumps, n)
	}
	if n := len(tc.VerticalContentList); n > MaxCardVerticalContents {
		return invalidf(call, "Card.VerticalContentList", "more than %d entries (%d)", MaxCardVerticalContents, n)
	}
	if a := tc.CardAction; a != nil {
		switch {
		case a.Type == 1 && a.URL == "":
			return invalidf(call, "Card.CardAction", "type 1 needs a URL")
		case a.Type == 2 && a.AppID == "":
			return invalidf(call, "Card.CardAction", "type 2 needs an AppID")
		case a.Type != 1 && a.Type != 2 && tc.CardType != CardButtonInteraction:
			return invalidf(call, "Card.CardAction", "type must be 1 (URL) or 2 (mini program), got %d", a.Type)
		}
	}
	if err := checkTaskID(call, tc.TaskID); err != nil {
		return err
	}
	switch tc.CardType {
	case CardTextNotice, CardNewsNotice:
		if tc.CardAction == nil {
			return invalidf(call, "Card.CardAction", "required for %s", tc.CardType)
		}
		if tc.CardType == CardNewsNotice && (tc.MainTitle == nil || tc.MainTitle.Title == "") {
			return invalidf(call, "Card.MainTitle", "required for news_notice")
		}
		if tc.CardType == CardTextNotice && (tc.MainTitle == nil || tc.MainTitle.Title == "") && tc.SubTitleText == "" {
			return invalidf(call, "Card.MainTitle", "text_notice needs MainTitle.Title or SubTitleText")
		}
	case CardButtonInteraction:
		if tc.TaskID == "" {
			return invalidf(call, "Card.TaskID", "required for button_interaction")
		}
		if n := len(tc.ButtonList); n == 0 || n > MaxCardButtons {
			return invalidf(call, "Card.ButtonList", "need 1–%d buttons, got %d", MaxCardButtons, n)
		}
		for i, b := range tc.ButtonList {
			switch {
			case b.Text == "":
				return invalidf(call, "Card.ButtonList", "button %d has no text", i)
			case b.Type == 0 && b.Key == "":
				return invalidf(call, "Card.ButtonList", "button %d (type 0) has no key", i)
			case b.Type == 1 && b.URL == "":
				return invalidf(call, "Card.ButtonList", "button %d (type 1) has no URL", i)
			}
		}
	}
	return nil
}

func checkTaskID(call, id string) error {
	if len(id) > MaxCardTaskIDBytes {
		return invalidf(call, "Card.TaskID", "longer than %d bytes (%d)", MaxCardTaskIDBytes, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '@') {
			return invalidf(call, "Card.TaskID", "only letters, digits and _-@ are allowed")
		}
	}
	return nil
}
