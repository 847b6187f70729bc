package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func newMaintenanceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "maintenance",
		Aliases: []string{"maintenance-window", "maintenance-windows", "mw"},
		Short:   "Plan maintenance windows: alerts are recorded but page no one",
		Long: `A maintenance window covers services (and/or alerts matching label
matchers) for a while, once or every week in a time zone. A new alert it
covers while open is stored and shown, marked with the window, but opens no
incident and pages no one. When the window closes, alerts still firing open
or join their incidents and page as new ones would.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newMaintenanceAddCmd(e, o), newMaintenanceListCmd(e, o), newMaintenanceShowCmd(e, o), newMaintenanceDeleteCmd(e, o))
	return cmd
}

// parseWeekdays reads "sun", "sat,sun", "mon-fri" or numbers (0 Sunday).
func parseWeekdays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	one := func(v string) (time.Weekday, error) {
		v = strings.ToLower(strings.TrimSpace(v))
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 6 {
			return time.Weekday(n), nil
		}
		for d := time.Sunday; d <= time.Saturday; d++ {
			name := strings.ToLower(d.String())
			if v == name || (len(v) >= 3 && strings.HasPrefix(name, v)) {
				return d, nil
			}
		}
		return 0, fmt.Errorf("invalid --weekly day %q: use sun, mon, ... sat (comma-separated, or a range like mon-fri)", v)
	}
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := one(from)
		if err != nil {
			return nil, err
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := one(to)
		if err != nil {
			return nil, err
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func dayNames(days []time.Weekday) string {
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = strings.ToLower(d.String()[:3])
	}
	return strings.Join(names, ",")
}

func newMaintenanceAddCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		in                   client.MaintenanceWindowInput
		services, matchers   []string
		start, end, duration string
		weekly, at           string
	)
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Create a maintenance window, once (--start/--end or --duration) or weekly (--weekly/--at/--duration)",
		Long: `Create a maintenance window. Say what it covers with --service (ID or name,
repeatable) and/or --matcher (Alertmanager matchers, all must match; with
no --service they cover every service).

