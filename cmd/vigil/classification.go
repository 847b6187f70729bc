package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Classification and routing rules (`vigil rules ...`) and the route test
// (`vigil route test`).

func newRulesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rules",
		Aliases: []string{"classification", "classification-rules"},
		Short:   "Show, test and replace the classification and routing rules",
		Long: `The classification rules run, in order, on every alert before anything else
is decided. Each has a name, an optional "when" expression over the alert
(summary, severity, source, service, labels, details, hour, weekday,
business_hours) and what it sets: sev (SEV1-SEV4), priority (P1-P5), type
(outage, degradation, security, data, other), service or team (a route),
labels, urgency (low waits for business hours), notify (stakeholder
groups), private, or suppress. A later rule overrides an earlier one; stop
ends the list. Security incidents are P1 and private unless a rule says
otherwise. The file format (YAML or JSON):

  time_zone: Europe/Berlin
  rules:
    - name: payments-5xx
      when: service == "payments" && labels.code startsWith "5"
      set: {sev: SEV1, priority: P1, type: outage, notify: [Executives]}
    - name: dev-is-quiet
      when: labels.env == "dev"
      set: {suppress: true}`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newRulesShowCmd(e, o), newRulesReplaceCmd(e, o), newRulesBackTestCmd(e, o))
	return cmd
}

// readDocArg reads a file, or standard input for "-".
func readDocArg(e *env, file string) ([]byte, error) {
	return readInput(e, file, 4<<20)
}

// parseRuleFile reads a rule set document (mapping.ParseRuleSet, the
// parser of the /rules page too); unknown keys are errors.
func parseRuleFile(doc []byte) (mapping.RuleSetDoc, error) {
	f, err := mapping.ParseRuleSet(doc)
	if err != nil {
		return f, fmt.Errorf("the rules file does not read: %s", vigil.ErrorMessage(err))
	}
	return f, nil
}

func newRulesShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "get",
		Aliases: []string{"show"},
		Short:   "Print the rules as YAML (or JSON with -o json), and the rules that failed on alerts",
		Example: `  vigil rules get > rules.yaml`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			set, err := c.ClassificationRules(cmd.Context())
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, set)
			}
			doc, err := mapping.FormatRuleSet(set.TimeZone, set.Rules)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "# version %d\n", set.Version)
			if _, err := e.stdout.Write(doc); err != nil {
				return err
			}
			for _, b := range set.Broken {
				fmt.Fprintf(e.stderr, "broken: rule %s failed on %s (last %s): %s\n", clean(b.Rule), plural(int(b.Count), "alert"),
					b.LastAt.Format(time.RFC3339), clean(b.Error))
			}
			return nil
		}),
	}
}

func newRulesReplaceCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		file    string
		version int64
	)
	cmd := &cobra.Command{
		Use:   "set -f rules.yaml",
		Short: "Replace the rules with those of a file (- for standard input)",
		Long: `Replaces all the rules. The server checks them first (expressions, with the
position of a fault; service, team and group names; the time zone) and
refuses the whole file, naming the field at fault, if one is wrong. Try a
change first with "vigil rules backtest".`,
		Example: `  vigil rules set -f rules.yaml
  vigil rules set -f rules.yaml --version 4   # refuse if someone saved since version 4`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			doc, err := readDocArg(e, file)
			if err != nil {
				return err
			}
			f, err := parseRuleFile(doc)
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			set, err := c.SetClassificationRules(cmd.Context(), f.TimeZone, f.Rules, version)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, set)
			}
			fmt.Fprintf(e.stdout, "Saved %s (version %d, times in %s).\n", plural(len(set.Rules), "classification rule"), set.Version, set.TimeZone)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the rules file (YAML or JSON; - for standard input); required")
	cmd.Flags().Int64Var(&version, "version", 0, "refuse the save unless the rules are still at this version")
	return cmd
}

func newRulesBackTestCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		file         string
		since, until string
		days, limit  int
	)
	cmd := &cobra.Command{
		Use:   "backtest -f rules.yaml",
		Short: "Show how changed rules would have treated the stored alerts, before saving them",
		Long: `Replays the alerts first seen in the range (default: the last 7 days) through
the saved rules and through the file's, and lists every alert they treat
differently: pages added (an alert the saved rules suppress and the new
ones do not) and removed, and changed levels, priorities, types, routes,
urgencies and groups. Nothing is saved.`,
		Example: `  vigil rules backtest -f rules.yaml --days 30`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			doc, err := readDocArg(e, file)
			if err != nil {
				return err
			}
			f, err := parseRuleFile(doc)
			if err != nil {
				return err
			}
			in := vigil.BackTestInput{TimeZone: f.TimeZone, Rules: f.Rules, Limit: limit}
			if days > 0 {
				t := time.Now().Add(-time.Duration(days) * 24 * time.Hour)
				in.Since = &t
			}
			for _, p := range []struct {
				flag, v string
				dst     **time.Time
			}{{"--since", since, &in.Since}, {"--until", until, &in.Until}} {
				if p.v == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, p.v)
				if err != nil {
					return fmt.Errorf("%s: give a time like 2026-11-01T00:00:00Z", p.flag)
				}
				*p.dst = &t
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			res, err := c.BackTestRules(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, res)
			}
			fmt.Fprintf(e.stdout, "%s from %s to %s: %d treated differently; pages added %d, removed %d; rule failures %d.\n",
				plural(res.Alerts, "alert"), res.Since.Format(time.RFC3339), res.Until.Format(time.RFC3339),
				res.Changed, res.PagesAdded, res.PagesRemoved, res.Failures)
			if res.Truncated {
				fmt.Fprintln(e.stdout, "More alerts matched than the limit; only the first were replayed.")
			}
			if len(res.Changes) == 0 {
				return nil
			}
			t := newTable(e.stdout, "ALERT", "SERVICE", "KEY", "CHANGED", "BEFORE", "AFTER")
			for _, ch := range res.Changes {
				t.row(fmt.Sprint(ch.AlertID), truncate(ch.Service, 30), truncate(ch.DedupKey, 40),
					strings.Join(ch.Fields, ","), decisionText(ch.Before), decisionText(ch.After))
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the changed rules (YAML or JSON; - for standard input); required")
	cmd.Flags().StringVar(&since, "since", "", "first alert time (RFC 3339)")
	cmd.Flags().StringVar(&until, "until", "", "last alert time (RFC 3339; default now)")
	cmd.Flags().IntVar(&days, "days", 0, "the last N days (instead of --since)")
	cmd.Flags().IntVar(&limit, "limit", 0, "replay at most this many alerts (default and most 100000)")
	return cmd
}

