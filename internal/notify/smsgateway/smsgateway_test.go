package smsgateway_test

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/smsgateway"
	"github.com/vigil-oss/vigil/internal/notify/smsgateway/smsgatewaytest"
)

const (
	apiKey = "APIKEY-5e2f9a"
	bearer = "Bearer TOKEN-77d1"
)

func message() notify.Message {
	return notify.Message{
		ID:         "msg-1",
		Kind:       notify.KindPage,
		IncidentID: 42,
		Title:      `disk "full" & <b>hot</b> 100%`,
		Severity:   "critical",
		Service:    "api",
		AckURL:     "https://vigil.example/a/tok1",
	}
}

func TestNewValidates(t *testing.T) {
	const okURL = "https://gw.example/send?to={{.To | urlquery}}"
	tests := []struct {
		name    string
		cfg     smsgateway.Config
		wantErr string // substring; "" means valid
	}{
		{"query params", smsgateway.Config{URLTemplate: okURL + "&text={{urlquery .Text}}&key=" + apiKey}, ""},
		{"path segment", smsgateway.Config{URLTemplate: "https://gw.example/send/{{.To | urlpath}}", BodyTemplate: "{{.Text}}", ContentType: "text/plain"}, ""},
		{"json body", smsgateway.Config{URLTemplate: okURL, BodyTemplate: `{"to":{{json .To}},"text":{{.Text | json}},"id":{{json .ID}}}`}, ""},
		{"form body", smsgateway.Config{URLTemplate: okURL, BodyTemplate: "to={{urlquery .To}}&text={{.Text | urlquery}}", ContentType: "application/x-www-form-urlencoded"}, ""},
		{"xml body", smsgateway.Config{URLTemplate: okURL, BodyTemplate: "<sms><to>{{xml .To}}</to><text>{{xml .Text}}</text></sms>", ContentType: "application/xml; charset=utf-8"}, ""},
		{"variables and branches", smsgateway.Config{URLTemplate: okURL, BodyTemplate: `{{$t := .Text}}{"text":{{if $t}}{{json $t}}{{else}}{{json "none"}}{{end}}}`}, ""},

		{"no URL", smsgateway.Config{}, "URLTemplate is required"},
		{"URL parse error", smsgateway.Config{URLTemplate: "https://gw.example/{{.To"}, "URLTemplate"},
		{"unescaped in URL", smsgateway.Config{URLTemplate: "https://gw.example/send?text={{.Text}}"}, "URLTemplate"},
		{"json escaper in URL", smsgateway.Config{URLTemplate: "https://gw.example/send?text={{json .Text}}"}, "URLTemplate"},
		{"escaper not last", smsgateway.Config{URLTemplate: `https://gw.example/?t={{urlquery .Text | printf "%s"}}`}, "URLTemplate"},
		{"dot in with", smsgateway.Config{URLTemplate: "https://gw.example/?t={{with .Text}}{{.}}{{end}}"}, "URLTemplate"},
		{"unknown field", smsgateway.Config{URLTemplate: "https://gw.example/?t={{urlquery .Phone}}"}, "URLTemplate"},
		{"not http", smsgateway.Config{URLTemplate: "ftp://gw.example/{{urlpath .To}}"}, "URLTemplate"},
		{"unescaped in JSON", smsgateway.Config{URLTemplate: okURL, BodyTemplate: `{"text":"{{.Text}}"}`}, "BodyTemplate"},
		{"json inside quotes", smsgateway.Config{URLTemplate: okURL, BodyTemplate: `{"text":"{{json .Text}}"}`}, "BodyTemplate"},
		{"urlquery in JSON", smsgateway.Config{URLTemplate: okURL, BodyTemplate: `{"text":"{{urlquery .Text}}"}`}, "BodyTemplate"},
		{"unescaped in form", smsgateway.Config{URLTemplate: okURL, BodyTemplate: "text={{.Text}}", ContentType: "application/x-www-form-urlencoded"}, "BodyTemplate"},
		{"GET with body", smsgateway.Config{Method: "get", URLTemplate: okURL, BodyTemplate: "x"}, "Method is GET"},
		{"bad method", smsgateway.Config{Method: "DELETE", URLTemplate: okURL}, "Method"},
		{"bad content type", smsgateway.Config{URLTemplate: okURL, BodyTemplate: "x", ContentType: "/"}, "ContentType"},
		{"bad header name", smsgateway.Config{URLTemplate: okURL, Headers: map[string]string{"Bad Name": "x"}}, "header name"},
		{"header injection", smsgateway.Config{URLTemplate: okURL, Headers: map[string]string{"Authorization": bearer + "\r\nX-Evil: 1"}}, "Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := smsgateway.New(tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New = %v, want error mentioning %q", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), bearer) || strings.Contains(err.Error(), "TOKEN")) {
				t.Errorf("error leaks a header value: %v", err)
			}
		})
	}
}

