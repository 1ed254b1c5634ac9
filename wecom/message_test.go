package wecom_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom"
)

// captured records the requests one endpoint received.
type captured struct {
	mu     sync.Mutex
	bodies [][]byte
	reqs   []*http.Request
}

func (c *captured) last(t testing.TB) ([]byte, *http.Request) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.reqs, "endpoint was not called")
	return c.bodies[len(c.bodies)-1], c.reqs[len(c.reqs)-1]
}

func (c *captured) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reqs)
}

// captureJSON registers a responder that records each request and answers the response fixture.
func captureJSON(t testing.TB, mt *httpmock.MockTransport, method, url, respFixture string) *captured {
	t.Helper()
	resp := fixture(t, respFixture)
	c := &captured{}
	mt.RegisterResponder(method, url, func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		c.mu.Lock()
		c.bodies = append(c.bodies, body)
		c.reqs = append(c.reqs, req)
		c.mu.Unlock()
		r := httpmock.NewBytesResponse(200, resp)
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		return r, nil
	})
	return c
}

// assertJSONFixture compares a request body with a request fixture, semantically.
func assertJSONFixture(t testing.TB, path string, body []byte) {
	t.Helper()
	assert.JSONEq(t, string(fixture(t, path)), string(body), "request body differs from %s", path)
}

const sendURL = testBase + "/cgi-bin/message/send"

