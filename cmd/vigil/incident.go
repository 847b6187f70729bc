package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func newIncidentCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "incident",
		Aliases: []string{"incidents", "inc"},
		Short:   "List, inspect and respond to incidents",
		Long: `List, inspect and respond to incidents through the API.

Incidents are named by number: 42 and #42 mean the same incident.
Connection: --url / VIGIL_URL and --token / VIGIL_TOKEN.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(
		newIncidentListCmd(e, o),
		newIncidentShowCmd(e, o),
		newIncidentTransitionCmd(e, o, "ack", "Acknowledge an incident (stops its escalation)", []string{"acknowledge"}, (*client.Client).AcknowledgeIncident, "acknowledged"),
		newIncidentTransitionCmd(e, o, "resolve", "Resolve an incident and its firing alerts", nil, (*client.Client).ResolveIncident, "resolved"),
		newIncidentTransitionCmd(e, o, "reopen", "Reopen a resolved incident", nil, (*client.Client).ReopenIncident, "reopened"),
		newIncidentTransitionCmd(e, o, "private", "Make an incident private: only its responders, its team's managers, the security group and admins see it",
			nil, setPrivate(true), "made private"),
		newIncidentTransitionCmd(e, o, "public", "Make a private incident public again", nil, setPrivate(false), "made public"),
		newIncidentNoteCmd(e, o),
		newIncidentDeclareCmd(e, o),
		newIncidentChangesCmd(e, o),
		newIncidentStatusUpdateCmd(e, o), newIncidentStatusUpdatesCmd(e, o),
	)
	cmd.AddCommand(newIncidentFeedbackCmds(e, o)...)
	cmd.AddCommand(newIncidentRoleCmds(e, o)...)
	return cmd
}

func newIncidentListCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		statuses            []string
		service, severity   string
		since, until, query string
		offset, limit       int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Example: `  vigil incident list --status triggered,acknowledged
  vigil incident list --service payments --severity critical --since 2h
  vigil incident list -q "disk" -o json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ctx, now := cmd.Context(), time.Now()
			q := client.IncidentQuery{Query: query, Offset: offset, Limit: limit}
			for _, s := range statuses {
				for _, part := range strings.Split(s, ",") {
					part = strings.ToLower(strings.TrimSpace(part))
					switch part {
					case "":
					case "open":
						q.Statuses = append(q.Statuses, vigil.IncidentTriggered, vigil.IncidentAcknowledged)
					case vigil.IncidentTriggered, vigil.IncidentAcknowledged, vigil.IncidentResolved:
						q.Statuses = append(q.Statuses, part)
					default:
						return fmt.Errorf("invalid --status %q: use triggered, acknowledged, resolved or open", part)
					}
				}
			}
			if severity != "" {
				if q.Severity, err = parseSeverity(severity); err != nil {
					return err
				}
			}
			if q.Since, q.Until, err = parseWindow(since, until, now); err != nil {
				return err
			}
			if service != "" {
				if q.ServiceID, err = resolveService(ctx, c, service); err != nil {
					return err
				}
			}
			items, total, err := c.ListIncidents(ctx, q)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No incidents found.")
				return nil
			}
			t := newTable(e.stdout, "ID", "STATUS", "SEVERITY", "SERVICE", "ALERTS", "AGE", "TITLE")
			for _, inc := range items {
				title := truncate(inc.Title, 80)
				if inc.Private {
					title = "(private) " + title
				}
				t.row(inc.Number(), inc.Status, string(inc.Severity), serviceLabel(inc.ServiceName, inc.ServiceID),
					strconv.Itoa(inc.AlertCount), ago(inc.CreatedAt, now), title)
			}
			if err := t.flush(); err != nil {
				return err
			}
			moreHint(e.stderr, len(items), offset, total, "incident")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringSliceVar(&statuses, "status", nil, "only these statuses: triggered, acknowledged, resolved, or open (= triggered,acknowledged); comma-separated or repeated")
	f.StringVar(&service, "service", "", "only incidents of this service (ID or name)")
	f.StringVar(&severity, "severity", "", "only this severity: critical, error, warning, info")
	f.StringVar(&since, "since", "", "only incidents created at or after: a duration back from now (30m, 2h, 7d) or an RFC 3339 time")
	f.StringVar(&until, "until", "", "only incidents created before: a duration back from now or an RFC 3339 time")
	f.StringVarP(&query, "query", "q", "", "only incidents whose title contains this text")
	f.IntVar(&offset, "offset", 0, "skip this many incidents")
	f.IntVar(&limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many incidents (max %d)", vigil.MaxPageSize))
	return cmd
}