func TestSendJSON(t *testing.T) {
	srv := smsgatewaytest.New(t)
	s, err := smsgateway.New(smsgateway.Config{
		URLTemplate:  srv.URL + "/v1/send/{{urlpath .To}}?key=" + apiKey + "&ref={{urlquery .ID}}",
		BodyTemplate: `{"to":{{json .To}},"message":{{json .Text}}}`,
		Headers:      map[string]string{"Authorization": bearer},
	})
	if err != nil {
		t.Fatal(err)
	}
	to := notify.Destination{Type: "sms", Address: "+1 555/0100&x=y"}
	if _, err := s.Send(context.Background(), to, message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1/send/+1 555/0100&x=y" {
		t.Errorf("request line: %s %q", r.Method, r.Path)
	}
	if r.Query.Get("ref") != "msg-1" || r.Query.Get("key") != apiKey || len(r.Query) != 2 {
		t.Errorf("query: %v", r.Query)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "Authorization": bearer, "User-Agent": "Vigil"} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	var got struct{ To, Message string }
	if err := r.JSON(&got); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	want := `[Vigil] #42 critical: disk "full" & <b>hot</b> 100% (api) Ack: https://vigil.example/a/tok1`
	if got.To != to.Address || got.Message != want {
		t.Errorf("decoded body = %+v\nwant message %q", got, want)
	}
}