func TestSendMessages(t *testing.T) {
	tests := []struct {
		name    string
		send    func(context.Context, *wecom.MessageService) (*wecom.SendResult, error)
		request string
		resp    string
		want    *wecom.SendResult
	}{
		{
			name: "text with options",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendText(ctx, &wecom.SendTextRequest{
					Recipients:  wecom.Recipients{ToUsers: []string{"zhangsan", "lisi"}, ToParties: []string{"1", "2"}},
					Content:     `你的快递已到，请携带工卡前往邮件中心领取。<a href="https://work.weixin.qq.com">详情</a>`,
					SendOptions: wecom.SendOptions{Safe: true, DuplicateCheck: true, DuplicateCheckInterval: 30 * time.Minute},
				})
			},
			request: "testdata/message_send/text_request.json",
			resp:    "testdata/message_send/ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID1"},
		},
		{
			name: "text, some recipients invalid",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendText(ctx, &wecom.SendTextRequest{
					Recipients:  wecom.Recipients{ToUsers: []string{"zhangsan", "lisi"}, ToParties: []string{"1", "2"}},
					Content:     `你的快递已到，请携带工卡前往邮件中心领取。<a href="https://work.weixin.qq.com">详情</a>`,
					SendOptions: wecom.SendOptions{Safe: true, DuplicateCheck: true, DuplicateCheckInterval: 1799500 * time.Millisecond},
				})
			},
			request: "testdata/message_send/text_request.json",
			resp:    "testdata/message_send/partial.json",
			want:    &wecom.SendResult{MsgID: "xxxx", ResponseCode: "xyz", InvalidUsers: []string{"userid1", "userid2"}},
		},
		{
			name: "markdown to everyone",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendMarkdown(ctx, &wecom.SendMarkdownRequest{Recipients: wecom.ToUsers("@all"),
					Content: "您的会议室已经预定\n>**事项详情**\n>会议室：<font color=\"info\">广州TIT 1楼 301</font>"})
			},
			request: "testdata/message_send/markdown_request.json",
			resp:    "testdata/message_send/ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID1"},
		},
		{
			name: "textcard",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.Recipients{ToTags: []string{"7"}}, Title: "领奖通知",
					Description: `<div class="gray">2016年9月26日</div><div class="highlight">请于2016年10月10日前联系行政同事领取</div>`,
					URL:         "https://work.weixin.qq.com/", ButtonText: "更多",
					SendOptions: wecom.SendOptions{EnableIDTrans: true}})
			},
			request: "testdata/message_send/textcard_request.json",
			resp:    "testdata/message_send/ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID1"},
		},
		{
			name: "textcard over the byte limits: shortened on a character boundary, outside tags",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers("u1"), Title: strings.Repeat("领", 43),
					Description: `<div class="gray">` + strings.Repeat("日", 160) + `</div><div class="highlight">` +
						strings.Repeat("请", 20) + `</div>`,
					URL: "https://work.weixin.qq.com/"})
			},
			request: "testdata/message_send/textcard_long_request.json",
			resp:    "testdata/message_send/ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID1"},
		},
		{
			name: "news",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendNews(ctx, &wecom.SendNewsRequest{Recipients: wecom.ToUsers("zhangsan"), Articles: []wecom.NewsArticle{
					{Title: "中秋节礼品领取", Description: "今年中秋节公司有豪礼相送", URL: "https://work.weixin.qq.com/",
						PicURL: "https://res.mail.qq.com/node/ww/wwopenmng/images/independent/doc/test_pic_msg1.png"},
					{Title: "小程序", AppID: "wx123123123123123", PagePath: "pages/index?userid=zhangsan&orderid=123123123"},
				}})
			},
			request: "testdata/message_send/news_request.json",
			resp:    "testdata/message_send/ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID1"},
		},
		{
			name: "template card text_notice",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendTemplateCard(ctx, &wecom.SendTemplateCardRequest{Recipients: wecom.ToUsers("zhangsan"), Card: wecom.TemplateCard{
					CardType:        wecom.CardTextNotice,
					Source:          &wecom.CardSource{IconURL: "https://wework.qpic.cn/wwpic/252813_jOfDHtcISzuodLa_1629280209/0", Desc: "企业微信", DescColor: 1},
					MainTitle:       &wecom.CardTitle{Title: "欢迎使用企业微信", Desc: "您的好友正在邀请您加入企业微信"},
					EmphasisContent: &wecom.CardTitle{Title: "100", Desc: "核心数据"},
					SubTitleText:    "下载企业微信还能抢红包！",
					HorizontalContentList: []wecom.CardHorizontalContent{
						{KeyName: "邀请人", Value: "张三"},
						{Type: 1, KeyName: "官网", Value: "点击访问", URL: "https://work.weixin.qq.com"},
					},
					JumpList:   []wecom.CardJump{{Type: 1, Title: "企业微信官网", URL: "https://work.weixin.qq.com"}},
					CardAction: &wecom.CardAction{Type: 1, URL: "https://work.weixin.qq.com"},
					TaskID:     "task_id_1",
				}})
			},
			request: "testdata/message_send/template_card_text_notice_request.json",
			resp:    "testdata/message_send/template_card_ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID2", ResponseCode: "RESPONSE_CODE"},
		},
		{
			name: "template card news_notice",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendTemplateCard(ctx, &wecom.SendTemplateCardRequest{Recipients: wecom.ToUsers("zhangsan"), Card: wecom.TemplateCard{
					CardType:            wecom.CardNewsNotice,
					Source:              &wecom.CardSource{Desc: "企业微信"},
					MainTitle:           &wecom.CardTitle{Title: "欢迎使用企业微信"},
					CardImage:           &wecom.CardImage{URL: "https://wework.qpic.cn/wwpic/354393_4zpkKXd7SrGMvfg_1629280616/0", AspectRatio: 2.25},
					VerticalContentList: []wecom.CardTitle{{Title: "惊喜红包等你来拿", Desc: "下载企业微信还能抢红包！"}},
					CardAction:          &wecom.CardAction{Type: 2, AppID: "wx123123123123123", PagePath: "pages/index"},
				}})
			},
			request: "testdata/message_send/template_card_news_notice_request.json",
			resp:    "testdata/message_send/template_card_ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID2", ResponseCode: "RESPONSE_CODE"},
		},
		{
			name: "template card button_interaction",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendTemplateCard(ctx, &wecom.SendTemplateCardRequest{Recipients: wecom.ToUsers("zhangsan"), Card: wecom.TemplateCard{
					CardType:              wecom.CardButtonInteraction,
					MainTitle:             &wecom.CardTitle{Title: "补货申请", Desc: "款号 BAG-001 库存不足"},
					HorizontalContentList: []wecom.CardHorizontalContent{{KeyName: "库存", Value: "1"}},
					TaskID:                "restock-BAG-001",
					ButtonList: []wecom.CardButton{{Text: "批准", Style: 1, Key: "approve"},
						{Text: "驳回", Style: 2, Key: "reject"}},
				}, SendOptions: wecom.SendOptions{DuplicateCheck: true}})
			},
			request: "testdata/message_send/template_card_button_request.json",
			resp:    "testdata/message_send/template_card_ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID2", ResponseCode: "RESPONSE_CODE"},
		},
		{
			name: "image by media id",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendMedia(ctx, &wecom.SendMediaRequest{Recipients: wecom.ToUsers("zhangsan"), Type: wecom.MediaImage,
					MediaID: "MEDIA_ID", SendOptions: wecom.SendOptions{Safe: true}})
			},
			request: "testdata/message_send/image_request.json",
			resp:    "testdata/message_send/ok.json",
			want:    &wecom.SendResult{MsgID: "MSGID1"},
		},
		{
			name: "lenient response: arrays, numbers, trailing separator",
			send: func(ctx context.Context, s *wecom.MessageService) (*wecom.SendResult, error) {
				return s.SendMedia(ctx, &wecom.SendMediaRequest{Recipients: wecom.ToUsers("zhangsan"), Type: wecom.MediaImage,
					MediaID: "MEDIA_ID", SendOptions: wecom.SendOptions{Safe: true}})
			},
			request: "testdata/message_send/image_request.json",
			resp:    "testdata/message_send/lenient.json",
			want: &wecom.SendResult{MsgID: "12345", InvalidUsers: []string{"u1", "u2"}, InvalidParties: []string{"2"},
				UnlicensedUsers: []string{"u3"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			rec := captureJSON(t, mt, http.MethodPost, sendURL, tt.resp)
			got, err := tt.send(t.Context(), c.Messages())
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.InvalidUsers == nil && tt.want.InvalidParties == nil && tt.want.UnlicensedUsers == nil,
				got.AllDelivered())
			body, req := rec.last(t)
			assertJSONFixture(t, tt.request, body)
			assert.Equal(t, "ACCESS_TOKEN", req.URL.Query().Get("access_token"))
			assert.Equal(t, 1, rec.count())
		})
	}
}

