package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// newAuditCmd is `vigil audit`: search the audit log. It only reads: the
// log cannot be changed through any interface.
func newAuditCmd(e *env) *cobra.Command {
	var (
		q            client.AuditQuery
		since, until string
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Search the audit log: who changed what, from where, before and after (admins)",
		Long: `Search the audit log, newest first. Every change to configuration, roles,
tokens, integration keys, schedules, policies, silences and every
acknowledge, resolve and reopen is recorded with the actor, the source
(api, cli, web, slack, sms, "<channel> link"), the time and the object
before and after. The log is append-only.
Connection: --url / VIGIL_URL and --token / VIGIL_TOKEN.`,
		Example: `  vigil audit --since 24h
  vigil audit --action service --object service:3
  vigil audit --actor ops-token --action incident.resolve -o json
  vigil audit --search checkout-api`,
		Args: cobra.NoArgs,
	}
	o := addClientFlags(cmd, e)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		c, err := o.client()
		if err != nil {
			return err
		}
		now := time.Now()
		if q.Since, q.Until, err = parseWindow(since, until, now); err != nil {
			return err
		}
		items, total, err := c.ListAudit(cmd.Context(), q)
		if err != nil {
			return err
		}
		if o.output == outputJSON {
			return writeJSON(e.stdout, items)
		}
		if len(items) == 0 {
			fmt.Fprintln(e.stderr, "No audit entries found.")
			return nil
		}
		if err := printAudit(e.stdout, items); err != nil {
			return err
		}
		moreHint(e.stderr, len(items), q.Offset, total, "audit record")
		return nil
	})
	f := cmd.Flags()
	f.StringVar(&q.Actor, "actor", "", "only changes by this actor (token or user name)")
	f.StringVar(&q.Action, "action", "", "only these actions: a prefix such as service, incident.resolve")
	f.StringVar(&q.Object, "object", "", "only this object: a type (service) or type:id (service:3)")
	f.StringVar(&since, "since", "", "only changes at or after: a duration back from now (30m, 2h, 7d) or an RFC 3339 time")
	f.StringVar(&until, "until", "", "only changes before: a duration back from now or an RFC 3339 time")
	f.StringVar(&q.Search, "search", "", "only changes whose object before or after holds this text")
	f.IntVar(&q.Offset, "offset", 0, "skip this many entries")
	f.IntVar(&q.Limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many entries (max %d)", vigil.MaxPageSize))
	return cmd
}

// printAudit shows one line per entry; CHANGES names the fields that
// changed (every field for a creation or deletion is too long: those show
// "created" or "deleted").
func printAudit(w io.Writer, items []*vigil.AuditEntry) error {
	t := newTable(w, "AT", "ACTOR", "SOURCE", "ACTION", "OBJECT", "CHANGES")
	for _, a := range items {
		obj := a.ObjectType
		if a.ObjectID != 0 {
			obj += ":" + strconv.FormatInt(a.ObjectID, 10)
		}
		var changes string
		switch {
		case a.Before == nil && a.After != nil:
			changes = "created"
		case a.After == nil && a.Before != nil:
			changes = "deleted"
		default:
			var parts []string
			for _, c := range a.Changes() {
				parts = append(parts, c.Field+": "+c.Before+" → "+c.After)
			}
			changes = strings.Join(parts, "; ")
		}
		t.row(a.At.UTC().Format(time.RFC3339), truncate(a.Actor.Name, 30), a.Actor.Source, a.Action, obj, truncate(changes, 100))
	}
	return t.flush()
}
