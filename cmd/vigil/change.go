package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func newChangeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "change",
		Aliases: []string{"changes"},
		Short:   "List change events (deploys, config changes)",
		Long: `List the change events senders reported (PagerDuty's POST /v2/change/enqueue):
deploys and other changes, the first suspects when something breaks.
Connection: --url / VIGIL_URL and --token / VIGIL_TOKEN.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newChangeListCmd(e, o))
	return cmd
}

func newChangeListCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		service, since, until string
		offset, limit         int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List change events, newest first",
		Example: `  vigil change list --since 2h
  vigil change list --service checkout-api --since 2026-11-20 --until 2026-11-21
  vigil change list -o json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ctx, now := cmd.Context(), time.Now()
			q := client.ChangeQuery{Offset: offset, Limit: limit}
			if q.Since, q.Until, err = parseWindow(since, until, now); err != nil {
				return err
			}
			if service != "" {
				if q.ServiceID, err = resolveService(ctx, c, service); err != nil {
					return err
				}
			}
			items, total, err := c.ListChanges(ctx, q)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No change events found.")
				return nil
			}
			if err := printChanges(e.stdout, items, now); err != nil {
				return err
			}
			moreHint(e.stderr, len(items), offset, total, "change event")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "only changes of this service (ID or name)")
	f.StringVar(&since, "since", "", "only changes at or after: a duration back from now (30m, 2h, 7d) or an RFC 3339 time")
	f.StringVar(&until, "until", "", "only changes before: a duration back from now or an RFC 3339 time")
	f.IntVar(&offset, "offset", 0, "skip this many change events")
	f.IntVar(&limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many change events (max %d)", vigil.MaxPageSize))
	return cmd
}

// newIncidentChangesCmd is `vigil incident changes ID`: what changed on the
// incident's service in the hour before it opened.
func newIncidentChangesCmd(e *env, o *clientOpts) *cobra.Command {
	var offset, limit int
	cmd := &cobra.Command{
		Use:   "changes ID",
		Short: "List the changes of an incident's service in the hour before it opened",
		Example: `  vigil incident changes 42
  vigil incident changes '#42' -o json`,
		Args: argsN(1, "one incident ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("incident", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			items, total, err := c.IncidentChanges(cmd.Context(), id, offset, limit)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintf(e.stderr, "No changes reported for the service of incident #%d in the hour before it opened.\n", id)
				return nil
			}
			if err := printChanges(e.stdout, items, time.Now()); err != nil {
				return err
			}
			moreHint(e.stderr, len(items), offset, total, "change event")
			return nil
		}),
	}
	f := cmd.Flags()
	f.IntVar(&offset, "offset", 0, "skip this many change events")
	f.IntVar(&limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many change events (max %d)", vigil.MaxPageSize))
	return cmd
}

func printChanges(w io.Writer, items []*vigil.ChangeEvent, now time.Time) error {
	t := newTable(w, "AT", "AGE", "SERVICE", "SOURCE", "SUMMARY", "LINK")
	for _, c := range items {
		link := ""
		if len(c.Links) > 0 {
			link = c.Links[0].Href
		}
		t.row(c.Timestamp.UTC().Format(time.RFC3339), ago(c.Timestamp, now), strconv.FormatInt(c.ServiceID, 10),
			truncate(c.Source, 30), truncate(c.Summary, 80), truncate(link, 60))
	}
	return t.flush()
}
