// Command vigil is Vigil's one binary: the server (vigil serve) and the
// command-line client of its API (vigil incident list, vigil alert send, ...).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what every command gets instead of globals, so tests can run
// commands in-process with their own environment and output.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		return 1
	}
	return 0
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Vigil: incident response for DevOps teams",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.SetErrPrefix("error:")
	root.AddCommand(
		newServeCmd(e),
		newVersionCmd(e),
		newAdminCmd(e),
		newIncidentCmd(e),
		newAlertCmd(e),
		newSilenceCmd(e),
		newMaintenanceCmd(e),
		newInhibitCmd(e),
		newRulesCmd(e),
		newRouteCmd(e),
		newGroupCmd(e),
		newServiceCmd(e),
		newIntegrationKeyCmd(e),
		newChangeCmd(e),
		newHeartbeatCmd(e),
		newUserCmd(e),
		newTeamCmd(e),
		newScheduleCmd(e),
		newPolicyCmd(e),
		newOnCallCmd(e),
		newPageCmd(e),
		newICalCmd(e),
		newApplyCmd(e),
		newExportCmd(e),
		newDevCmd(e),
		newReportCmd(e),
		newAuditCmd(e),
		newTokenCmd(e),
	)
	return root
}
