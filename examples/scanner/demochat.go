package main

import (
	_ "embed"
	"encoding/json"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

//go:embed demochat.html
var demoChatHTML string

var demoChatPage = template.Must(template.New("chat").Parse(demoChatHTML))

// demoSamples is how many demo bags the chat page offers as sample photos.
const demoSamples = 6

// demoChatTries are one-tap messages on the chat page: one-line registrations, a question the
// app asks back (a quantity), and the answers to it.
var demoChatTries = []string{"棕色托特包 ¥1,299 #", "１２９９元", "2个 1299#", "确认", "不对", "状态"}

// demoChatRoutes serves the chat simulator of demo mode (体验拍照入库): GET /demo/chat is the page,
// POST /demo/chat delivers messages through the fake exactly as WeCom would (encrypted callback to
// /wecom/callback), GET /demo/chat/replies reads the app's answers from the fake's recorded
// message/send calls, and GET /demo/photo/{n} shows the sample photos.
func demoChatRoutes(mux *http.ServeMux, fake *wecomtest.Handler, loc *time.Location, log *slog.Logger) {
	mux.HandleFunc("GET /demo/chat", func(w http.ResponseWriter, r *http.Request) {
		type sample struct {
			Index int
			Name  string
		}
		var samples []sample
		for i := range demoSamples {
			samples = append(samples, sample{i, demoBags[i].name})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = demoChatPage.Execute(w, map[string]any{"Members": demoMembers, "Samples": samples, "Tries": demoChatTries})
	})
	mux.HandleFunc("GET /demo/photo/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("n"), ".jpg"))
		if err != nil || n < 0 || n >= len(demoBags) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(bagPhoto(demoBags[n].rgb, n))
	})
	mux.HandleFunc("POST /demo/chat", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		user := r.PostForm.Get("user")
		if user == "" {
			user = "zhangsan"
		}
		if !isDemoMember(user) {
			http.Error(w, "未知成员 (unknown member)", http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		var err error
		if v := r.PostForm.Get("photo"); v != "" {
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 || n >= len(demoBags) {
				http.Error(w, "photo: 0–"+strconv.Itoa(len(demoBags)-1), http.StatusBadRequest)
				return
			}
			_, err = fake.SendMessage(ctx, wecomtest.Message{From: user, Type: "image", Image: bagPhoto(demoBags[n].rgb, n)})
		}
		for _, line := range strings.Split(r.PostForm.Get("text"), "\n") {
			if line = strings.TrimSpace(line); line != "" && err == nil {
				_, err = fake.SendMessage(ctx, wecomtest.Message{From: user, Type: "text", Content: line})
			}
		}
		if err != nil {
			log.Warn("demo chat", "err", err)
			http.Error(w, "发送失败 (delivery failed)", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	mux.HandleFunc("GET /demo/chat/replies", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		user := q.Get("user")
		all := fake.Messages(wecomtest.MessageApp)
		from, _ := strconv.Atoi(q.Get("since"))
		from = min(max(from, 0), len(all)) // never replays what a page has shown
		type reply struct {
			Time string `json:"time"`
			Text string `json:"text"`
		}
		out := []reply{}
		for _, m := range all[from:] {
			if !toUser(m.ToUser, user) {
				continue
			}
			out = append(out, reply{Time: m.Time.In(loc).Format(time.TimeOnly), Text: messageText(&m)})
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"next": len(all), "replies": out})
	})
}

func toUser(list, user string) bool {
	for _, u := range strings.Split(list, "|") {
		if u == user || u == "@all" {
			return true
		}
	}
	return false
}

// messageText renders a recorded app message as plain text: text as is, a text card as its title,
// description (tags stripped) and link.
func messageText(m *wecomtest.SentMessage) string {
	if m.Content != "" {
		return m.Content
	}
	var card struct {
		TextCard struct {
			Title, Description, URL string
		} `json:"textcard"`
	}
	if m.MsgType == "textcard" && m.Decode(&card) == nil {
		c := card.TextCard
		return "【" + c.Title + "】" + stripTags(c.Description) + "\n" + c.URL
	}
	return "[" + m.MsgType + "]"
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(strings.Join(strings.Fields(b.String()), " "))
}
