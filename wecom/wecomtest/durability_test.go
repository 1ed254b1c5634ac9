package wecomtest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qiwei-go/qiwei/wecom/wecomtest"
)

// copyState copies the state file and its journals as they are on disk now: what a process killed
// at this moment (kill -9) leaves behind, since every acknowledged write is already written.
func copyState(t testing.TB, state string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(state))
	names, err := filepath.Glob(state + "*")
	require.NoError(t, err)
	for _, n := range names {
		data, err := os.ReadFile(n)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dst+strings.TrimPrefix(n, state), data, 0o600))
	}
	return dst
}

// dump is everything a client can read back from the fake, to compare two fakes.
func dump(t *testing.T, srv *wecomtest.Server) map[string]any {
	t.Helper()
	c := newRaw(t, srv)
	tok := c.token()
	out := map[string]any{}
	for _, d := range srv.Docs() {
		out["doc "+d.DocID] = c.ok("POST", "/cgi-bin/wedoc/get_doc_base_info", tq(tok), map[string]any{"docid": d.DocID})
		for _, s := range d.Sheets {
			body := map[string]any{"docid": d.DocID, "sheet_id": s.SheetID}
			key := d.DocID + "/" + s.SheetID
			out["fields "+key] = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_fields", tq(tok), body)
			out["views "+key] = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_views", tq(tok), body)
			for offset := 0; offset < s.Records || offset == 0; offset += 1000 {
				body["offset"] = offset
				out[fmt.Sprintf("records %s %d", key, offset)] = c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(tok), body)
			}
		}
	}
	msgs := srv.Messages()
	for i := range msgs {
		msgs[i].Time = msgs[i].Time.UTC()
	}
	out["messages"] = msgs
	tickets := srv.QRTickets()
	slices.SortFunc(tickets, func(a, b wecomtest.QRTicket) int { return strings.Compare(a.Ticket, b.Ticket) })
	for i := range tickets {
		tickets[i].Expires = tickets[i].Expires.UTC()
	}
	out["tickets"] = tickets
	return out
}

// TestJournalKeepsEveryWrite changes every kind of persisted state, then loads a copy of the files
// taken while the fake is still running (as kill -9 would leave them), before and after a snapshot.
func TestJournalKeepsEveryWrite(t *testing.T) {
	state := filepath.Join(t.TempDir(), "fake.json")
	srv := newServer(t, wecomtest.WithStateFile(state))
	c := newRaw(t, srv)
	tok, mp := c.token(), c.mpToken()
	doc, sheet, _, _ := newDoc(c, tok)
	f := &sheetFixture{c: c, tok: tok, doc: doc, sheet: sheet}
	var media []string
	writes := func(round int) {
		ids := f.add(map[string]any{"款号": text(fmt.Sprintf("A-%d", round)), "库存": 1}, map[string]any{"款号": text("B"), "库存": 2},
			map[string]any{"款号": text("C"), "库存": 3})
		f.call("update_records", map[string]any{"records": []any{map[string]any{"record_id": ids[1], "values": map[string]any{"库存": 20}}}})
		f.call("delete_records", map[string]any{"record_ids": []string{ids[2]}})
		f.call("add_fields", map[string]any{"fields": []any{map[string]any{"field_title": fmt.Sprintf("颜色%d", round),
			"field_type": "FIELD_TYPE_SINGLE_SELECT", "property_single_select": map[string]any{}}}})
		f.call("update_records", map[string]any{"records": []any{map[string]any{"record_id": ids[0],
			"values": map[string]any{fmt.Sprintf("颜色%d", round): []any{map[string]any{"text": "棕"}}}}}})
		m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/add_sheet", tq(tok), map[string]any{"docid": doc, "properties": map[string]any{"title": fmt.Sprintf("表%d", round)}})
		added := m["properties"].(map[string]any)["sheet_id"].(string)
		c.ok("POST", "/cgi-bin/wedoc/smartsheet/update_sheet", tq(tok), map[string]any{"docid": doc, "properties": map[string]any{"sheet_id": added, "title": fmt.Sprintf("改名%d", round)}})
		c.ok("POST", "/cgi-bin/wedoc/image_upload", tq(tok), fixture(t, "wedoc/image_upload/request.json", "DOCID", doc))
		c.ok("POST", "/cgi-bin/qrcode/create", tq(mp), fixture(t, "qrcode/create/request_qr_limit_str_scene.json"))
		_, body := upload(t, c, "/cgi-bin/media/upload", tq(tok, "type", "file"), "notes.txt", []byte(fmt.Sprintf("media %d", round)))
		var up struct {
			MediaID string `json:"media_id"`
		}
		require.NoError(t, json.Unmarshal(body, &up))
		media = append(media, up.MediaID)
		srv.Follow(fmt.Sprintf("oFan%d", round))
		c.ok("POST", "/cgi-bin/message/template/send", tq(mp), map[string]any{"touser": fmt.Sprintf("oFan%d", round), "template_id": "t"})
		c.ok("POST", "/cgi-bin/menu/create", tq(mp), map[string]any{"button": []any{map[string]any{"type": "click", "name": fmt.Sprint(round), "key": "k"}}})
	}
	check := func() {
		t.Helper()
		live := dump(t, srv)
		loaded := newServer(t, wecomtest.WithStateFile(copyState(t, state)))
		assert.Equal(t, live, dump(t, loaded))
		for _, id := range media {
			data, _, found := loaded.Media(id)
			assert.True(t, found, id)
			assert.Contains(t, string(data), "media ")
		}
	}

	writes(1)
	check()
	m := f.call("get_fields", map[string]any{"field_titles": []string{"颜色1"}})
	gone := m["fields"].([]any)[0].(map[string]any)["field_id"].(string) // its cells must go too
	f.call("delete_fields", map[string]any{"field_ids": []string{gone}})
	require.NoError(t, srv.Save(), "a snapshot in the middle")
	writes(2)
	check()
	journals, err := filepath.Glob(state + ".journal.*")
	require.NoError(t, err)
	assert.Len(t, journals, 1, "the snapshot removed the journal it covers")
}

