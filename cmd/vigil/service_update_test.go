package main

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestServiceTriageFlagsAgainstRealServer: the storm limit, flap control
// and auto-pause of a service set on create and update, shown, turned off
// with 0, and bad values refused naming the field.
func TestServiceTriageFlagsAgainstRealServer(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	c := cliSession{t, map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}}
	run, fails, must := c.run, c.fails, c.must

	run("service", "create", "--name", "web", "--storm-limit", "50", "--storm-window", "5m", "--auto-pause", "5m",
		"--flap-changes", "6")
	out := run("service", "show", "web")
	must(out, `(?m)^Storm limit:\s+50 incidents in 5m$`)
	must(out, `(?m)^Flap control:\s+more than 6 changes in 10m, quiet 15m$`)
	must(out, `(?m)^Auto-pause:\s+5m$`)

	out = run("service", "update", "web", "--flap-quiet", "30m", "--auto-pause", "10m")
	must(out, `^Updated service 1: web \(storm 50 incidents in 5m, flap more than 6 changes in 10m, quiet 30m, auto-pause 10m\)\.`)
	out = run("service", "update", "web", "--storm-limit", "0", "--flap-changes", "0", "--auto-pause", "0")
	must(out, `\(storm off, flap off, auto-pause off\)`)
	out = run("service", "show", "web", "-o", "json")
	must(out, `"flap": \{\s*"changes": 0`)
	must(out, `"storm": \{\s*"incidents": 0`)

	run("service", "create", "--name", "plain")
	must(run("service", "show", "plain"), `(?m)^Flap control:\s+server default$`)
	must(run("service", "show", "plain"), `(?m)^Storm limit:\s+20 incidents in 10m$`)

	fails("auto_pause", "service", "update", "web", "--auto-pause", "10s")
	fails("flap.window", "service", "update", "web", "--flap-changes", "3", "--flap-window", "1s")
	fails("grouping.storm.window", "service", "create", "--name", "x", "--storm-limit", "5", "--storm-window", "1s")
	fails("nothing to change", "service", "update", "web")
}
