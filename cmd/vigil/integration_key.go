package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newIntegrationKeyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "integration-key",
		Aliases: []string{"integration-keys", "key", "keys"},
		Short:   "Manage the keys monitoring tools use to send alerts to a service",
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newIntegrationKeyCreateCmd(e, o), newIntegrationKeyListCmd(e, o), newIntegrationKeyRevokeCmd(e, o),
		newIntegrationKeyTestCmd(e, o), newIntegrationKeyRulesCmd(e, o))
	return cmd
}

func newIntegrationKeyCreateCmd(e *env, o *clientOpts) *cobra.Command {
	var service, name string
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create an integration key and print its secret (shown only once)",
		Example: `  vigil integration-key create --service payments --name prometheus`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			sid, err := resolveService(cmd.Context(), c, service)
			if err != nil {
				return err
			}
			k, err := c.CreateIntegrationKey(cmd.Context(), sid, name)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, k)
			}
			w := e.stdout
			fmt.Fprintf(w, "Created integration key %d (%s) for service %d.\n\n", k.ID, clean(k.Name), k.ServiceID)
			fmt.Fprintf(w, "Secret (shown only this once; store it now):\n\n  %s\n\n", clean(k.Secret))
			fmt.Fprintf(w, "Send a test alert:\n\n")
			fmt.Fprintf(w, "  curl -sS -X POST %s \\\n", shellQuote(c.BaseURL()+"/api/v1/events"))
			fmt.Fprintf(w, "    -H %s \\\n", shellQuote("Authorization: Bearer "+k.Secret))
			fmt.Fprintf(w, "    -H 'Content-Type: application/json' \\\n")
			fmt.Fprintf(w, "    -d '{\"summary\":\"Test alert from curl\",\"severity\":\"warning\",\"dedup_key\":\"vigil-test\"}'\n\n")
			fmt.Fprintf(w, "or: VIGIL_INTEGRATION_KEY=%s vigil alert send --summary \"Test alert\"\n", clean(k.Secret))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "the service (ID or name); required")
	f.StringVar(&name, "name", "default", "a name to tell the key apart (the sending tool)")
	return cmd
}

func newIntegrationKeyListCmd(e *env, o *clientOpts) *cobra.Command {
	var service string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a service's integration keys (without their secrets)",
		Args:  cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			sid, err := resolveService(cmd.Context(), c, service)
			if err != nil {
				return err
			}
			keys, err := c.ListIntegrationKeys(cmd.Context(), sid)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, keys)
			}
			if len(keys) == 0 {
				fmt.Fprintf(e.stderr, "Service %d has no integration keys. Create one with `vigil integration-key create --service %d`.\n", sid, sid)
				return nil
			}
			now := time.Now()
			t := newTable(e.stdout, "ID", "NAME", "PREFIX", "STATUS", "CREATED")
			for _, k := range keys {
				status := "active"
				if k.RevokedAt != nil {
					status = "revoked " + ago(*k.RevokedAt, now)
				}
				t.row(strconv.FormatInt(k.ID, 10), k.Name, k.Prefix+"…", status, ago(k.CreatedAt, now))
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVar(&service, "service", "", "the service (ID or name); required")
	return cmd
}

func newIntegrationKeyRevokeCmd(e *env, o *clientOpts) *cobra.Command {
	var service string
	cmd := &cobra.Command{
		Use:     "revoke KEY_ID",
		Short:   "Revoke an integration key: senders using it are refused from now on",
		Example: `  vigil integration-key revoke --service payments 7`,
		Args:    argsN(1, "one integration key ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			kid, err := parseID("integration key", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			sid, err := resolveService(cmd.Context(), c, service)
			if err != nil {
				return err
			}
			if err := c.RevokeIntegrationKey(cmd.Context(), sid, kid); err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"id": kid, "service_id": sid, "revoked": true})
			}
			fmt.Fprintf(e.stdout, "Revoked integration key %d of service %d.\n", kid, sid)
			return nil
		}),
	}
	cmd.Flags().StringVar(&service, "service", "", "the service (ID or name); required")
	return cmd
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func newIntegrationKeyTestCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		format, file string
		keyID        int64
	)
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Show what a sender's payload would become, without storing it",
		Long: `Reads a payload (a file, or standard input) as a sender would post it and
shows the alerts it would send and what would be refused. Nothing is stored.
Formats: native, alertmanager (webhook), alertmanager-api (POST /api/v2/alerts), pagerduty, pagerduty-v1, opsgenie.
With --key, the mapping rules of that integration key are applied too, and
what each rule changed is shown.`,
		Example: `  vigil integration-key test --format alertmanager --file webhook.json
  vigil integration-key test --format alertmanager --file webhook.json --key 7
  curl -s … | vigil integration-key test --format pagerduty`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				file = "-"
			}
			payload, err := readInput(e, file, maxSpecFile)
			if err != nil {
				return err
			}
			if !json.Valid(payload) {
				return fmt.Errorf("the payload is not valid JSON")
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			p, err := c.PreviewEventsForKey(cmd.Context(), keyID, format, payload)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, p)
			}
			t := newTable(e.stdout, "ACTION", "DEDUP KEY", "SEVERITY", "SUMMARY", "GROUP KEY")
			for _, ev := range p.Events {
				t.row(ev.Action, ev.DedupKey, string(ev.Severity), ev.Summary, ev.GroupKey)
			}
			if err := t.flush(); err != nil {
				return err
			}
			printRuleTraces(e.stdout, p.Events)
			for _, pe := range p.Errors {
				where := fmt.Sprintf("item %d", pe.Index)
				if pe.Field != "" {
					where += " (" + pe.Field + ")"
				}
				fmt.Fprintf(e.stdout, "refused: %s: %s\n", where, clean(pe.Message))
			}
			fmt.Fprintf(e.stderr, "%d alert(s) would be sent, %d part(s) refused; nothing was stored.\n", len(p.Events), len(p.Errors))
			return nil
		}),
	}
	cmd.Flags().StringVar(&format, "format", "native", "native, alertmanager, alertmanager-api, pagerduty, pagerduty-v1 or opsgenie")
	cmd.Flags().StringVarP(&file, "file", "f", "", "the payload file (default: standard input)")
	cmd.Flags().Int64Var(&keyID, "key", 0, "apply the mapping rules of this integration key (ID)")
	return cmd
}
