package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Channel settings come from the environment; a secret may come from the
// file KEY_FILE names; a bad port is refused by name.
func TestChannelsFromEnv(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "slack")
	if err := os.WriteFile(secretFile, []byte("xoxb-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"VIGIL_WEBHOOK_SECRET":       "whsec",
		"VIGIL_SLACK_TOKEN_FILE":     secretFile,
		"VIGIL_TWILIO_ACCOUNT_SID":   "AC123",
		"VIGIL_SMTP_HOST":            "mail.example.com",
		"VIGIL_SMTP_PORT":            "2525",
		"VIGIL_SLACK_SIGNING_SECRET": "slack-signing",
		"VIGIL_OUTBOUND_ALLOW":       "10.1.0.0/16, 127.0.0.1",
	}
	e := &env{getenv: func(k string) string { return vars[k] }}
	c, err := channelsFromEnv(e)
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhookSecret != "whsec" || c.SlackToken != "xoxb-from-file" || c.TwilioAccountSID != "AC123" || c.SMTPHost != "mail.example.com" || c.SMTPPort != 2525 ||
		c.SlackSigningSecret != "slack-signing" || fmt.Sprint(c.OutboundAllow) != "[10.1.0.0/16 127.0.0.1/32]" {
		t.Errorf("channels %+v", c)
	}
	vars["VIGIL_OUTBOUND_ALLOW"] = "intranet"
	if _, err := channelsFromEnv(e); err == nil || !strings.Contains(err.Error(), "VIGIL_OUTBOUND_ALLOW") {
		t.Errorf("bad allowlist: %v", err)
	}
	vars["VIGIL_OUTBOUND_ALLOW"] = ""
	vars["VIGIL_SMTP_PORT"] = "smtp"
	if _, err := channelsFromEnv(e); err == nil || !strings.Contains(err.Error(), "VIGIL_SMTP_PORT") {
		t.Errorf("bad port: %v", err)
	}
	vars["VIGIL_SMTP_PORT"] = ""
	vars["VIGIL_SLACK_TOKEN_FILE"] = filepath.Join(t.TempDir(), "missing")
	if _, err := channelsFromEnv(e); err == nil || !strings.Contains(err.Error(), "VIGIL_SLACK_TOKEN_FILE") {
		t.Errorf("missing secret file: %v", err)
	}
}
