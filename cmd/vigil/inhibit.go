package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/matcher"
)

func newInhibitCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "inhibit",
		Aliases: []string{"inhibit-rule", "inhibit-rules", "inhibition"},
		Short:   "Mute alerts while a related alert fires (Alertmanager's inhibit_rules)",
		Long: `An inhibition rule mutes alerts while another fires: while an alert matching
the --source matchers fires (on any service), a new alert matching the
--target matchers that has the same values of the --equal labels is stored
and shown, naming the rule and the alert that muted it, but opens no
incident and pages no one. When the source stops firing, muted alerts still
firing open or join their incidents and page.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newInhibitAddCmd(e, o), newInhibitListCmd(e, o), newInhibitDeleteCmd(e, o))
	return cmd
}

// parseMatcherFlags checks matchers of a flag and writes them canonically.
func parseMatcherFlags(flag string, list []string) ([]string, error) {
	out := make([]string, 0, len(list))
	for _, s := range list {
		m, err := matcher.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("invalid %s %q: %v (write name=\"value\", name!=\"value\", name=~\"regex\" or name!~\"regex\")", flag, s, err)
		}
		out = append(out, m.String())
	}
	return out, nil
}

func newInhibitAddCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		in             client.InhibitRuleInput
		source, target []string
		equal          []string
	)
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Create an inhibition rule",
		Example: `  vigil inhibit add --source 'alertname="ClusterDown"' --target 'alertname=~"Node.*"' --equal cluster
  vigil inhibit add --name "critical mutes warning" --source 'severity="critical"' --target 'severity="warning"' --equal alertname,instance`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if len(source) == 0 || len(target) == 0 {
				return errors.New(`give --source and --target matchers, like --source 'alertname="ClusterDown"' --target 'alertname=~"Node.*"'`)
			}
			var err error
			if in.SourceMatchers, err = parseMatcherFlags("--source", source); err != nil {
				return err
			}
			if in.TargetMatchers, err = parseMatcherFlags("--target", target); err != nil {
				return err
			}
			for _, l := range equal {
				if l = strings.TrimSpace(l); l != "" {
					in.Equal = append(in.Equal, l)
				}
			}
			if strings.TrimSpace(in.Name) == "" {
				in.Name = truncate(strings.Join(in.SourceMatchers, " ")+" mutes "+strings.Join(in.TargetMatchers, " "), 50)
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			r, err := c.CreateInhibitRule(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, r)
			}
			fmt.Fprintf(e.stdout, "Inhibit rule %d %q created.\n", r.ID, r.Name)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "a name (default: from the matchers)")
	f.StringArrayVar(&source, "source", nil, `a matcher of the muting alert, like alertname="ClusterDown"; repeat for more (all must match)`)
	f.StringArrayVar(&target, "target", nil, `a matcher of the muted alerts, like alertname=~"Node.*"; repeat for more (all must match)`)
	f.StringSliceVar(&equal, "equal", nil, "labels source and target must share (comma-separated or repeated)")
	return cmd
}

func newInhibitListCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List inhibition rules by name",
		Args:  cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			items, err := c.ListInhibitRules(cmd.Context())
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No inhibit rules. Create one with `vigil inhibit add`.")
				return nil
			}
			t := newTable(e.stdout, "ID", "NAME", "SOURCE", "TARGET", "EQUAL")
			for _, r := range items {
				t.row(strconv.FormatInt(r.ID, 10), truncate(r.Name, 40), truncate(strings.Join(r.Source, " "), 50),
					truncate(strings.Join(r.Target, " "), 50), strings.Join(r.Equal, ","))
			}
			return t.flush()
		}),
	}
}

func newInhibitDeleteCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID...",
		Aliases: []string{"rm"},
		Short:   "Delete inhibition rules; the alerts they muted page unless something else holds them",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%s expects at least one inhibit rule ID; see --help", cmd.CommandPath())
			}
			return nil
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			ids := make([]int64, len(args))
			for i, a := range args {
				var err error
				if ids[i], err = parseID("inhibit rule", a); err != nil {
					return err
				}
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := c.DeleteInhibitRule(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Inhibit rule %d deleted.\n", id)
			}
			return nil
		}),
	}
}
