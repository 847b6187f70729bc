package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func newHeartbeatCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "heartbeat",
		Aliases: []string{"heartbeats", "hb"},
		Short:   "Manage heartbeats (jobs that must check in)",
		Long: `Manage heartbeats: a job promises to ping its heartbeat at least once per
interval; when an enabled heartbeat misses its interval it expires and
raises an alert on its service, and the next ping resolves that alert.

Jobs ping with their service's integration key, as with Opsgenie:
  curl -X POST $VIGIL_URL/v2/heartbeats/NAME/ping -H "Authorization: GenieKey $KEY"
or "vigil heartbeat ping --name NAME" with VIGIL_INTEGRATION_KEY set.
The other commands use an API token (--token or VIGIL_TOKEN).`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newHeartbeatListCmd(e, o), newHeartbeatCreateCmd(e, o), newHeartbeatDeleteCmd(e, o), newHeartbeatPingCmd(e, o))
	return cmd
}

func newHeartbeatListCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		service       string
		offset, limit int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List a service's heartbeats with their state and last ping",
		Example: `  vigil heartbeat list --service checkout-api`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			id, err := resolveService(cmd.Context(), c, service)
			if err != nil {
				return err
			}
			items, total, err := c.ListHeartbeats(cmd.Context(), id, offset, limit)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No heartbeats on this service. Create one with `vigil heartbeat create`.")
				return nil
			}
			now := time.Now()
			t := newTable(e.stdout, "ID", "NAME", "STATE", "EVERY", "LAST PING", "EXPIRES", "PRIORITY")
			for _, h := range items {
				last, due := "never", ""
				if h.LastPingAt != nil {
					last = ago(*h.LastPingAt, now)
				}
				switch {
				case h.Expired && h.ExpiredAt != nil:
					due = "expired " + ago(*h.ExpiredAt, now)
				case h.Enabled:
					due = h.DueAt.UTC().Format(time.RFC3339)
				}
				t.row(strconv.FormatInt(h.ID, 10), truncate(h.Name, 60), heartbeatState(h), interval(h), last, due, h.AlertPriority)
			}
			if err := t.flush(); err != nil {
				return err
			}
			moreHint(e.stderr, len(items), offset, total, "heartbeat")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "the service (ID or name); required")
	f.IntVar(&offset, "offset", 0, "skip this many heartbeats")
	f.IntVar(&limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many heartbeats (max %d)", vigil.MaxPageSize))
	return cmd
}

// heartbeatState is one word for a heartbeat: disabled, expired, waiting
// (no ping yet) or ok.
func heartbeatState(h *vigil.Heartbeat) string {
	switch {
	case !h.Enabled:
		return "disabled"
	case h.Expired:
		return "expired"
	case h.LastPingAt == nil:
		return "waiting"
	}
	return "ok"
}

func interval(h *vigil.Heartbeat) string {
	return shortDuration(h.Period())
}

func newHeartbeatCreateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		service, every string
		in             client.HeartbeatCreate
		disabled       bool
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a heartbeat on a service",
		Example: `  vigil heartbeat create --service checkout-api --name nightly-backup --interval 1d \
    --alert-message "The nightly backup did not report" --alert-tag db --priority P2`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(in.Name) == "" {
				return errors.New("--name is required")
			}
			var err error
			if in.Interval, in.IntervalUnit, err = parseInterval(every); err != nil {
				return err
			}
			if disabled {
				off := false
				in.Enabled = &off
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			id, err := resolveService(cmd.Context(), c, service)
			if err != nil {
				return err
			}
			h, err := c.CreateHeartbeat(cmd.Context(), id, in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, h)
			}
			fmt.Fprintf(e.stdout, "Created heartbeat %d (%s) on service %s: it expects a ping every %s.\n",
				h.ID, clean(h.Name), serviceLabel(h.ServiceName, h.ServiceID), interval(h))
			if !h.Enabled {
				fmt.Fprintln(e.stdout, "It is disabled: it will not expire until enabled.")
			}
			base, _ := o.serverURL()
			fmt.Fprintf(e.stdout, "Ping it with an integration key of the service:\n  curl -X POST '%s/v2/heartbeats/%s/ping' -H \"Authorization: GenieKey $KEY\"\n",
				base, url.PathEscape(h.Name))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "the service (ID or name); required")
	f.StringVar(&in.Name, "name", "", "the heartbeat's name, unique on the service; required")
	f.StringVar(&every, "interval", "", "the longest gap between pings: whole minutes, hours or days (10m, 2h, 1d); required")
	f.StringVar(&in.Description, "description", "", "what the heartbeat watches")
	f.BoolVar(&disabled, "disabled", false, "create it disabled (it never expires until enabled)")
	f.StringVar(&in.AlertMessage, "alert-message", "", `the summary of its expiry alert (default "NAME is expired")`)
	f.StringSliceVar(&in.AlertTags, "alert-tag", nil, "a tag of its expiry alert (a label tag:TAG); repeatable")
	f.StringVar(&in.AlertPriority, "priority", "", "P1 (critical), P2 (error), P3 (warning, the default), P4 or P5 (info)")
	return cmd
}

