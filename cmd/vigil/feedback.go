package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// newIncidentFeedbackCmds are `incident noise`, `incident actionable` and
// `incident unmark`: a responder's verdict, counted by the noise report.
func newIncidentFeedbackCmds(e *env, o *clientOpts) []*cobra.Command {
	verdict := func(name, verdict, short string) *cobra.Command {
		return &cobra.Command{
			Use:     name + " ID",
			Short:   short,
			Example: fmt.Sprintf("  vigil incident %s 42", name),
			Args:    argsN(1, "one incident ID"),
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				id, err := parseID("incident", args[0])
				if err != nil {
					return err
				}
				c, err := o.client()
				if err != nil {
					return err
				}
				fb, err := c.SetIncidentFeedback(cmd.Context(), id, verdict)
				if err != nil {
					return err
				}
				if o.output == outputJSON {
					return writeJSON(e.stdout, fb)
				}
				if fb.Verdict == "" {
					fmt.Fprintf(e.stdout, "Incident #%d has no verdict now.\n", id)
				} else {
					fmt.Fprintf(e.stdout, "Incident #%d marked %s.\n", id, fb.Verdict)
				}
				return nil
			}),
		}
	}
	return []*cobra.Command{
		verdict("noise", vigil.VerdictNoise, "Mark an incident as noise: it was not worth anyone's attention"),
		verdict("actionable", vigil.VerdictActionable, "Mark an incident as actionable: someone had to act"),
		verdict("unmark", "", "Clear an incident's noise/actionable verdict"),
	}
}
