package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/seal"
)

// TestCLIOutputCarriesNoSecrets (catalog H9): vigil serve started with
// every secret in its environment, then CLI commands against it (lists,
// a contact method with a webhook key, exports, a wrong token, help
// texts): neither serve's output (debug logs included) nor any command's
// output shows a secret.
func TestCLIOutputCarriesNoSecrets(t *testing.T) {
	keyText := seal.NewKeyText()
	secrets := map[string]string{
		"VIGIL_ADMIN_TOKEN":          "vgt_cliscanadmintoken0000000000000",
		"VIGIL_SLACK_TOKEN":          "xoxb-cli-scan-slack-1111",
		"VIGIL_SLACK_SIGNING_SECRET": "cli-scan-signing-2222",
		"VIGIL_TWILIO_AUTH_TOKEN":    "cli-scan-twilio-3333",
		"VIGIL_SMTP_PASSWORD":        "cli-scan-smtp-4444",
		"VIGIL_WEBHOOK_SECRET":       "cli-scan-webhook-5555",
		"VIGIL_SECRET_KEY":           keyText,
	}
	const hookKey = "cli-scan-hook-key-6666"
	environ := map[string]string{"VIGIL_DATA_DIR": t.TempDir(), "VIGIL_ADDR": "127.0.0.1:0", "VIGIL_LOG_LEVEL": "debug",
		"VIGIL_TWILIO_ACCOUNT_SID": "ACcli", "VIGIL_TWILIO_FROM": "+15550000000", "VIGIL_SMTP_HOST": "127.0.0.1",
		"VIGIL_SMTP_FROM": "vigil@example.com", "VIGIL_OUTBOUND_ALLOW": "127.0.0.0/8"}
	for k, v := range secrets {
		environ[k] = v
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, []string{"serve"}, getenvFrom(environ), nil, out, out) }()
	urlRe := regexp.MustCompile(`Web UI: (http://\S+?)/?\n`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(10 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve never printed its URL:\n%s", out.String())
	}
	cli := map[string]string{"VIGIL_URL": base, "VIGIL_TOKEN": secrets["VIGIL_ADMIN_TOKEN"]}
	type output struct{ what, text string }
	var outputs []output
	runCLI := func(env map[string]string, args ...string) result {
		t.Helper()
		r := vigilCLI(t, env, "", args...)
		outputs = append(outputs, output{strings.Join(args, " "), r.stdout + r.stderr})
		return r
	}
	wantOK(t, runCLI(cli, "user", "create", "--name", "Ana", "--email", "ana@example.com"))
	wantOK(t, runCLI(cli, "user", "contact", "add", "ana@example.com", "--type", "webhook", "--address", "https://hooks.example.com/"+hookKey))
	for _, args := range [][]string{
		{"user", "list"}, {"user", "contact", "list", "ana@example.com"}, {"service", "list"}, {"incident", "list"},
		{"audit"}, {"user", "contact", "list", "ana@example.com", "-o", "json"},
	} {
		runCLI(cli, args...)
	}
	if r := runCLI(map[string]string{"VIGIL_URL": base, "VIGIL_TOKEN": "vgt_wrongwrongwrong"}, "service", "list"); r.code == 0 {
		t.Error("a wrong token was accepted")
	}
	for _, args := range [][]string{{"serve", "--help"}, {"admin", "secrets", "rotate", "--help"}, {"--help"}} {
		var o, e bytes.Buffer
		run(context.Background(), args, getenvFrom(environ), nil, &o, &e)
		outputs = append(outputs, output{strings.Join(args, " "), o.String() + e.String()})
	}

	cancel()
	select {
	case <-exit:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	outputs = append(outputs, output{"serve", out.String()})
	for _, o := range outputs {
		for name, s := range secrets {
			if strings.Contains(o.text, s) {
				t.Errorf("%s shows %s", o.what, name)
			}
		}
		if strings.Contains(o.text, hookKey) {
			t.Errorf("%s shows the webhook key:\n%s", o.what, o.text)
		}
	}
}

// A database URL from the environment may hold a password: help texts,
// which show flag defaults, must not print it.
func TestHelpHidesDatabaseURL(t *testing.T) {
	env := getenvFrom(map[string]string{"VIGIL_DATABASE_URL": "postgres://vigil:db-password-7777@127.0.0.1:1/vigil"})
	for _, args := range [][]string{{"serve", "--help"}, {"admin", "token", "create", "--help"}, {"admin", "secrets", "rotate", "--help"}} {
		var o, e bytes.Buffer
		run(context.Background(), args, env, nil, &o, &e)
		if strings.Contains(o.String()+e.String(), "db-password-7777") {
			t.Errorf("%v prints the database password", args)
		}
		if !strings.Contains(o.String()+e.String(), "VIGIL_DATABASE_URL") {
			t.Errorf("%v no longer names the variable", args)
		}
	}
}
