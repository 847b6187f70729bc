package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func newReportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "report",
		Aliases: []string{"reports"},
		Short:   "Reports on alerts, incidents and pages",
		Long: `Reports on alerts, incidents and pages.

Connection: --url / VIGIL_URL and --token / VIGIL_TOKEN.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newReportNoiseCmd(e, o))
	return cmd
}

func newReportNoiseCmd(e *env, o *clientOpts) *cobra.Command {
	var since, until, tz string
	cmd := &cobra.Command{
		Use:   "noise",
		Short: "Alerts, incidents, pages and verdicts per service, integration key and rule, with suggestions",
		Long: `The noise report: per service, integration key and classification rule,
the alerts first seen and incidents opened in the range, the pages sent for
those incidents, how many paged incidents were acknowledged within 5
minutes of their first page, how many pages went out at night (22:00-07:00
in --tz), and how many incidents responders marked noise or actionable.
Then suggestions drawn from the counts (a silence, an inhibition, a longer
group window), each with the command that makes it.

The range defaults to the last 7 days; night is read in UTC unless --tz
names a zone.`,
		Example: `  vigil report noise
  vigil report noise --since 30d --tz Europe/Berlin
  vigil report noise --since 2026-03-01 --until 2026-04-01 -o json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			from, to, err := parseWindow(since, until, time.Now())
			if err != nil {
				return err
			}
			rep, err := c.NoiseReport(cmd.Context(), from, to, tz)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, rep)
			}
			return writeNoiseReport(e.stdout, rep)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "start of the range: a duration back from now (7d, 12h) or an RFC 3339 time or date (default: 7 days before --until)")
	f.StringVar(&until, "until", "", "end of the range: a duration back from now or an RFC 3339 time or date (default: now)")
	f.StringVar(&tz, "tz", "", "IANA time zone in which night (22:00-07:00) is read (default UTC)")
	return cmd
}

func writeNoiseReport(w io.Writer, r *vigil.NoiseReport) error {
	fmt.Fprintf(w, "Noise report %s to %s (night: %02d:00-%02d:00 %s)\n\n", r.Since.Format(time.RFC3339), r.Until.Format(time.RFC3339),
		vigil.NightStartHour, vigil.NightEndHour, clean(r.TimeZone))
	counts := func(c vigil.NoiseCounts) []string {
		out := []string{}
		for _, n := range []int{c.Alerts, c.Incidents, c.Pages, c.PagedIncidents, c.AckedQuickly, c.NightPages, c.Noise, c.Actionable} {
			out = append(out, strconv.Itoa(n))
		}
		return out
	}
	heads := []string{"ALERTS", "INCIDENTS", "PAGES", "PAGED", "ACK<5M", "NIGHT", "NOISE", "ACTIONABLE"}
	sections := []struct {
		title string
		rows  []vigil.NoiseRow
		key   bool
	}{{"SERVICE", r.Services, false}, {"INTEGRATION KEY", r.IntegrationKeys, true}, {"RULE", r.Rules, false}}
	for _, s := range sections {
		if len(s.rows) == 0 {
			fmt.Fprintf(w, "%s: none in this range.\n\n", s.title)
			continue
		}
		t := newTable(w, append([]string{s.title}, heads...)...)
		for _, row := range s.rows {
			name := row.Name
			if s.key {
				name = row.ServiceName + "/" + row.Name
			}
			t.row(append([]string{name}, counts(row.NoiseCounts)...)...)
		}
		if s.title == "SERVICE" {
			t.row(append([]string{"(all)"}, counts(r.Totals)...)...)
		}
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if len(r.Suggestions) == 0 {
		fmt.Fprintln(w, "No suggestions: nothing in this range crossed a threshold.")
		return nil
	}
	fmt.Fprintln(w, "Suggestions:")
	for i, s := range r.Suggestions {
		fmt.Fprintf(w, "%d. %s\n   %s\n   %s\n", i+1, clean(s.Title), clean(s.Reason), clean(s.Command))
	}
	return nil
}