Once: --start (default now) and --end, or --duration from the start.
Weekly: --weekly DAYS --at HH:MM --duration D in --tz; it repeats from
--start (default now) and, with --end, stops before then. Times of day and
durations are on the wall clock of the zone, so "sun 01:00 for 4h" closes at
05:00 local time also on the nights the clocks change.`,
		Example: `  vigil maintenance add --service checkout --start 2026-05-02T22:00:00Z --end 2026-05-03T02:00:00Z
  vigil maintenance add --service checkout --duration 2h --name "db failover"
  vigil maintenance add --service checkout --weekly sun --at 01:00 --duration 4h --tz Europe/Berlin
  vigil maintenance add --matcher 'env="staging"' --weekly mon-fri --at 18:00 --duration 14h --tz America/New_York`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if len(services) == 0 && len(matchers) == 0 {
				return errors.New("say what the window covers: --service (ID or name) and/or --matcher")
			}
			for _, m := range matchers {
				p, err := matcher.Parse(m)
				if err != nil {
					return fmt.Errorf("invalid --matcher %q: %v (write name=\"value\", name!=\"value\", name=~\"regex\" or name!~\"regex\")", m, err)
				}
				in.Matchers = append(in.Matchers, p.String())
			}
			now := time.Now().UTC()
			if start != "" {
				t, err := parseFuture("--start", start, now)
				if err != nil {
					return err
				}
				in.Start = &t
			}
			if end != "" {
				t, err := parseFuture("--end", end, now)
				if err != nil {
					return err
				}
				in.End = &t
			}
			var d time.Duration
			if duration != "" {
				var err error
				if d, err = parseAgo(duration); err != nil || d <= 0 {
					return fmt.Errorf("invalid --duration %q: use a duration like 30m, 4h or 1d", duration)
				}
			}
			if weekly != "" {
				days, err := parseWeekdays(weekly)
				if err != nil {
					return err
				}
				if at == "" || d == 0 {
					return errors.New("a weekly window needs --at (HH:MM) and --duration")
				}
				in.Recurrence = &vigil.WeeklyRecurrence{Weekdays: days, At: at, Duration: vigil.Duration(d)}
			} else {
				if at != "" {
					return errors.New("--at is for weekly windows: give --weekly too")
				}
				switch {
				case in.End != nil && d != 0:
					return errors.New("give --end or --duration, not both")
				case in.End == nil && d == 0:
					return errors.New("a one-off window needs --end or --duration (or --weekly to repeat it)")
				case d != 0:
					vd := vigil.Duration(d)
					in.Duration = &vd
				}
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			for _, s := range services {
				id, err := resolveService(cmd.Context(), c, s)
				if err != nil {
					return err
				}
				in.ServiceIDs = append(in.ServiceIDs, id)
			}
			if strings.TrimSpace(in.Name) == "" {
				in.Name = defaultWindowName(services, in, now)
			}
			w, err := c.CreateMaintenanceWindow(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, w)
			}
			fmt.Fprintf(e.stdout, "Maintenance window %d %q created: %s.\n", w.ID, w.Name, windowWhen(w, time.Now()))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "a name (default: from what it covers and when)")
	f.StringArrayVarP(&services, "service", "s", nil, "a service it covers (ID or name); repeat for more")
	f.StringArrayVarP(&matchers, "matcher", "m", nil, `a matcher like env="staging"; repeat for more (all must match)`)
	f.StringVar(&start, "start", "", "when it starts: an RFC 3339 time or a duration from now (default now)")
	f.StringVar(&end, "end", "", "when it ends (once), or when it stops repeating (weekly): an RFC 3339 time or a duration from now")
	f.StringVarP(&duration, "duration", "d", "", "how long it stays open (once: instead of --end; weekly: each time)")
	f.StringVar(&weekly, "weekly", "", "repeat on these days: sun, mon-fri, sat,sun")
	f.StringVar(&at, "at", "", "weekly: the local time it opens, HH:MM")
	f.StringVar(&in.TimeZone, "tz", "", "the time zone of --at, an IANA name like Europe/Berlin (default UTC)")
	f.StringVar(&in.CreatedBy, "author", "", "who (default: the API token's name)")
	return cmd
}

// defaultWindowName names a window after what it covers and when.
func defaultWindowName(services []string, in client.MaintenanceWindowInput, now time.Time) string {
	what := strings.Join(services, ",")
	if what == "" {
		what = strings.Join(in.Matchers, " ")
	}
	if r := in.Recurrence; r != nil {
		tz := in.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		return truncate(fmt.Sprintf("%s weekly %s %s %s", what, dayNames(r.Weekdays), r.At, tz), 50)
	}
	start := now
	if in.Start != nil {
		start = *in.Start
	}
	return truncate(fmt.Sprintf("%s %s", what, start.UTC().Format("2006-01-02 15:04Z")), 50)
}

// windowWhen says when a window opens, for people.
func windowWhen(w *vigil.MaintenanceWindow, now time.Time) string {
	var s string
	if r := w.Recurrence; r != nil {
		s = fmt.Sprintf("every %s at %s for %s (%s)", dayNames(r.Weekdays), r.At, r.Duration, w.TimeZone)
		if !w.End.IsZero() {
			s += ", until " + w.End.UTC().Format(time.RFC3339)
		}
	} else {
		s = fmt.Sprintf("%s to %s", w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339))
	}
	switch {
	case w.State == vigil.MaintenanceOpen && w.OpenUntil != nil:
		s += "; open, closes " + when(*w.OpenUntil, now)
	case w.State == vigil.MaintenanceScheduled && w.OpensAt != nil:
		s += "; opens " + when(*w.OpensAt, now)
	case w.State != "":
		s += "; " + w.State
	}
	return s
}

// windowCovers says what a window covers, for people.
func windowCovers(w *vigil.MaintenanceWindow) string {
	var parts []string
	if len(w.ServiceIDs) > 0 {
		ids := make([]string, len(w.ServiceIDs))
		for i, id := range w.ServiceIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		parts = append(parts, "services "+strings.Join(ids, ","))
	} else {
		parts = append(parts, "all services")
	}
	if len(w.Matchers) > 0 {
		parts = append(parts, strings.Join(w.Matchers, " "))
	}
	return strings.Join(parts, ", ")
}

func newMaintenanceListCmd(e *env, o *clientOpts) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List maintenance windows (open and scheduled; --all for ended ones too)",
		Args:  cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			items, err := c.ListMaintenanceWindows(cmd.Context())
			if err != nil {
				return err
			}
			if !all {
				kept := items[:0]
				for _, w := range items {
					if w.State != vigil.MaintenanceEnded {
						kept = append(kept, w)
					}
				}
				items = kept
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No maintenance windows. Create one with `vigil maintenance add`.")
				return nil
			}
			return printWindows(e.stdout, items, time.Now())
		}),
	}
	cmd.Flags().BoolVar(&all, "all", false, "list ended windows too")
	return cmd
}

func printWindows(w io.Writer, items []*vigil.MaintenanceWindow, now time.Time) error {
	t := newTable(w, "ID", "NAME", "STATE", "COVERS", "WHEN")
	for _, mw := range items {
		state := mw.State
		if mw.State == vigil.MaintenanceOpen && mw.OpenUntil != nil {
			state += " (closes " + when(*mw.OpenUntil, now) + ")"
		} else if mw.State == vigil.MaintenanceScheduled && mw.OpensAt != nil {
			state += " (opens " + when(*mw.OpensAt, now) + ")"
		}
		when := windowWhen(&vigil.MaintenanceWindow{Start: mw.Start, End: mw.End, Recurrence: mw.Recurrence, TimeZone: mw.TimeZone}, now)
		t.row(strconv.FormatInt(mw.ID, 10), truncate(mw.Name, 40), state, truncate(windowCovers(mw), 50), when)
	}
	return t.flush()
}

func newMaintenanceShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Aliases: []string{"get", "view"},
		Short:   "Show a maintenance window",
		Args:    argsN(1, "one maintenance window ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("maintenance window", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			w, err := c.GetMaintenanceWindow(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, w)
			}
			fmt.Fprintf(e.stdout, "Maintenance window %d %q: %s\n\n", w.ID, w.Name, w.State)
			t := newTable(e.stdout)
			t.row("Covers:", windowCovers(w))
			t.row("When:", windowWhen(w, time.Now()))
			t.row("Created by:", w.CreatedBy)
			return t.flush()
		}),
	}
}

func newMaintenanceDeleteCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID...",
		Aliases: []string{"rm", "end"},
		Short:   "Delete maintenance windows; the alerts they held page unless something else holds them",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%s expects at least one maintenance window ID; see --help", cmd.CommandPath())
			}
			return nil
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			ids := make([]int64, len(args))
			for i, a := range args {
				var err error
				if ids[i], err = parseID("maintenance window", a); err != nil {
					return err
				}
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := c.DeleteMaintenanceWindow(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Maintenance window %d deleted.\n", id)
			}
			return nil
		}),
	}
}
