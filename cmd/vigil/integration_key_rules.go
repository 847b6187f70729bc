package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/mapping"
)

func newIntegrationKeyRulesCmd(e *env, o *clientOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Show or replace an integration key's mapping rules",
		Long: `Mapping rules rewrite a key's events before they are stored: each rule has a
name, an optional "when" condition and what it sets (service, severity,
summary, labels), written in the expr language. "rules get" prints them as
YAML; "rules set" reads the same YAML. Try them on a payload with
"vigil integration-key test --key ID".`,
	}
	cmd.AddCommand(newRulesGetCmd(e, o), newRulesSetCmd(e, o))
	return cmd
}

func newRulesGetCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "get KEY_ID",
		Short:   "Print a key's mapping rules as YAML (or JSON with -o json)",
		Example: `  vigil integration-key rules get 7 > rules.yaml`,
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
			rules, err := c.MappingRules(cmd.Context(), kid)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"integration_key_id": kid, "rules": rules})
			}
			if len(rules) == 0 {
				fmt.Fprintf(e.stderr, "Integration key %d has no mapping rules.\n", kid)
				return nil
			}
			doc, err := mapping.FormatRules(rules)
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(doc)
			return err
		}),
	}
}

func newRulesSetCmd(e *env, o *clientOpts) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "set KEY_ID -f rules.yaml",
		Short: "Replace a key's mapping rules with those of a YAML file (- for standard input)",
		Long: `Replaces all the key's rules. The server checks them first (expressions,
service names, label names) and refuses the whole file, naming the field at
fault, if one is wrong. An empty file removes the rules.`,
		Example: `  vigil integration-key rules set 7 -f rules.yaml
  vigil integration-key rules get 7 | sed s/warning/info/ | vigil integration-key rules set 7 -f -`,
		Args: argsN(1, "one integration key ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			kid, err := parseID("integration key", args[0])
			if err != nil {
				return err
			}
			doc, err := readInput(e, file, 1<<20)
			if err != nil {
				return err
			}
			rules, err := mapping.ParseRules(doc)
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			saved, err := c.SetMappingRules(cmd.Context(), kid, rules)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"integration_key_id": kid, "rules": saved})
			}
			if len(saved) == 0 {
				fmt.Fprintf(e.stdout, "Removed the mapping rules of integration key %d.\n", kid)
				return nil
			}
			fmt.Fprintf(e.stdout, "Saved %s for integration key %d.\n", plural(len(saved), "mapping rule"), kid)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the rules file (YAML; - for standard input); required")
	return cmd
}

// printRuleTraces shows, for previewed events that went through rules,
// which rules matched and what they changed.
func printRuleTraces(w io.Writer, events []client.PreviewEvent) {
	for i, ev := range events {
		if len(ev.Rules) == 0 && ev.MappingError == "" {
			continue
		}
		fmt.Fprintf(w, "\nevent %d (%s):\n", i, clean(ev.DedupKey))
		for _, r := range ev.Rules {
			state := "did not match"
			if r.Matched {
				state = "matched"
			}
			var changes []string
			for _, c := range r.Changes {
				changes = append(changes, fmt.Sprintf("%s %q → %q", c.Field, c.From, c.To))
			}
			line := fmt.Sprintf("  rule %d %s: %s", r.Rule, clean(r.Name), state)
			if len(changes) > 0 {
				line += "; " + strings.Join(changes, ", ")
			}
			if r.Stopped {
				line += "; later rules skipped"
			}
			fmt.Fprintln(w, clean(line))
			if r.Error != "" {
				fmt.Fprintf(w, "    error: %s\n", clean(r.Error))
			}
		}
		if ev.MappingError != "" {
			fmt.Fprintf(w, "  not mapped, stored as decoded: %s\n", clean(ev.MappingError))
		}
	}
}
