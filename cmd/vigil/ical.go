package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
)

// newICalCmd is `vigil ical`: calendar feeds of schedules and people, and
// their secret addresses for calendar apps.
func newICalCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ical",
		Aliases: []string{"calendar"},
		Short:   "Calendar feeds (iCalendar) of schedules and people, and their secret addresses",
		Long: `Print a calendar feed (the next 60 days of shifts, iCalendar), or with --url
its secret address: calendar apps (Google Calendar, Outlook, Apple Calendar)
subscribe to that address without signing in. Anyone who has an address can
read its feed until the addresses are rotated with ` + "`vigil ical rotate`" + `,
which revokes every one of them at once.`,
	}
	o := addClientFlags(cmd, e)
	var url bool
	feed := func(use, short string, find func(context.Context, *client.Client, string) (int64, error),
		read, address func(*client.Client, context.Context, int64) (string, error)) *cobra.Command {
		c := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  argsN(1, "one reference"),
			RunE: runE(func(cmd *cobra.Command, args []string) error {
				c, err := o.client()
				if err != nil {
					return err
				}
				id, err := find(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				get := read
				if url {
					get = address
				}
				out, err := get(c, cmd.Context(), id)
				if err != nil {
					return err
				}
				if url {
					out += "\n"
				}
				_, err = io.WriteString(e.stdout, out)
				return err
			}),
		}
		c.Flags().BoolVar(&url, "url", false, "print the feed's secret address instead of the feed")
		return c
	}
	scheduleID := func(_ context.Context, _ *client.Client, ref string) (int64, error) { return parseID("schedule", ref) }
	cmd.AddCommand(
		feed("schedule ID", "A schedule's feed, or with --url its secret address", scheduleID,
			(*client.Client).ScheduleICal, (*client.Client).ScheduleICalURL),
		feed("user USER", "A person's feed (their shifts on every schedule; USER is an ID, e-mail or name), or with --url its address",
			findUserID, (*client.Client).UserICal, (*client.Client).UserICalURL),
		&cobra.Command{
			Use:   "rotate",
			Short: "Revoke every calendar feed address (new addresses are issued from then on)",
			Args:  cobra.NoArgs,
			RunE: runE(func(cmd *cobra.Command, _ []string) error {
				c, err := o.client()
				if err != nil {
					return err
				}
				if err := c.RotateICalURLs(cmd.Context()); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "Every calendar feed address is revoked; ask for new ones with `vigil ical schedule|user REF --url`.")
				return nil
			}),
		},
	)
	return cmd
}
