package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func newAlertCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "alert",
		Aliases: []string{"alerts"},
		Short:   "Send events and inspect alerts",
		Long: `Send events to Vigil as a monitoring tool would, and inspect alerts.

"alert send" authenticates with a service's integration key (--key or
VIGIL_INTEGRATION_KEY), or with an API token of the ingest scope when
--service names the service; the other commands with an API token
(--token or VIGIL_TOKEN).`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newAlertSendCmd(e, o), newAlertListCmd(e, o), newAlertShowCmd(e, o))
	return cmd
}

func newAlertSendCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		key                    string
		serviceID              int64
		ev                     vigil.Event
		severity               string
		labels, details, links []string
	)
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Send one event (trigger, acknowledge or resolve an alert)",
		Long: `Send one event to the service of an integration key, as a monitoring tool
would. Events with the same dedup key update the same alert; without one,
Vigil derives it from the summary. With --service, the event goes to that
service with your API token instead (it needs the ingest scope).`,
		Example: `  export VIGIL_INTEGRATION_KEY=vgi_...
  vigil alert send --summary "Disk 97% full on db-1" --dedup-key disk-db-1 --severity warning \
    --label host=db-1 --label env=prod --detail used=97% \
    --link "https://runbooks.example.com/disk|Runbook"
  vigil alert send --action resolve --dedup-key disk-db-1
  VIGIL_TOKEN=vgt_... vigil alert send --service 3 --summary "Nightly backup failed"`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if key != "" && serviceID != 0 {
				return errors.New("--key and --service are exclusive: a key names its service")
			}
			if key == "" && serviceID == 0 {
				key = e.getenv(envIntegrationKey)
			}
			if key == "" && serviceID == 0 {
				return errors.New("no integration key: set " + envIntegrationKey + " or pass --key (create one with `vigil integration-key create --service ID`), or pass --service with an API token of the ingest scope")
			}
			ev.Action = strings.ToLower(strings.TrimSpace(ev.Action))
			switch ev.Action {
			case vigil.ActionTrigger:
				if strings.TrimSpace(ev.Summary) == "" {
					return errors.New("--summary is required to trigger an alert")
				}
			case vigil.ActionAcknowledge, vigil.ActionResolve:
				if ev.DedupKey == "" && ev.Summary == "" {
					return fmt.Errorf("--dedup-key (or the --summary the alert was triggered with) is required to %s", ev.Action)
				}
			default:
				return fmt.Errorf("invalid --action %q: use trigger, acknowledge or resolve", ev.Action)
			}
			if severity != "" {
				sev, err := parseSeverity(severity)
				if err != nil {
					return err
				}
				ev.Severity = sev
			}
			var err error
			if ev.Labels, err = parsePairs("--label", labels); err != nil {
				return err
			}
			d, err := parsePairs("--detail", details)
			if err != nil {
				return err
			}
			if len(d) > 0 {
				if ev.Details, err = json.Marshal(d); err != nil {
					return err
				}
			}
			for _, l := range links {
				href, text, _ := strings.Cut(l, "|")
				if err := vigil.ValidateLink(href); err != nil {
					return fmt.Errorf("invalid --link %q: want an http or https URL, optionally followed by |text", l)
				}
				ev.Links = append(ev.Links, vigil.Link{Href: href, Text: text})
			}
			res, err := sendEvent(cmd, o, key, serviceID, ev)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, res)
			}
			return printEventResult(e.stdout, res)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "the integration key (env "+envIntegrationKey+")")
	f.Int64Var(&serviceID, "service", 0, "send to this service with the API token (ingest scope) instead of a key")
	f.StringVar(&ev.Summary, "summary", "", "what is wrong; required to trigger")
	f.StringVar(&ev.DedupKey, "dedup-key", "", "identifies the alert across events (default: derived from the summary)")
	f.StringVar(&ev.Action, "action", vigil.ActionTrigger, "trigger, acknowledge or resolve")
	f.StringVar(&severity, "severity", "", "critical, error, warning or info (default error)")
	f.StringVar(&ev.Source, "source", "", "where the problem is (a host, a job)")
	f.StringArrayVar(&labels, "label", nil, "a label as name=value; repeat for more")
	f.StringArrayVar(&details, "detail", nil, "a detail as name=value (a string); repeat for more")
	f.StringArrayVar(&links, "link", nil, "a link as URL or URL|text; repeat for more")
	return cmd
}

// sendEvent sends ev with the integration key, or to serviceID with the
// API token when serviceID is set.
func sendEvent(cmd *cobra.Command, o *clientOpts, key string, serviceID int64, ev vigil.Event) (vigil.EventResult, error) {
	if serviceID != 0 {
		c, err := o.client()
		if err != nil {
			return vigil.EventResult{}, err
		}
		return c.SendServiceEvent(cmd.Context(), serviceID, ev)
	}
	c, err := o.ingestClient()
	if err != nil {
		return vigil.EventResult{}, err
	}
	return c.SendEvent(cmd.Context(), key, ev)
}