// parseInterval turns a duration (10m, 2h, 1d) into Opsgenie's interval
// and unit: the largest of days, hours and minutes that divides it.
func parseInterval(s string) (int, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "", errors.New("--interval is required (for example 10m, 2h or 1d)")
	}
	d, err := parseAgo(s)
	if err != nil || d < time.Minute || d%time.Minute != 0 || d > vigil.MaxHeartbeatPeriod {
		return 0, "", fmt.Errorf("invalid --interval %q: use whole minutes, hours or days, like 10m, 2h or 1d (at most 366d)", s)
	}
	switch {
	case d%(24*time.Hour) == 0:
		return int(d / (24 * time.Hour)), vigil.IntervalDays, nil
	case d%time.Hour == 0:
		return int(d / time.Hour), vigil.IntervalHours, nil
	}
	return int(d / time.Minute), vigil.IntervalMinutes, nil
}

func newHeartbeatDeleteCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID",
		Aliases: []string{"rm"},
		Short:   "Delete a heartbeat (its expiry alert, if firing, resolves)",
		Example: `  vigil heartbeat delete 3`,
		Args:    argsN(1, "one heartbeat ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("heartbeat", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if err := c.DeleteHeartbeat(cmd.Context(), id); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Deleted heartbeat %d.\n", id)
			return nil
		}),
	}
}

func newHeartbeatPingCmd(e *env, o *clientOpts) *cobra.Command {
	var name, key string
	cmd := &cobra.Command{
		Use:   "ping [ID]",
		Short: "Ping a heartbeat (by ID with an API token, or by --name with an integration key)",
		Long: `Ping a heartbeat: by ID with an API token, or, as a job would, by --name
with an integration key of its service (--key or VIGIL_INTEGRATION_KEY).`,
		Example: `  vigil heartbeat ping 3
  VIGIL_INTEGRATION_KEY=vgi_... vigil heartbeat ping --name nightly-backup`,
		Args: func(cmd *cobra.Command, args []string) error {
			if (name == "") == (len(args) == 0) || len(args) > 1 {
				return fmt.Errorf("%s expects either one heartbeat ID or --name NAME; see --help", cmd.CommandPath())
			}
			return nil
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if name != "" {
				if key == "" {
					key = e.getenv(envIntegrationKey)
				}
				if key == "" {
					return errors.New("no integration key: set " + envIntegrationKey + " or pass --key to ping by name")
				}
				c, err := o.ingestClient()
				if err != nil {
					return err
				}
				if err := c.PingHeartbeatByName(cmd.Context(), key, name); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Pinged heartbeat %s.\n", clean(name))
				return nil
			}
			id, err := parseID("heartbeat", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			h, err := c.PingHeartbeat(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, h)
			}
			fmt.Fprintf(e.stdout, "Pinged heartbeat %d (%s); next ping due by %s.\n", h.ID, clean(h.Name), h.DueAt.UTC().Format(time.RFC3339))
			return nil
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "ping the heartbeat of this name on the integration key's service")
	cmd.Flags().StringVar(&key, "key", "", "the integration key, with --name (env "+envIntegrationKey+"; prefer the environment)")
	return cmd
}
