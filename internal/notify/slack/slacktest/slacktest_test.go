package slacktest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify/slack/slacktest"
)

func post(t *testing.T, s *slacktest.Server, token, contentType string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"chat.postMessage", strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err) // not Fatal: called from goroutines too
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestFakeChecksRequests(t *testing.T) {
	s := slacktest.New(t, "tok")
	section := func(text string) map[string]any {
		return map[string]any{"channel": "C1", "text": "x", "blocks": []any{
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}},
		}}
	}
	tests := []struct {
		name        string
		token, ct   string
		body        any
		wantOK      bool
		wantErrCode string
	}{
		{"ok", "tok", "application/json", section("hi"), true, ""},
		{"wrong token", "nope", "application/json", section("hi"), false, "invalid_auth"},
		{"form body", "tok", "application/x-www-form-urlencoded", section("hi"), false, "invalid_arguments"},
		{"no channel", "tok", "application/json", map[string]any{"text": "x"}, false, "channel_not_found"},
		{"no text", "tok", "application/json", map[string]any{"channel": "C1"}, false, "no_text"},
		{"section too long", "tok", "application/json", section(strings.Repeat("é", 3001)), false, "invalid_blocks"},
		{"button label too long", "tok", "application/json", map[string]any{"channel": "C1", "text": "x", "blocks": []any{
			map[string]any{"type": "actions", "elements": []any{map[string]any{
				"type": "button", "action_id": "a", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("x", 76)},
			}}},
		}}, false, "invalid_blocks"},
	}
	for _, tt := range tests {
		status, out := post(t, s, tt.token, tt.ct, tt.body)
		if status != 200 || out["ok"] != tt.wantOK || (tt.wantErrCode != "" && out["error"] != tt.wantErrCode) {
			t.Errorf("%s: %d %v", tt.name, status, out)
		}
	}
	if got := len(s.Delivered()); got != 1 {
		t.Errorf("delivered %d, want 1", got)
	}
}

func TestWaitFor(t *testing.T) {
	s := slacktest.New(t, "tok")
	go func() {
		time.Sleep(20 * time.Millisecond)
		post(t, s, "tok", "application/json", map[string]any{"channel": "C1", "text": "x"})
	}()
	posts, err := s.WaitFor(1, 5*time.Second)
	if err != nil || len(posts) != 1 {
		t.Fatalf("%v, %d posts", err, len(posts))
	}
	if _, err := s.WaitFor(2, 20*time.Millisecond); err == nil {
		t.Error("WaitFor(2) should time out")
	}
}