func printEventResult(w io.Writer, r vigil.EventResult) error {
	t := newTable(w, "ACTION", "DEDUP KEY", "ALERT", "NEW ALERT", "INCIDENT", "NEW INCIDENT", "CHANGED")
	alert, incident := "", ""
	if r.AlertID != 0 {
		alert = strconv.FormatInt(r.AlertID, 10)
	}
	if r.IncidentID != 0 {
		incident = fmt.Sprintf("#%d", r.IncidentID)
	}
	t.row(r.Action, truncate(r.DedupKey, 60), alert, yesNo(r.AlertNew), incident, yesNo(r.IncidentNew), yesNo(r.Changed))
	return t.flush()
}

// parsePairs reads repeated name=value flags. The value may contain "=".
func parsePairs(flag string, pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("invalid %s %q: want name=value", flag, p)
		}
		m[strings.TrimSpace(k)] = v
	}
	return m, nil
}

func newAlertListCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		service, incident, status, dedupKey string
		offset, limit                       int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List alerts, newest first",
		Example: `  vigil alert list --incident 42
  vigil alert list --service payments --status firing`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			q := client.AlertQuery{DedupKey: dedupKey, Offset: offset, Limit: limit}
			switch status = strings.ToLower(status); status {
			case "", vigil.AlertFiring, vigil.AlertResolved:
				q.Status = status
			default:
				return fmt.Errorf("invalid --status %q: use firing or resolved", status)
			}
			if incident != "" {
				if q.IncidentID, err = parseID("incident", incident); err != nil {
					return err
				}
			}
			if service != "" {
				if q.ServiceID, err = resolveService(cmd.Context(), c, service); err != nil {
					return err
				}
			}
			items, total, err := c.ListAlerts(cmd.Context(), q)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No alerts found.")
				return nil
			}
			now := time.Now()
			t := newTable(e.stdout, "ID", "STATUS", "SEVERITY", "INCIDENT", "SERVICE", "COUNT", "LAST SEEN", "DEDUP KEY", "SUMMARY")
			for _, a := range items {
				t.row(strconv.FormatInt(a.ID, 10), a.Status, string(a.Severity), alertIncident(a),
					strconv.FormatInt(a.ServiceID, 10), strconv.FormatInt(a.Occurrences, 10), ago(a.LastSeen, now),
					truncate(a.DedupKey, 40), truncate(a.Summary, 80))
			}
			if err := t.flush(); err != nil {
				return err
			}
			moreHint(e.stderr, len(items), offset, total, "alert")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "only alerts of this service (ID or name)")
	f.StringVar(&incident, "incident", "", "only alerts of this incident (42 or #42)")
	f.StringVar(&status, "status", "", "firing or resolved")
	f.StringVar(&dedupKey, "dedup-key", "", "only alerts with this dedup key")
	f.IntVar(&offset, "offset", 0, "skip this many alerts")
	f.IntVar(&limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many alerts (max %d)", vigil.MaxPageSize))
	return cmd
}

func newAlertShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Aliases: []string{"get", "view"},
		Short:   "Show an alert with its labels, details and links",
		Args:    argsN(1, "one alert ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("alert", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			a, err := c.GetAlert(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, a)
			}
			return printAlert(e.stdout, a, time.Now())
		}),
	}
}

func printAlert(w io.Writer, a *vigil.Alert, now time.Time) error {
	fmt.Fprintf(w, "Alert %d: %s\n\n", a.ID, clean(a.Summary))
	t := newTable(w)
	t.row("Status:", a.Status)
	t.row("Severity:", string(a.Severity))
	t.row("Incident:", alertIncident(a))
	t.row("Service:", strconv.FormatInt(a.ServiceID, 10))
	t.row("Dedup key:", a.DedupKey)
	t.row("Source:", a.Source)
	t.row("Occurrences:", strconv.FormatInt(a.Occurrences, 10))
	t.row("First seen:", stamp(a.FirstSeen, now))
	t.row("Last seen:", stamp(a.LastSeen, now))
	if a.ResolvedAt != nil {
		t.row("Resolved:", stamp(*a.ResolvedAt, now))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(a.Labels) > 0 {
		fmt.Fprintln(w, "\nLabels:")
		t = newTable(w)
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			t.row("  "+k, a.Labels[k])
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(a.Details) > 0 && string(a.Details) != "null" {
		var v any
		if err := json.Unmarshal(a.Details, &v); err == nil {
			b, _ := json.MarshalIndent(v, "  ", "  ")
			fmt.Fprintf(w, "\nDetails:\n  %s\n", cleanText(string(b)))
		}
	}
	if len(a.Links) > 0 {
		fmt.Fprintln(w, "\nLinks:")
		for _, l := range a.Links {
			if l.Text != "" {
				fmt.Fprintf(w, "  %s: %s\n", clean(l.Text), clean(l.Href))
			} else {
				fmt.Fprintf(w, "  %s\n", clean(l.Href))
			}
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// alertIncident is an alert's incident, or what holds it: a silence, a
// maintenance window or an inhibition (rule and source alert).
func alertIncident(a *vigil.Alert) string {
	switch kind, _ := a.Held(); kind {
	case "silence":
		return fmt.Sprintf("silenced by %d", *a.SilencedBy)
	case "maintenance":
		return fmt.Sprintf("maintenance window %d", *a.HeldByWindow)
	case "inhibited":
		return fmt.Sprintf("inhibited by rule %d (alert %d)", *a.InhibitedByRule, *a.InhibitedByAlert)
	}
	return fmt.Sprintf("#%d", a.IncidentID)
}
