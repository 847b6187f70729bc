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

// Stakeholder groups (`vigil group ...`) and status updates (`vigil
// incident status-update ...`).

func newGroupCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "group",
		Aliases: []string{"groups", "stakeholder-group", "stakeholders"},
		Short:   "Manage stakeholder groups: who hears status updates about incidents",
		Long: `Manage stakeholder groups: customer support, executives, security and anyone
else who needs to know about an incident without responding to it. A group
has channels (Slack channels, Teams webhooks, e-mail lists, webhooks) and
gets status updates on them, never pages.

With --min-severity a group hears every status update about incidents of
that severity or worse; without it, only the updates that name it
(vigil incident status-update 42 "..." --group NAME).

A group marked --security is the security group: its members (people, see
vigil group members) see every private incident, and only security groups
hear status updates about one. Only admins may change members or the mark.

A GROUP argument is an ID or a name (any case). Teams and webhook URLs are
credentials and are shown masked.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newGroupListCmd(e, o), newGroupCreateCmd(e, o), newGroupShowCmd(e, o), newGroupDeleteCmd(e, o), newGroupMembersCmd(e, o))
	return cmd
}

func newGroupListCmd(e *env, o *clientOpts) *cobra.Command {
	return newListCmd(e, o, listSpec[*vigil.StakeholderGroup]{
		short:   "List stakeholder groups",
		empty:   "No stakeholder groups yet. Create one with `vigil group create --name NAME --slack CHANNEL`.",
		fetch:   (*client.Client).ListStakeholderGroups,
		headers: []string{"ID", "NAME", "HEARS", "CHANNELS"},
		row: func(g *vigil.StakeholderGroup, _ vigil.UserNames) []string {
			chans := make([]string, len(g.Channels))
			for i, c := range g.Channels {
				chans[i] = c.Type + " " + c.Address
			}
			return []string{strconv.FormatInt(g.ID, 10), truncate(g.Name, 60), hears(g.MinSeverity), truncate(strings.Join(chans, ", "), 120)}
		},
	})
}

// hears says which incidents a group hears about without being named.
func hears(min vigil.Severity) string {
	if min == "" {
		return "when named"
	}
	if min == vigil.SeverityInfo {
		return "every incident"
	}
	return string(min) + " or worse"
}

func newGroupCreateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		in                            client.StakeholderGroupInput
		minSeverity                   string
		slack, teams, emails, webhook []string
		members                       []string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a stakeholder group with its channels",
		Example: `  vigil group create --name "Customer support" --slack C0123ABCD --email support@example.com --min-severity critical
  vigil group create --name Executives --email exec@example.com --teams "$TEAMS_WORKFLOW_URL"
  vigil group create --name Security --slack "#sec-incidents" --webhook https://soar.example.com/hooks/vigil`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(in.Name) == "" {
				return errors.New("--name is required")
			}
			if minSeverity != "" {
				sev, err := parseSeverity(minSeverity)
				if err != nil {
					return fmt.Errorf("--min-severity: %w", err)
				}
				in.MinSeverity = sev
			}
			for _, ch := range []struct {
				typ   string
				addrs []string
			}{{vigil.ContactSlack, slack}, {vigil.ContactTeams, teams}, {vigil.ContactEmail, emails}, {vigil.ContactWebhook, webhook}} {
				for _, a := range ch.addrs {
					in.Channels = append(in.Channels, vigil.StakeholderChannel{Type: ch.typ, Address: a})
				}
			}
			if len(in.Channels) == 0 {
				return errors.New("give at least one channel: --slack, --teams, --email or --webhook")
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			for _, ref := range members {
				uid, err := findUserID(cmd.Context(), c, ref)
				if err != nil {
					return fmt.Errorf("--member %s: %w", ref, err)
				}
				in.Members = append(in.Members, uid)
			}
			g, err := c.CreateStakeholderGroup(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, g)
			}
			fmt.Fprintf(e.stdout, "Created stakeholder group %d: %s with %s; hears %s.\n", g.ID, clean(g.Name),
				plural(len(g.Channels), "channel"), hears(g.MinSeverity))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "the group's name; required, unique regardless of case")
	f.StringVar(&in.Description, "description", "", "who is in the group")
	f.StringVar(&minSeverity, "min-severity", "", "hear every update about incidents this severe or worse: critical, error, warning or info "+
		"(default: only updates that name the group)")
	// Not comma-separated: a URL may hold a comma.
	f.StringArrayVar(&slack, "slack", nil, "a Slack channel ID (C0123ABCD) or name (#support); repeatable")
	f.StringArrayVar(&teams, "teams", nil, "a Microsoft Teams Workflows webhook URL; repeatable")
	f.StringArrayVar(&emails, "email", nil, "an e-mail address (a list); repeatable")
	f.StringArrayVar(&webhook, "webhook", nil, "a webhook URL (signed JSON, like pages); repeatable")
	f.BoolVar(&in.Security, "security", false, "mark the security group: its members see every private incident (admins only)")
	f.StringArrayVar(&members, "member", nil, "a person in the group (user ID, e-mail or name); repeatable")
	return cmd
}