// decisionText is a short form of a decision for a table cell.
func decisionText(d vigil.RuleDecision) string {
	var parts []string
	if d.Suppress {
		parts = append(parts, "suppressed")
	}
	for _, p := range []string{d.Level, d.Priority, d.Type, d.Urgency} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if d.Service != "" {
		parts = append(parts, "→"+d.Service)
	}
	if d.Team != "" {
		parts = append(parts, "→team "+d.Team)
	}
	if len(d.Notify) > 0 {
		parts = append(parts, "notify "+strings.Join(d.Notify, "+"))
	}
	if d.Private {
		parts = append(parts, "private")
	}
	if len(parts) == 0 {
		return "-"
	}
	return truncate(strings.Join(parts, " "), 60)
}

func newRouteCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "route",
		Short: "Try how Vigil would route and page an alert",
	}
	o := addClientFlags(cmd, e)
	var (
		file, format, at   string
		key, service, alID int64
	)
	test := &cobra.Command{
		Use:   "test",
		Short: "Dry-run a payload or a stored alert: every decision, and who would be paged when",
		Long: `Runs a sender's payload (as it would arrive on --key, with the key's mapping
rules, or on --service) or a stored alert (--alert) through ingest and the
escalation it would start, at --at (default now), and prints every decision:
the classification rules that applied, dedup, silences, maintenance
windows, inhibition, grouping, and each escalation step with whom it pages
and when. Nothing is stored and no one is paged.`,
		Example: `  vigil route test --key 7 -f alert.json
  vigil route test --key 3 --format alertmanager -f webhook.json --at 2026-11-22T03:00:00+01:00
  vigil route test --alert 1234`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			in := client.RouteTest{Format: format, IntegrationKeyID: key, ServiceID: service, AlertID: alID}
			if file != "" {
				doc, err := readDocArg(e, file)
				if err != nil {
					return err
				}
				if !json.Valid(doc) {
					return fmt.Errorf("the payload in %s is not JSON", file)
				}
				in.Payload = doc
			}
			if in.AlertID == 0 && len(in.Payload) == 0 {
				return fmt.Errorf("give a payload (-f FILE with --key or --service) or --alert ID")
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--at: give a time like 2026-11-22T03:00:00+01:00")
				}
				in.At = &t
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			res, err := c.RouteTest(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, res)
			}
			if res.Mapping != nil {
				for _, pe := range res.Mapping.Errors {
					fmt.Fprintf(e.stdout, "event %d refused: %s %s\n", pe.Index, clean(pe.Field), clean(pe.Message))
				}
				printRuleTraces(e.stdout, res.Mapping.Events)
			}
			if len(res.Runs) == 0 {
				fmt.Fprintln(e.stdout, "No trigger to route (acknowledge and resolve events are not routed).")
			}
			for i, run := range res.Runs {
				fmt.Fprintf(e.stdout, "\nalert %d: %q on %s at %s\n", i, clean(run.Result.DedupKey), clean(run.ServiceName), run.At.Format(time.RFC3339))
				for _, d := range run.Decisions {
					fmt.Fprintf(e.stdout, "  %s\n", clean(d))
				}
				for _, p := range run.Pages {
					fmt.Fprintf(e.stdout, "  at %s:\n", p.At.Format(time.RFC3339))
					for _, l := range p.Lines {
						fmt.Fprintf(e.stdout, "    %s\n", clean(l))
					}
				}
			}
			return nil
		}),
	}
	test.Flags().StringVarP(&file, "file", "f", "", "the payload (JSON; - for standard input)")
	test.Flags().StringVar(&format, "format", "", "the payload's format: native (default), alertmanager, alertmanager-api, pagerduty, pagerduty-v1, opsgenie")
	test.Flags().Int64Var(&key, "key", 0, "the integration key ID the payload arrives on (its service and mapping rules)")
	test.Flags().Int64Var(&service, "service", 0, "the service ID the payload goes to (without mapping rules)")
	test.Flags().Int64Var(&alID, "alert", 0, "replay this stored alert instead of a payload")
	test.Flags().StringVar(&at, "at", "", "when to run it (RFC 3339; default now)")
	cmd.AddCommand(test)
	return cmd
}