func TestSendFormAndXMLAndQuery(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(base string) smsgateway.Config
		decode func(r smsgatewaytest.Request) (to, text string, err error)
	}{
		{
			name: "query only, GET",
			cfg: func(base string) smsgateway.Config {
				return smsgateway.Config{Method: "GET", URLTemplate: base + "/send?to={{urlquery .To}}&text={{urlquery .Text}}"}
			},
			decode: func(r smsgatewaytest.Request) (string, string, error) {
				return r.Query.Get("to"), r.Query.Get("text"), nil
			},
		},
		{
			name: "form",
			cfg: func(base string) smsgateway.Config {
				return smsgateway.Config{URLTemplate: base + "/send", BodyTemplate: "to={{urlquery .To}}&text={{urlquery .Text}}", ContentType: "application/x-www-form-urlencoded"}
			},
			decode: func(r smsgatewaytest.Request) (string, string, error) {
				f, err := r.Form()
				return f.Get("to"), f.Get("text"), err
			},
		},
		{
			name: "xml",
			cfg: func(base string) smsgateway.Config {
				return smsgateway.Config{Method: "PUT", URLTemplate: base + "/send", BodyTemplate: "<sms><to>{{xml .To}}</to><text>{{xml .Text}}</text></sms>", ContentType: "text/xml"}
			},
			decode: func(r smsgatewaytest.Request) (string, string, error) {
				var v struct {
					To   string `xml:"to"`
					Text string `xml:"text"`
				}
				err := xml.Unmarshal(r.Body, &v)
				return v.To, v.Text, err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smsgatewaytest.New(t)
			s, err := smsgateway.New(tt.cfg(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			to := "+15550100&admin=1"
			if _, err := s.Send(context.Background(), notify.Destination{Address: to}, message()); err != nil {
				t.Fatal(err)
			}
			gotTo, gotText, err := tt.decode(srv.Requests()[0])
			if err != nil {
				t.Fatal(err)
			}
			if gotTo != to || gotText != smsgateway.Text(message()) {
				t.Errorf("decoded to=%q text=%q", gotTo, gotText)
			}
		})
	}
}

func TestText(t *testing.T) {
	m := message()
	m.Title = strings.Repeat("ß", 400)
	m.Late = 5 * time.Minute
	got := smsgateway.Text(m)
	if len(got) > smsgateway.MaxText || !utf8.ValidString(got) {
		t.Fatalf("len %d, valid %v", len(got), utf8.ValidString(got))
	}
	if !strings.HasSuffix(got, "[truncated] Ack: "+m.AckURL) {
		t.Errorf("link not kept whole after the cut: %q", got[len(got)-60:])
	}

	m = message()
	m.Late = 5 * time.Minute
	if got, want := smsgateway.Text(m), "[Vigil] #42 critical: "+m.Title+" (api) Sent 5m0s late: delivery was delayed. Ack: "+m.AckURL; got != want {
		t.Errorf("Text = %q\nwant   %q", got, want)
	}

	m.Kind = notify.KindResolve
	if got := smsgateway.Text(m); strings.Contains(got, "Ack:") {
		t.Errorf("resolve message offers ack: %q", got)
	}
	m.Kind = notify.KindPage
	m.AckURL = "https://vigil.example/" + strings.Repeat("x", 400)
	if got := smsgateway.Text(m); strings.Contains(got, "Ack:") || len(got) > smsgateway.MaxText {
		t.Errorf("overlong link: %q", got)
	}
}

func TestResponseClasses(t *testing.T) {
	tests := []struct {
		name       string
		reply      *smsgatewaytest.Reply // nil: connection refused
		wantErr    bool
		permanent  bool
		retryAfter time.Duration
		deadline   bool
	}{
		{name: "200", reply: &smsgatewaytest.Reply{Status: 200}},
		{name: "201", reply: &smsgatewaytest.Reply{Status: 201}},
		{name: "400", reply: &smsgatewaytest.Reply{Status: 400, Body: "invalid number"}, wantErr: true, permanent: true},
		{name: "401", reply: &smsgatewaytest.Reply{Status: 401}, wantErr: true, permanent: true},
		{name: "429 Retry-After", reply: &smsgatewaytest.Reply{Status: 429, RetryAfter: "120"}, wantErr: true, retryAfter: 2 * time.Minute},
		{name: "500", reply: &smsgatewaytest.Reply{Status: 500}, wantErr: true},
		{name: "503", reply: &smsgatewaytest.Reply{Status: 503}, wantErr: true},
		{name: "dropped", reply: &smsgatewaytest.Reply{Drop: true}, wantErr: true},
		{name: "hang", reply: &smsgatewaytest.Reply{Hang: true}, wantErr: true, deadline: true},
		{name: "connection refused", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smsgatewaytest.New(t)
			if tt.reply != nil {
				srv.Enqueue(*tt.reply)
			} else {
				srv.Close()
			}
			s, err := smsgateway.New(smsgateway.Config{
				URLTemplate:  srv.URL + "/send?key=" + apiKey + "&to={{urlquery .To}}",
				BodyTemplate: `{"text":{{json .Text}}}`,
				Headers:      map[string]string{"Authorization": bearer},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err = s.Send(ctx, notify.Destination{Address: "+15550100"}, message())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := notify.RetryAfterOf(err); got != tt.retryAfter {
				t.Errorf("RetryAfterOf = %v, want %v", got, tt.retryAfter)
			}
			if tt.deadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("want deadline error, got %v", err)
			}
			for _, leak := range []string{apiKey, bearer, "TOKEN"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks %q: %v", leak, err)
				}
			}
		})
	}
}

func TestBadDestinationIsPermanent(t *testing.T) {
	s, err := smsgateway.New(smsgateway.Config{URLTemplate: "http://127.0.0.1:1/?to={{urlquery .To}}"})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"", "+1555\n0100"} {
		if _, err := s.Send(context.Background(), notify.Destination{Address: addr}, message()); !notify.IsPermanent(err) {
			t.Errorf("%q: err = %v, want permanent", addr, err)
		}
	}
}