func newGroupMembersCmd(e *env, o *clientOpts) *cobra.Command {
	var security bool
	cmd := &cobra.Command{
		Use:   "members GROUP [USER...]",
		Short: "Set the people in a stakeholder group (and whether it is the security group)",
		Long: `Set the people in a stakeholder group: the users named replace its members
(none: the group is left empty). With --security=true or --security=false the
group's security mark changes too: members of a security group see every
private incident. Admins only.`,
		Example: `  vigil group members Security ana@example.com bo@example.com --security
  vigil group members 3`,
		Args: cobra.MinimumNArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			g, err := findGroup(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			in := client.StakeholderGroupInput{Name: g.Name, Description: g.Description, Channels: g.Channels,
				MinSeverity: g.MinSeverity, Security: g.Security, Members: []int64{}}
			if cmd.Flags().Changed("security") {
				in.Security = security
			}
			for _, ref := range args[1:] {
				uid, err := findUserID(cmd.Context(), c, ref)
				if err != nil {
					return err
				}
				in.Members = append(in.Members, uid)
			}
			g, err = c.UpdateStakeholderGroup(cmd.Context(), g.ID, in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, g)
			}
			kind := "stakeholder group"
			if g.Security {
				kind = "security group"
			}
			fmt.Fprintf(e.stdout, "%s %d (%s) has %s.\n", clean(g.Name), g.ID, kind, plural(len(g.Members), "member"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&security, "security", false, "mark (true) or unmark (false) the security group; unchanged when not given")
	return cmd
}

// findGroup finds a group by ID or by name (any case).
func findGroup(ctx context.Context, c *client.Client, ref string) (*vigil.StakeholderGroup, error) {
	if id, err := parseID("group", ref); err == nil {
		return c.GetStakeholderGroup(ctx, id)
	}
	groups, err := c.ListStakeholderGroups(ctx)
	if err != nil {
		return nil, err
	}
	key := vigil.StakeholderGroupKey(ref)
	for _, g := range groups {
		if vigil.StakeholderGroupKey(g.Name) == key {
			return g, nil
		}
	}
	return nil, fmt.Errorf("no stakeholder group named %q (see `vigil group list`)", ref)
}

func newGroupShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show GROUP",
		Aliases: []string{"get", "view"},
		Short:   "Show a stakeholder group and its channels",
		Example: `  vigil group show "Customer support"
  vigil group show 3 -o json`,
		Args: argsN(1, "one group ID or name"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			g, err := findGroup(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, g)
			}
			fmt.Fprintf(e.stdout, "Stakeholder group %d: %s\n\n", g.ID, clean(g.Name))
			t := newTable(e.stdout)
			if g.Description != "" {
				t.row("Description:", truncate(g.Description, 200))
			}
			t.row("Hears:", hears(g.MinSeverity))
			if g.Security {
				t.row("Security:", "yes: its members see every private incident")
			}
			t.row("Members:", strconv.Itoa(len(g.Members)))
			t.row("Updated:", stamp(g.UpdatedAt, time.Now()))
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "\nChannels (%d):\n", len(g.Channels))
			t = newTable(e.stdout, "NAME", "TYPE", "ADDRESS")
			for _, ch := range g.Channels {
				t.row(truncate(ch.Name, 60), ch.Type, ch.Address)
			}
			return t.flush()
		}),
	}
}

func newGroupDeleteCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "delete GROUP",
		Aliases: []string{"rm"},
		Short:   "Delete a stakeholder group (the updates it got stay on their incidents' timelines)",
		Args:    argsN(1, "one group ID or name"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			g, err := findGroup(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteStakeholderGroup(cmd.Context(), g.ID); err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"id": g.ID, "deleted": true})
			}
			fmt.Fprintf(e.stdout, "Deleted stakeholder group %d: %s.\n", g.ID, clean(g.Name))
			return nil
		}),
	}
}

// Status updates, under `vigil incident`.

func newIncidentStatusUpdateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		message string
		groups  []string
	)
	cmd := &cobra.Command{
		Use:   "status-update ID [TEXT]",
		Short: "Tell stakeholder groups how an incident is going (a status update, not a page)",
		Long: `Post a status update on an incident: one message to every channel of the
stakeholder groups told, and a line on the incident's timeline.

With --group, the groups named (repeatable, any case); without, every group
whose --min-severity the incident's severity reaches. Naming an unknown group,
or reaching no group at all, is an error and sends nothing.

The text is the second argument or --message; "-" reads it from standard
input. It is sent whole: at most ` + strconv.Itoa(vigil.MaxStatusUpdateLen) + ` bytes.`,
		Example: `  vigil incident status-update 42 "We are rolling back the deploy. Next update at 15:00."
  vigil incident status-update '#42' "Checkout works again" --group "Customer support" --group Executives
  vigil incident status-updates 42`,
		Args: incidentTextArgs("update"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, text, err := incidentText(e, args, message, "update", vigil.MaxStatusUpdateLen)
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			u, err := c.PostStatusUpdate(cmd.Context(), id, vigil.StatusUpdateInput{Message: text, Groups: groups})
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, u)
			}
			fmt.Fprintf(e.stdout, "Status update on incident #%d to %s: queued %s.\n", id, strings.Join(u.Groups, ", "),
				plural(len(u.Messages), "message"))
			return printStatusMessages(e.stdout, u.Messages)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&message, "message", "m", "", `the update's text ("-" reads standard input)`)
	f.StringArrayVarP(&groups, "group", "g", nil, "a stakeholder group to tell (name, any case); repeatable; default: the groups by severity")
	return cmd
}

func printStatusMessages(w io.Writer, ms []*client.StatusMessage) error {
	t := newTable(w, "GROUP", "CHANNEL", "TYPE", "ADDRESS", "STATUS")
	for _, m := range ms {
		status := m.Status
		if m.LastError != "" && m.Status != vigil.NotificationSent {
			status += ": " + truncate(m.LastError, 80)
		}
		t.row(truncate(m.Group, 40), truncate(m.Channel, 40), m.DestType, m.DestAddress, status)
	}
	return t.flush()
}

func newIncidentStatusUpdatesCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "status-updates ID",
		Short:   "List an incident's status updates, newest first, and how each message fared",
		Example: `  vigil incident status-updates 42`,
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
			list, err := c.StatusUpdates(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(e.stderr, "No status updates on incident #%d yet.\n", id)
				return nil
			}
			now := time.Now()
			for i, u := range list {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprintf(e.stdout, "%s to %s:\n%s\n", by(stamp(u.At, now), u.Actor), strings.Join(u.Groups, ", "), indent(cleanText(u.Message), "  "))
				if err := printStatusMessages(e.stdout, u.Messages); err != nil {
					return err
				}
			}
			return nil
		}),
	}
}
