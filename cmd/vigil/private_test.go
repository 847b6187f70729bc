package main

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestPrivateIncidentCommands: vigil incident private|public and the
// security group's members, against the real server.
func TestPrivateIncidentCommands(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	c := cliSession{t, map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}}
	cli, fails, must := c.in, c.fails, c.must

	cli("", "service", "create", "--name", "auth")
	must(cli("", "incident", "declare", "--service", "auth", "--title", "Token leak", "--severity", "critical"), `^Declared incident #1 `)
	must(cli("", "incident", "private", "#1"), `^Incident #1 made private \(status: triggered\): Token leak`)
	must(cli("", "incident", "show", "1"), `(?m)^Private:\s+yes`)
	must(cli("", "incident", "list"), `(?m)^#1\s.*\(private\) Token leak$`)
	must(cli("", "incident", "show", "1"), `(?m)visibility\s+admin\s+cli\s+Made private by admin via cli`)
	must(cli("", "incident", "public", "1"), `^Incident #1 made public`)
	fails("not found", "incident", "private", "99")

	ana, bo := &vigil.User{Name: "Ana", Email: "ana@example.com"}, &vigil.User{Name: "Bo", Email: "bo@example.com"}
	for _, u := range []*vigil.User{ana, bo} {
		if err := a.Store().CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	must(cli("", "group", "create", "--name", "Security", "--email", "sec@example.com", "--security", "--member", "ana@example.com"),
		`^Created stakeholder group 1: Security`)
	must(cli("", "group", "show", "security"), `(?m)^Security:\s+yes`)
	must(cli("", "group", "members", "Security", "ana@example.com", "Bo"), `^Security 1 \(security group\) has 2 members\.`)
	must(cli("", "group", "members", "Security", "--security=false"), `^Security 1 \(stakeholder group\) has 0 members\.`)
	fails("no user", "group", "members", "Security", "nobody@example.com")
}