func TestSendMessageValidation(t *testing.T) {
	long := strings.Repeat("a", wecom.MaxTextBytes+1)
	articles := make([]wecom.NewsArticle, 9)
	for i := range articles {
		articles[i] = wecom.NewsArticle{Title: "t", URL: "https://x"}
	}
	okCard := wecom.TemplateCard{CardType: wecom.CardTextNotice, MainTitle: &wecom.CardTitle{Title: "t"},
		CardAction: &wecom.CardAction{Type: 1, URL: "https://x"}}
	withCard := func(mod func(*wecom.TemplateCard)) func(context.Context, *wecom.MessageService) error {
		return func(ctx context.Context, s *wecom.MessageService) error {
			card := okCard
			mod(&card)
			_, err := s.SendTemplateCard(ctx, &wecom.SendTemplateCardRequest{Recipients: wecom.ToUsers("u"), Card: card})
			return err
		}
	}
	button := func(mod func(*wecom.TemplateCard)) func(context.Context, *wecom.MessageService) error {
		return withCard(func(tc *wecom.TemplateCard) {
			*tc = wecom.TemplateCard{CardType: wecom.CardButtonInteraction, TaskID: "t1",
				ButtonList: []wecom.CardButton{{Text: "ok", Key: "k"}}}
			mod(tc)
		})
	}
	text := func(req wecom.SendTextRequest) func(context.Context, *wecom.MessageService) error {
		return func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendText(ctx, &req)
			return err
		}
	}
	tests := []struct {
		name, field string
		call        func(context.Context, *wecom.MessageService) error
	}{
		{"nil request", "request", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendText(ctx, nil)
			return err
		}},
		{"empty text", "Content", text(wecom.SendTextRequest{Recipients: wecom.ToUsers("u")})},
		{"text over 2048 bytes", "Content", text(wecom.SendTextRequest{Recipients: wecom.ToUsers("u"), Content: long})},
		{"no recipients", "ToUsers", text(wecom.SendTextRequest{Content: "hi"})},
		{"recipient with separator", "ToUsers", text(wecom.SendTextRequest{Recipients: wecom.ToUsers("a|b"), Content: "hi"})},
		{"empty party id", "ToParties", text(wecom.SendTextRequest{Recipients: wecom.Recipients{ToParties: []string{""}}, Content: "hi"})},
		{"negative duplicate window", "DuplicateCheckInterval", text(wecom.SendTextRequest{Recipients: wecom.ToUsers("u"), Content: "hi",
			SendOptions: wecom.SendOptions{DuplicateCheck: true, DuplicateCheckInterval: -time.Second}})},
		{"empty markdown", "Content", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendMarkdown(ctx, &wecom.SendMarkdownRequest{Recipients: wecom.ToUsers("u")})
			return err
		}},
		{"textcard button text over 4 chars", "ButtonText", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers("u"), Title: "t", Description: "d",
				URL: "https://x", ButtonText: "查看详情啊"})
			return err
		}},
		{"textcard title over 128 bytes, RejectTooLong", "Title", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers("u"), Title: strings.Repeat("标", 43),
				Description: "d", URL: "https://x", RejectTooLong: true})
			return err
		}},
		{"textcard description over 512 bytes, RejectTooLong", "Description", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers("u"), Title: "t",
				Description: strings.Repeat("a", 513), URL: "https://x", RejectTooLong: true})
			return err
		}},
		{"textcard without title", "Title", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers("u"), Description: "d", URL: "https://x"})
			return err
		}},
		{"textcard without url", "URL", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendTextCard(ctx, &wecom.SendTextCardRequest{Recipients: wecom.ToUsers("u"), Title: "t", Description: "d"})
			return err
		}},
		{"no articles", "Articles", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendNews(ctx, &wecom.SendNewsRequest{Recipients: wecom.ToUsers("u")})
			return err
		}},
		{"nine articles", "Articles", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendNews(ctx, &wecom.SendNewsRequest{Recipients: wecom.ToUsers("u"), Articles: articles})
			return err
		}},
		{"article without title", "Articles", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendNews(ctx, &wecom.SendNewsRequest{Recipients: wecom.ToUsers("u"), Articles: []wecom.NewsArticle{{URL: "https://x"}}})
			return err
		}},
		{"card without type", "Card.CardType", withCard(func(tc *wecom.TemplateCard) { tc.CardType = "" })},
		{"text_notice without action", "Card.CardAction", withCard(func(tc *wecom.TemplateCard) { tc.CardAction = nil })},
		{"text_notice without title", "Card.MainTitle", withCard(func(tc *wecom.TemplateCard) { tc.MainTitle = nil })},
		{"action URL missing", "Card.CardAction", withCard(func(tc *wecom.TemplateCard) { tc.CardAction = &wecom.CardAction{Type: 1} })},
		{"seven horizontal rows", "Card.HorizontalContentList", withCard(func(tc *wecom.TemplateCard) {
			tc.HorizontalContentList = make([]wecom.CardHorizontalContent, 7)
		})},
		{"four jumps", "Card.JumpList", withCard(func(tc *wecom.TemplateCard) { tc.JumpList = make([]wecom.CardJump, 4) })},
		{"bad task id", "Card.TaskID", withCard(func(tc *wecom.TemplateCard) { tc.TaskID = "has space" })},
		{"button card without task id", "Card.TaskID", button(func(tc *wecom.TemplateCard) { tc.TaskID = "" })},
		{"button card without buttons", "Card.ButtonList", button(func(tc *wecom.TemplateCard) { tc.ButtonList = nil })},
		{"seven buttons", "Card.ButtonList", button(func(tc *wecom.TemplateCard) {
			tc.ButtonList = make([]wecom.CardButton, 7)
		})},
		{"callback button without key", "Card.ButtonList", button(func(tc *wecom.TemplateCard) {
			tc.ButtonList = []wecom.CardButton{{Text: "ok"}}
		})},
		{"media of unknown type", "Type", func(ctx context.Context, s *wecom.MessageService) error {
			_, err := s.SendMedia(ctx, &wecom.SendMediaRequest{Recipients: wecom.ToUsers("u"), Type: wecom.MediaVideo, MediaID: "m"})
			return err
		}},
		{"recall without id", "msgID", func(ctx context.Context, s *wecom.MessageService) error {
			return s.Recall(ctx, "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMocked(t)
			err := tt.call(t.Context(), c.Messages())
			require.ErrorIs(t, err, wecom.ErrInvalidRequest)
			var ve *wecom.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.Zero(t, mt.GetTotalCallCount(), "nothing may be sent")
		})
	}
}