// incidentDetail is the JSON of `incident show`: the incident, its alerts
// and its timeline.
type incidentDetail struct {
	*vigil.Incident
	Alerts   []*vigil.Alert         `json:"alerts"`
	Timeline []*vigil.TimelineEntry `json:"timeline"`
}

func newIncidentShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Aliases: []string{"get", "view"},
		Short:   "Show an incident with its alerts and timeline",
		Example: `  vigil incident show 42
  vigil incident show '#42' -o json`,
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
			inc, alerts, err := c.GetIncident(cmd.Context(), id)
			if err != nil {
				return err
			}
			timeline, err := c.Timeline(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, incidentDetail{inc, alerts, timeline})
			}
			return printIncident(e.stdout, inc, alerts, timeline, time.Now())
		}),
	}
}

func printIncident(w io.Writer, inc *vigil.Incident, alerts []*vigil.Alert, timeline []*vigil.TimelineEntry, now time.Time) error {
	fmt.Fprintf(w, "Incident %s: %s\n\n", inc.Number(), clean(inc.Title))
	t := newTable(w)
	t.row("Status:", inc.Status)
	t.row("Severity:", string(inc.Severity))
	t.row("Service:", serviceLabel(inc.ServiceName, inc.ServiceID))
	if inc.Private {
		t.row("Private:", "yes (its responders, its team's managers, the security group and admins only)")
	}
	t.row("Created:", by(stamp(inc.CreatedAt, now), inc.CreatedBy))
	if inc.AcknowledgedAt != nil {
		t.row("Acknowledged:", by(stamp(*inc.AcknowledgedAt, now), inc.AcknowledgedBy))
	}
	if inc.ResolvedAt != nil {
		t.row("Resolved:", by(stamp(*inc.ResolvedAt, now), inc.ResolvedBy))
	}
	t.row("Alerts:", strconv.Itoa(inc.AlertCount))
	if err := t.flush(); err != nil {
		return err
	}
	if inc.Description != "" {
		fmt.Fprintf(w, "\nDescription:\n%s\n", indent(cleanText(inc.Description), "  "))
	}

	fmt.Fprintln(w)
	if len(alerts) < inc.AlertCount {
		fmt.Fprintf(w, "Alerts (newest %d of %d):\n", len(alerts), inc.AlertCount)
	} else {
		fmt.Fprintf(w, "Alerts (%d):\n", len(alerts))
	}
	if len(alerts) > 0 {
		t = newTable(w, "ID", "STATUS", "SEVERITY", "COUNT", "LAST SEEN", "DEDUP KEY", "SUMMARY")
		for _, a := range alerts {
			t.row(strconv.FormatInt(a.ID, 10), a.Status, string(a.Severity), strconv.FormatInt(a.Occurrences, 10),
				ago(a.LastSeen, now), truncate(a.DedupKey, 40), truncate(a.Summary, 80))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "\nTimeline (%d):\n", len(timeline))
	if len(timeline) > 0 {
		t = newTable(w, "AT", "KIND", "ACTOR", "SOURCE", "MESSAGE")
		for _, en := range timeline {
			t.row(en.At.UTC().Format(time.RFC3339), en.Kind, en.Actor, en.Source, truncate(en.Message, 100))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

// setPrivate is the call of `vigil incident private|public`.
func setPrivate(private bool) func(*client.Client, context.Context, int64) (*vigil.Incident, error) {
	return func(c *client.Client, ctx context.Context, id int64) (*vigil.Incident, error) {
		return c.UpdateIncident(ctx, id, vigil.IncidentUpdate{Private: &private})
	}
}

// newIncidentTransitionCmd builds ack, resolve, reopen, private and public:
// one incident ID, one call, the same output.
func newIncidentTransitionCmd(e *env, o *clientOpts, name, short string, aliases []string,
	call func(*client.Client, context.Context, int64) (*vigil.Incident, error), done string) *cobra.Command {
	return &cobra.Command{
		Use:     name + " ID",
		Aliases: aliases,
		Short:   short,
		Example: fmt.Sprintf("  vigil incident %s 42\n  vigil incident %s '#42'", name, name),
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
			inc, err := call(c, cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, inc)
			}
			fmt.Fprintf(e.stdout, "Incident %s %s (status: %s): %s\n", inc.Number(), done, inc.Status, clean(inc.Title))
			return nil
		}),
	}
}

func newIncidentNoteCmd(e *env, o *clientOpts) *cobra.Command {
	var message string
	cmd := &cobra.Command{
		Use:   "note ID [TEXT]",
		Short: "Add a note to an incident's timeline",
		Long: `Add a note to an incident's timeline. The text is the second argument or
--message; "-" reads it from standard input.`,
		Example: `  vigil incident note 42 "Rolled back the deploy"
  vigil incident note '#42' --message "Paging the DB team"
  kubectl describe pod api-0 | vigil incident note 42 -`,
		Args: incidentTextArgs("note"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, body, err := incidentText(e, args, message, "note", vigil.MaxNoteLen)
			if err != nil {
				return err
			}
			body = strings.TrimRight(body, "\n")
			c, err := o.client()
			if err != nil {
				return err
			}
			entry, err := c.AddNote(cmd.Context(), id, body)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, entry)
			}
			fmt.Fprintf(e.stdout, "Note added to incident #%d.\n", id)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&message, "message", "m", "", `the note text ("-" reads standard input)`)
	return cmd
}

