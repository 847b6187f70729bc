package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/manifest"
)

func newExportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the server's users, teams, schedules, escalation policies, services, maintenance windows and inhibit rules as YAML for vigil apply",
		Long: `Write the server's configuration as the YAML document vigil apply reads (see
vigil apply --help): every user with their contact methods and notification
rules, team, schedule, escalation policy, service, maintenance window (but
those that ended) and inhibit rule, with references by e-mail address and
name. Applying the output to the same server changes
nothing. Overrides, integration keys, incidents and API tokens are not part
of it.

The output holds contact-method addresses in full. Teams and webhook URLs are
credentials: keep the file private.`,
		Example: `  vigil export > oncall.yaml
  vigil export --url https://vigil.example.com | vigil apply -f - --url https://staging.example.com --dry-run`,
		Args: cobra.NoArgs,
	}
	o := &clientOpts{e: e, output: outputTable}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "Vigil server address (env "+envURL+", default "+defaultServerURL+")")
	f.StringVar(&o.token, "token", "", "API token (env "+envToken+"; prefer the environment: flags show in ps)")
	cmd.SetErrPrefix("error:")
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		c, err := o.client()
		if err != nil {
			return err
		}
		snap, err := fetchSnapshot(cmd.Context(), c)
		if err != nil {
			return err
		}
		out, err := manifest.Format(snap.Export())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "# Vigil configuration of %s, written by `vigil export`.\n", c.BaseURL())
		fmt.Fprintln(e.stdout, "# Apply it with `vigil apply -f FILE` (see vigil apply --help).")
		fmt.Fprintln(e.stdout, "# Contact-method addresses are in full; Teams and webhook URLs are credentials.")
		_, err = e.stdout.Write(out)
		return err
	})
	return cmd
}