func TestSendMessageClientKind(t *testing.T) {
	req := &wecom.SendTextRequest{Recipients: wecom.ToUsers("u"), Content: "hi"}

	mt := httpmock.NewMockTransport()
	noAgent, err := wecom.New("corp", "secret", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	_, err = noAgent.Messages().SendText(t.Context(), req)
	assert.ErrorIs(t, err, wecom.ErrNoAgentID)

	mp, err := wecom.NewOfficialAccount("wxappid", "secret", wecom.WithBaseURL(testBase), wecom.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	_, err = mp.Messages().SendText(t.Context(), req)
	assert.ErrorIs(t, err, wecom.ErrWeComOnly)
	assert.ErrorIs(t, mp.Messages().Recall(t.Context(), "m"), wecom.ErrWeComOnly)
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestSendMessageAPIError(t *testing.T) {
	c, mt := newMocked(t)
	rec := captureJSON(t, mt, http.MethodPost, sendURL, "testdata/message_send/81013.json")
	_, err := c.Messages().SendText(t.Context(), &wecom.SendTextRequest{Recipients: wecom.ToUsers("nobody"), Content: "hi"})
	assert.ErrorIs(t, err, wecom.ErrCode(81013))
	var ae *wecom.APIError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "/cgi-bin/message/send", ae.Path)
	assert.Equal(t, 1, rec.count(), "a POST that WeCom answered is never resent")
}

func TestRecall(t *testing.T) {
	c, mt := newMocked(t)
	rec := captureJSON(t, mt, http.MethodPost, testBase+"/cgi-bin/message/recall", "testdata/message_recall/ok.json")
	require.NoError(t, c.Messages().Recall(t.Context(), "vcT8gGc-7dFb4bxT35ONjBDz901sLlXPZw1DAMC_Gc26qRpK-AK5sTJkkb0128t"))
	body, _ := rec.last(t)
	assertJSONFixture(t, "testdata/message_recall/request.json", body)
}