func newIncidentDeclareCmd(e *env, o *clientOpts) *cobra.Command {
	var service, title, severity, description string
	cmd := &cobra.Command{
		Use:     "declare",
		Aliases: []string{"create"},
		Short:   "Open an incident by hand",
		Example: `  vigil incident declare --service payments --title "Checkout errors" --severity critical`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(title) == "" {
				return errors.New("--title is required")
			}
			d := vigil.IncidentDeclaration{Title: title, Description: description}
			if severity != "" {
				sev, err := parseSeverity(severity)
				if err != nil {
					return err
				}
				d.Severity = sev
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if d.ServiceID, err = resolveService(cmd.Context(), c, service); err != nil {
				return err
			}
			inc, err := c.DeclareIncident(cmd.Context(), d)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, inc)
			}
			fmt.Fprintf(e.stdout, "Declared incident %s (%s, service %s): %s\n", inc.Number(), inc.Severity,
				serviceLabel(inc.ServiceName, inc.ServiceID), clean(inc.Title))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "the service (ID or name); required")
	f.StringVar(&title, "title", "", "what is wrong; required")
	f.StringVar(&severity, "severity", "", "critical, error, warning or info (default error)")
	f.StringVar(&description, "description", "", "more detail")
	return cmd
}

// parseSeverity checks a --severity value.
func parseSeverity(s string) (vigil.Severity, error) {
	sev := vigil.Severity(strings.ToLower(strings.TrimSpace(s)))
	if !sev.Valid() {
		return "", fmt.Errorf("invalid severity %q: use critical, error, warning or info", s)
	}
	return sev, nil
}

// parseWhen reads a point in time: a duration back from now ("90s", "2h",
// "7d", "1d12h") or an RFC 3339 time or date.
// parseWindow reads --since and --until; an empty flag is the zero time
// (no bound).
func parseWindow(since, until string, now time.Time) (from, to time.Time, err error) {
	if since != "" {
		if from, err = parseWhen("--since", since, now); err != nil {
			return
		}
	}
	if until != "" {
		to, err = parseWhen("--until", until, now)
	}
	return
}

func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	d, err := parseAgo(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("invalid %s %q: use a duration like 30m, 2h or 7d, or a time like 2026-01-02T15:04:05Z", flag, s)
	}
	return now.Add(-d), nil
}

// parseAgo is time.ParseDuration plus a leading number of days ("7d",
// "1d12h").
func parseAgo(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, err
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	return days + d, err
}

func serviceLabel(name string, id int64) string {
	if name == "" {
		return fmt.Sprintf("#%d", id)
	}
	return fmt.Sprintf("%s (%d)", name, id)
}

func by(what, who string) string {
	if who == "" || what == "" {
		return what
	}
	return what + " by " + who
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// incidentTextArgs accepts "ID [TEXT]" for a command that takes a text
// about an incident (a note, a status update).
func incidentTextArgs(noun string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < 1 || len(args) > 2 {
			return fmt.Errorf("%s expects an incident ID and the %s text (or --message)", cmd.CommandPath(), noun)
		}
		return nil
	}
}

// incidentText reads the incident ID and the text of such a command: the
// second argument or --message (not both); "-" reads standard input, at
// most limit bytes (the server refuses more, naming the field). An empty
// text is an error.
func incidentText(e *env, args []string, message, noun string, limit int) (int64, string, error) {
	id, err := parseID("incident", args[0])
	if err != nil {
		return 0, "", err
	}
	text := message
	if len(args) == 2 {
		if message != "" {
			return 0, "", fmt.Errorf("give the %s text either as an argument or with --message, not both", noun)
		}
		text = args[1]
	}
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, int64(limit)+1))
		if err != nil {
			return 0, "", fmt.Errorf("read the %s from standard input: %w", noun, err)
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return 0, "", fmt.Errorf("the %s is empty: give its text as an argument or with --message", noun)
	}
	return id, text, nil
}