func TestJournalTornAndCorruptLines(t *testing.T) {
	state := filepath.Join(t.TempDir(), "fake.json")
	srv := wecomtest.NewServer(wecomtest.WithStateFile(state))
	c := newRaw(t, srv)
	tok := c.token()
	doc, sheet, _, _ := newDoc(c, tok)
	(&sheetFixture{c: c, tok: tok, doc: doc, sheet: sheet}).add(map[string]any{"库存": 1})
	copied, corrupt := copyState(t, state), copyState(t, state)
	srv.Close()
	journal := copied + ".journal.1"
	good, err := os.ReadFile(journal)
	require.NoError(t, err)

	// A write cut off by kill -9 was never acknowledged: it is dropped.
	require.NoError(t, os.WriteFile(journal, append(bytes.Clone(good), `{"docs":[{"docid":"dc`...), 0o600))
	h, err := wecomtest.NewHandler(wecomtest.WithStateFile(copied))
	require.NoError(t, err)
	n, err := h.RecordCount(doc, sheet)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, h.Close())

	// A damaged line followed by good ones is corruption: refuse to start rather than lose writes.
	require.NoError(t, os.WriteFile(corrupt+".journal.1", slices.Concat([]byte("{\"docs\":\n"), good), 0o600))
	_, err = wecomtest.NewHandler(wecomtest.WithStateFile(corrupt))
	assert.ErrorContains(t, err, "corrupt")
}

const helperStateEnv = "WECOMTEST_HELPER_STATE"

// TestHelperFakeProcess is the fake run as a child process by TestKill9KeepsAcknowledgedWrites.
func TestHelperFakeProcess(t *testing.T) {
	state := os.Getenv(helperStateEnv)
	if state == "" {
		t.Skip("the child process of TestKill9KeepsAcknowledgedWrites")
	}
	h, err := wecomtest.NewHandler(wecomtest.WithStateFile(state), wecomtest.WithSeed(uint64(time.Now().UnixNano())))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fmt.Printf("\nlistening http://%s\n", ln.Addr())
	_ = http.Serve(ln, h) // until killed
}

