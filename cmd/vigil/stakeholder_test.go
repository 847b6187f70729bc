package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestStakeholdersAgainstRealServer runs the group and status update
// commands against the real server (no engine: the messages stay queued).
func TestStakeholdersAgainstRealServer(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	environ := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	c := cliSession{t, environ}
	cli, fails, must := c.in, c.fails, c.must

	cli("", "service", "create", "--name", "checkout")
	must(cli("", "incident", "declare", "--service", "checkout", "--title", "Checkout down", "--severity", "critical"), `^Declared incident #1 `)
	fails("no stakeholder group exists", "incident", "status-update", "1", "hello")

	must(cli("", "group", "create", "--name", "Customer support", "--slack", "C0123ABCD", "--email", "support@example.com", "--min-severity", "critical"),
		`^Created stakeholder group 1: Customer support with 2 channels; hears critical or worse\.`)
	must(cli("", "group", "create", "--name", "Executives", "--email", "exec@example.com", "--webhook", "https://hooks.example.com/exec/s3cr3t"),
		`^Created stakeholder group 2: Executives with 2 channels; hears when named\.`)
	fails("field: channels[0].address", "group", "create", "--name", "Legal", "--email", "legal at example")
	fails("--min-severity", "group", "create", "--name", "Legal", "--email", "legal@example.com", "--min-severity", "SEV1")
	fails("give at least one channel", "group", "create", "--name", "Legal")
	fails("already exists", "group", "create", "--name", "customer SUPPORT", "--email", "x@example.com")

	out := cli("", "group", "list")
	must(out, `(?m)^1\s+Customer support\s+critical or worse\s+slack C0123ABCD, email support@example.com$`)
	must(out, `(?m)^2\s+Executives\s+when named\s+email exec@example.com, webhook https://hooks.example.com/…$`)
	out = cli("", "group", "show", "executives")
	must(out, `(?m)^Stakeholder group 2: Executives$`)
	must(out, `(?m)^webhook\s+webhook\s+https://hooks.example.com/…$`)
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("group show reveals the webhook secret:\n%s", out)
	}
	fails("no stakeholder group named", "group", "show", "Legal")

	// By severity: Customer support only.
	out = cli("", "incident", "status-update", "#1", "We are rolling back.")
	must(out, `^Status update on incident #1 to Customer support: queued 2 messages\.`)
	must(out, `(?m)^Customer support\s+slack\s+slack\s+C0123ABCD\s+pending$`)
	// Named, from standard input.
	out = cli("Board call at 3.\n", "incident", "status-update", "1", "-", "--group", "EXECUTIVES", "-g", "customer support")
	must(out, `^Status update on incident #1 to Executives, Customer support: queued 4 messages\.`)
	fails("no stakeholder group is named \"Legal\" (field: groups[0])", "incident", "status-update", "1", "x", "--group", "Legal")
	fails("the update is empty", "incident", "status-update", "1", "  ")

	out = cli("", "incident", "status-updates", "1")
	if i, j := strings.Index(out, "Board call at 3."), strings.Index(out, "We are rolling back."); i < 0 || j < 0 || i > j {
		t.Errorf("updates not listed newest first:\n%s", out)
	}
	must(out, `(?m) by admin to Executives, Customer support:$`)
	var list []struct {
		Groups   []string `json:"groups"`
		Messages []struct {
			Kind        string `json:"kind"`
			DestAddress string `json:"dest_address"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(cli("", "incident", "status-updates", "1", "-o", "json")), &list); err != nil || len(list) != 2 ||
		len(list[0].Messages) != 4 || list[0].Messages[0].Kind != "status" {
		t.Errorf("JSON list %+v (%v)", list, err)
	}
	must(cli("", "incident", "show", "1"), `(?m)status_update\s+admin\s+\S+\s+Status update to Customer support: We are rolling back\.`)

	must(cli("", "group", "delete", "Executives"), `^Deleted stakeholder group 2: Executives\.`)
	fails("no stakeholder group named", "group", "delete", "Executives")
}