// TestKill9KeepsAcknowledgedWrites runs the fake in a child process, writes from several clients at
// once, kills the child with SIGKILL while writes are in flight, restarts it on the same state and
// finds every acknowledged write; three rounds on one state.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	state := filepath.Join(t.TempDir(), "fake.json")
	start := func() (*exec.Cmd, *wecomtest.Server) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFakeProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperStateEnv+"="+state)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, found := strings.CutPrefix(sc.Text(), "listening "); found {
				go func() { _, _ = io.Copy(io.Discard, out) }()
				return cmd, &wecomtest.Server{URL: u}
			}
		}
		t.Fatalf("child did not start: %v", sc.Err())
		return nil, nil
	}

	// allowed holds, per record, the values it may have after the kill: the acknowledged one, plus
	// the one of a write in flight (-1: deleted).
	type acked struct {
		doc, sheet string
		allowed    map[string][]float64
	}
	var all []acked
	for round := range 3 {
		cmd, child := start()
		c := newRaw(t, child)
		tok := c.token()
		doc, sheet, _, _ := newDoc(c, tok)
		var (
			mu    sync.Mutex
			got   = acked{doc: doc, sheet: sheet, allowed: map[string][]float64{}}
			count atomic.Int64
			wg    sync.WaitGroup
		)
		set := func(id string, v ...float64) {
			mu.Lock()
			got.allowed[id] = v
			mu.Unlock()
		}
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wc := &raw{t: t, srv: child, hc: &http.Client{Timeout: 5 * time.Second}}
				call := func(endpoint string, body map[string]any) []byte {
					body["docid"], body["sheet_id"] = doc, sheet
					status, data, err := wc.try("POST", "/cgi-bin/wedoc/smartsheet/"+endpoint, tq(tok), body)
					if err != nil || status != 200 || !bytes.Contains(data, []byte(`"errcode":0`)) {
						return nil // killed
					}
					return data
				}
				for i := 0; ; i++ {
					recs := make([]any, 50)
					for j := range recs {
						recs[j] = map[string]any{"values": map[string]any{"库存": w*1000 + j}}
					}
					data := call("add_records", map[string]any{"records": recs})
					var m struct {
						Records []struct {
							RecordID string `json:"record_id"`
						} `json:"records"`
					}
					if data == nil || json.Unmarshal(data, &m) != nil {
						return
					}
					for j, r := range m.Records {
						set(r.RecordID, float64(w*1000+j))
					}
					first, last := m.Records[0].RecordID, m.Records[len(m.Records)-1].RecordID
					set(first, float64(w*1000), float64(-i-7))
					if call("update_records", map[string]any{"records": []any{map[string]any{"record_id": first, "values": map[string]any{"库存": -i - 7}}}}) == nil {
						return
					}
					set(first, float64(-i-7))
					set(last, float64(w*1000+49), -1)
					if call("delete_records", map[string]any{"record_ids": []string{last}}) == nil {
						return
					}
					set(last, -1)
					count.Add(1)
				}
			}()
		}
		require.Eventually(t, func() bool { return count.Load() >= 20 }, 30*time.Second, time.Millisecond)
		require.NoError(t, cmd.Process.Kill()) // SIGKILL, with writes in flight
		_ = cmd.Wait()
		wg.Wait()
		all = append(all, got)
		t.Logf("round %d: %d acknowledged write rounds, %d records", round, count.Load(), len(got.allowed))
	}

	// Restart on the same state (in this process) and read everything back.
	srv := newServer(t, wecomtest.WithStateFile(state))
	c := newRaw(t, srv)
	tok := c.token()
	for _, a := range all {
		have := map[string]float64{}
		for offset := 0.0; ; {
			m := c.ok("POST", "/cgi-bin/wedoc/smartsheet/get_records", tq(tok), map[string]any{"docid": a.doc, "sheet_id": a.sheet, "offset": offset})
			for _, r := range m["records"].([]any) {
				rec := r.(map[string]any)
				have[rec["record_id"].(string)], _ = rec["values"].(map[string]any)["库存"].(float64)
			}
			if m["has_more"] != true {
				break
			}
			offset = m["next"].(float64)
		}
		lost := 0
		for id, allowed := range a.allowed {
			v, present := have[id]
			if !present {
				v = -1
			}
			if !slices.Contains(allowed, v) {
				lost++
				t.Errorf("record %s: 库存 %v (present %v), acknowledged or in flight: %v", id, v, present, allowed)
			}
		}
		assert.Zero(t, lost, "acknowledged records lost")
	}
}
