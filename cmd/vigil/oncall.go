package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The on-call commands: user, team, schedule, policy, oncall and page.
//
// Times (--start, --end, --from, --to, --at) are RFC 3339 ("2026-03-01T09:00:00Z"),
// a date ("2026-03-01", midnight UTC), "now", or a signed duration from now
// ("+2h", "-30m", "+1d12h").

const timeHelp = `RFC 3339 time, a date, "now", or a signed duration from now like +2h or -30m`

// maxSpecFile bounds a schedule or policy file.
const maxSpecFile = 1 << 20

// parseOnCallTime reads a time flag: RFC 3339, a date, "now" or ±duration.
func parseOnCallTime(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("invalid %s %q: use an %s", flag, s, timeHelp)
	switch {
	case s == "":
		return time.Time{}, bad
	case strings.EqualFold(s, "now"):
		return now, nil
	case s[0] == '+' || s[0] == '-':
		d, err := parseAgo(s[1:])
		if err != nil || d < 0 {
			return time.Time{}, bad
		}
		if s[0] == '-' {
			d = -d
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, bad
}

// optionalTime is parseOnCallTime for a flag that may be empty (zero time:
// the server's default).
func optionalTime(flag, s string, now time.Time) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	return parseOnCallTime(flag, s, now)
}

// utc formats a time for tables, in UTC so output does not depend on the
// machine's zone.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// findUser turns a user reference (an ID, an e-mail address or an exact
// name) into the user.
func findUser(ctx context.Context, c *client.Client, ref string) (*vigil.User, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, errors.New("a user is required (an ID, e-mail address or name)")
	}
	if id, err := parseID("user", ref); err == nil {
		return c.GetUser(ctx, id)
	}
	users, err := c.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var match []*vigil.User
	for _, u := range users {
		if strings.EqualFold(u.Email, ref) {
			return u, nil
		}
		if u.Name == ref {
			match = append(match, u)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("no user %q (see `vigil user list`)", ref)
	case 1:
		return match[0], nil
	}
	return nil, fmt.Errorf("%d users are named %q: use an ID or e-mail address", len(match), ref)
}

func findUserID(ctx context.Context, c *client.Client, ref string) (int64, error) {
	if id, err := parseID("user", ref); err == nil {
		return id, nil
	}
	u, err := findUser(ctx, c, ref)
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

// readSpec reads a JSON file ("-": standard input) into v, refusing unknown
// fields so a typo fails here rather than being dropped.
func readSpec(e *env, file string, v any) error {
	b, err := readInput(e, file, maxSpecFile)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s is not a valid file: %w", file, err)
	}
	if dec.More() {
		return fmt.Errorf("%s holds more than one JSON value", file)
	}
	return nil
}

// deleteByIDCmd is "delete ID" for a resource with a delete call.
func deleteByIDCmd(e *env, o *clientOpts, what, note string, del func(ctx context.Context, c *client.Client, id int64) error) *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID",
		Aliases: []string{"rm"},
		Short:   "Delete a " + what + note,
		Args:    argsN(1, "one "+what+" ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID(what, args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if err := del(cmd.Context(), c, id); err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"id": id, "deleted": true})
			}
			fmt.Fprintf(e.stdout, "Deleted %s %d.\n", what, id)
			return nil
		}),
	}
}

// Users.

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "user",
		Aliases: []string{"users"},
		Short:   "Manage users, their contact methods and notification rules",
		Long: `Manage the people Vigil pages: users, their contact methods (how to reach
them) and their notification rules (which method, how long after a page).
A USER argument is an ID, an e-mail address or an exact name.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newUserListCmd(e, o), newUserCreateCmd(e, o),
		deleteByIDCmd(e, o, "user", " with their contact methods, rules, memberships and overrides",
			func(ctx context.Context, c *client.Client, id int64) error { return c.DeleteUser(ctx, id) }),
		newUserContactCmd(e, o), newUserRuleCmd(e, o),
		newUserPasswordResetCmd(e, o), newUserSignOutCmd(e, o), newUserSessionsCmd(e, o),
		newUserIdentitiesCmd(e, o), newUserUnlinkCmd(e, o))
	return cmd
}

// listSpec describes a `list` command: what to fetch, what to say when
// there is nothing, and one table row per item (JSON with -o json).
type listSpec[T any] struct {
	short   string
	empty   string // printed to stderr when the list is empty
	fetch   func(*client.Client, context.Context) ([]T, error)
	headers []string
	// needNames fetches the users' names first, for rows that show people.
	needNames bool
	row       func(item T, names vigil.UserNames) []string
}

func newListCmd[T any](e *env, o *clientOpts, spec listSpec[T]) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: spec.short,
		Args:  cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			items, err := spec.fetch(c, cmd.Context())
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, spec.empty)
				return nil
			}
			var names vigil.UserNames
			if spec.needNames {
				if names, err = vigil.LoadUserNames(cmd.Context(), c); err != nil {
					return err
				}
			}
			t := newTable(e.stdout, spec.headers...)
			for _, it := range items {
				t.row(spec.row(it, names)...)
			}
			return t.flush()
		}),
	}
}

func newUserListCmd(e *env, o *clientOpts) *cobra.Command {
	return newListCmd(e, o, listSpec[*vigil.User]{
		short:   "List users",
		empty:   "No users yet. Create one with `vigil user create --name NAME --email ADDRESS`.",
		fetch:   (*client.Client).ListUsers,
		headers: []string{"ID", "NAME", "EMAIL", "TIME ZONE"},
		row: func(u *vigil.User, _ vigil.UserNames) []string {
			return []string{strconv.FormatInt(u.ID, 10), truncate(u.Name, 60), u.Email, u.TimeZone}
		},
	})
}

func newUserCreateCmd(e *env, o *clientOpts) *cobra.Command {
	var in client.UserInput
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create a user",
		Example: `  vigil user create --name "Ana Lima" --email ana@example.com --tz Europe/Berlin`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(in.Name) == "" || strings.TrimSpace(in.Email) == "" {
				return errors.New("--name and --email are required")
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, u)
			}
			fmt.Fprintf(e.stdout, "Created user %d: %s <%s> (%s).\n", u.ID, clean(u.Name), clean(u.Email), u.TimeZone)
			fmt.Fprintf(e.stdout, "Next: vigil user contact add %d --type sms --address +4915112345678\n", u.ID)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "the user's name; required")
	f.StringVar(&in.Email, "email", "", "the user's e-mail address; required, unique")
	f.StringVar(&in.TimeZone, "tz", "", "the user's IANA time zone, like Europe/Berlin (default UTC)")
	return cmd
}

func newUserContactCmd(e *env, o *clientOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "contact",
		Aliases: []string{"contacts", "contact-method"},
		Short:   "Manage a user's contact methods",
	}
	cmd.AddCommand(newUserContactAddCmd(e, o), newUserContactListCmd(e, o), newUserContactTestCmd(e, o), newUserContactDeleteCmd(e, o))
	return cmd
}

func newUserContactAddCmd(e *env, o *clientOpts) *cobra.Command {
	var in client.ContactMethodCreate
	cmd := &cobra.Command{
		Use:   "add USER",
		Short: "Add a contact method to a user",
		Long: `Add a contact method. Types and their addresses:
  email        an e-mail address
  sms, voice   a phone number in E.164 form (+4915112345678)
  sms_gateway  a phone number, sent through the generic SMS gateway
  slack        a Slack member or channel ID (U024BE7LH)
  teams        a Microsoft Teams Workflows webhook URL (kept secret, shown masked)
  webhook      an http(s) URL that receives JSON (kept secret, shown masked)`,
		Example: `  vigil user contact add ana@example.com --type sms --address +4915112345678 --name mobile`,
		Args:    argsN(1, "one user (ID, e-mail or name)"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if in.Type == "" || in.Address == "" {
				return errors.New("--type and --address are required")
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			uid, err := findUserID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			m, err := c.CreateContactMethod(cmd.Context(), uid, in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, m)
			}
			fmt.Fprintf(e.stdout, "Added contact method %d (%s, %s %s) to user %d.\n", m.ID, clean(m.Name), m.Type, clean(m.Address), uid)
			fmt.Fprintf(e.stdout, "Try it: vigil user contact test %d %d\n", uid, m.ID)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Type, "type", "", "email, sms, voice, sms_gateway, slack, teams or webhook; required")
	f.StringVar(&in.Address, "address", "", "where to send (see above); required")
	f.StringVar(&in.Name, "name", "", "a label such as mobile or work (default the type)")
	f.BoolVar(&in.Disabled, "disabled", false, "add it disabled (it is not used until enabled)")
	return cmd
}

func newUserContactListCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "list USER",
		Short: "List a user's contact methods (secret addresses masked)",
		Args:  argsN(1, "one user (ID, e-mail or name)"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			uid, err := findUserID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			list, err := c.ListContactMethods(cmd.Context(), uid)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(e.stderr, "User %d has no contact methods: add one with `vigil user contact add %d --type ... --address ...`.\n", uid, uid)
				return nil
			}
			t := newTable(e.stdout, "ID", "NAME", "TYPE", "ADDRESS", "STATE")
			for _, m := range list {
				state := "enabled"
				if m.Disabled {
					state = "disabled"
				}
				t.row(strconv.FormatInt(m.ID, 10), truncate(m.Name, 40), m.Type, truncate(m.Address, 60), state)
			}
			return t.flush()
		}),
	}
}

func newUserContactTestCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "test USER METHOD",
		Short:   "Send a test notification to a contact method",
		Example: `  vigil user contact test 1 3`,
		Args:    argsN(2, "a user and a contact method ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			mid, err := parseID("contact method", args[1])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			uid, err := findUserID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			n, err := c.TestContactMethod(cmd.Context(), uid, mid)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, n)
			}
			fmt.Fprintf(e.stdout, "Queued test notification %d to %s %s.\n", n.ID, n.DestType, clean(n.DestAddress))
			return nil
		}),
	}
}

func newUserContactDeleteCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "delete USER METHOD",
		Aliases: []string{"rm"},
		Short:   "Delete a contact method (and the rules that use it)",
		Args:    argsN(2, "a user and a contact method ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			mid, err := parseID("contact method", args[1])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			uid, err := findUserID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteContactMethod(cmd.Context(), uid, mid); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Deleted contact method %d of user %d.\n", mid, uid)
			return nil
		}),
	}
}

func newUserRuleCmd(e *env, o *clientOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rule",
		Aliases: []string{"rules", "notification-rule"},
		Short:   "Manage a user's notification rules (which contact method, how long after a page)",
	}
	cmd.AddCommand(newUserRuleAddCmd(e, o), newUserRuleListCmd(e, o))
	return cmd
}

func newUserRuleAddCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		method int64
		delay  string
	)
	cmd := &cobra.Command{
		Use:     "add USER",
		Short:   "Add a notification rule",
		Example: "  vigil user rule add 1 --method 3 --delay 0\n  vigil user rule add 1 --method 4 --delay 5m",
		Args:    argsN(1, "one user (ID, e-mail or name)"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if method <= 0 {
				return errors.New("--method is required (a contact method ID, see `vigil user contact list`)")
			}
			d := time.Duration(0)
			if s := strings.TrimSpace(delay); s != "" && s != "0" {
				var err error
				if d, err = parseAgo(s); err != nil || d < 0 {
					return fmt.Errorf("invalid --delay %q: use a duration like 0, 2m or 1h", delay)
				}
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			uid, err := findUserID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			r, err := c.CreateNotificationRule(cmd.Context(), uid, client.NotificationRuleCreate{ContactMethodID: method, Delay: vigil.Duration(d)})
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, r)
			}
			fmt.Fprintf(e.stdout, "Added rule %d: user %d is notified on contact method %d %s after a page.\n", r.ID, uid, r.ContactMethodID, r.Delay)
			return nil
		}),
	}
	cmd.Flags().Int64Var(&method, "method", 0, "the contact method ID; required")
	cmd.Flags().StringVar(&delay, "delay", "0", "how long after the page (0, 2m, 1h)")
	return cmd
}

func newUserRuleListCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "list USER",
		Short: "List a user's notification rules",
		Args:  argsN(1, "one user (ID, e-mail or name)"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			uid, err := findUserID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			rules, err := c.ListNotificationRules(cmd.Context(), uid)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, rules)
			}
			if len(rules) == 0 {
				fmt.Fprintf(e.stderr, "User %d has no notification rules.\n", uid)
				return nil
			}
			t := newTable(e.stdout, "ID", "DELAY", "CONTACT METHOD")
			for _, r := range rules {
				t.row(strconv.FormatInt(r.ID, 10), r.Delay.String(), strconv.FormatInt(r.ContactMethodID, 10))
			}
			return t.flush()
		}),
	}
}

// Teams.

func newTeamCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "team",
		Aliases: []string{"teams"},
		Short:   "Manage teams",
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newTeamListCmd(e, o), newTeamCreateCmd(e, o), newTeamUpdateCmd(e, o),
		deleteByIDCmd(e, o, "team", " (what it owns keeps working without an owner)",
			func(ctx context.Context, c *client.Client, id int64) error { return c.DeleteTeam(ctx, id) }))
	return cmd
}

func newTeamListCmd(e *env, o *clientOpts) *cobra.Command {
	return newListCmd(e, o, listSpec[*vigil.Team]{
		short:     "List teams with their members",
		empty:     "No teams yet. Create one with `vigil team create --name NAME --member USER`.",
		fetch:     (*client.Client).ListTeams,
		headers:   []string{"ID", "NAME", "MEMBERS", "MANAGERS", "RESPONDERS"},
		needNames: true,
		row: func(tm *vigil.Team, names vigil.UserNames) []string {
			of := func(ids []int64) string {
				out := make([]string, len(ids))
				for i, uid := range ids {
					out[i] = names.Of(uid)
				}
				return truncate(strings.Join(out, ", "), 100)
			}
			return []string{strconv.FormatInt(tm.ID, 10), truncate(tm.Name, 60), of(tm.Members), of(tm.Managers), of(tm.Responders)}
		},
	})
}

func newTeamCreateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		in                            client.TeamInput
		members, managers, responders []string
	)
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create a team",
		Example: `  vigil team create --name payments --member 1 --member bob@example.com --manager ana@example.com --responder cy@example.com`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(in.Name) == "" {
				return errors.New("--name is required")
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if in.Members, err = findUserIDs(cmd.Context(), c, members); err != nil {
				return err
			}
			if in.Managers, err = findUserIDs(cmd.Context(), c, managers); err != nil {
				return err
			}
			if in.Responders, err = findUserIDs(cmd.Context(), c, responders); err != nil {
				return err
			}
			t, err := c.CreateTeam(cmd.Context(), in)
			if err != nil {
				return err
			}
			return printTeam(e, o, "Created", t)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "the team's name; required, unique")
	f.StringVar(&in.Description, "description", "", "what the team does")
	f.StringSliceVar(&members, "member", nil, "a member (user ID, e-mail or name); repeatable or comma-separated")
	f.StringSliceVar(&managers, "manager", nil, "a manager, who edits the team's services, schedules and policies (made a member too); repeatable")
	f.StringSliceVar(&responders, "responder", nil, "a responder, who acknowledges, resolves and works the team's incidents whatever their role (made a member too); repeatable")
	return cmd
}

// newTeamUpdateCmd changes the flags given and keeps the rest.
func newTeamUpdateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		name, description             string
		members, managers, responders []string
	)
	cmd := &cobra.Command{
		Use:     "update ID",
		Short:   "Change a team's name, description, members, managers or responders (what you leave out stays)",
		Example: `  vigil team update 3 --manager ana@example.com --manager bob@example.com`,
		Args:    argsN(1, "one team ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("team", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			cur, err := c.GetTeam(cmd.Context(), id)
			if err != nil {
				return err
			}
			in := client.TeamInput{Name: cur.Name, Description: cur.Description, Members: cur.Members, Managers: cur.Managers,
				Responders: cur.Responders}
			fl := cmd.Flags()
			if fl.Changed("name") {
				in.Name = name
			}
			if fl.Changed("description") {
				in.Description = description
			}
			if fl.Changed("member") {
				if in.Members, err = findUserIDs(cmd.Context(), c, members); err != nil {
					return err
				}
			}
			if fl.Changed("manager") {
				if in.Managers, err = findUserIDs(cmd.Context(), c, managers); err != nil {
					return err
				}
			}
			if fl.Changed("responder") {
				if in.Responders, err = findUserIDs(cmd.Context(), c, responders); err != nil {
					return err
				}
			}
			if in.Managers == nil {
				in.Managers = []int64{}
			}
			if in.Responders == nil {
				in.Responders = []int64{}
			}
			t, err := c.UpdateTeam(cmd.Context(), id, in)
			if err != nil {
				return err
			}
			return printTeam(e, o, "Updated", t)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "a new name")
	f.StringVar(&description, "description", "", "a new description")
	f.StringSliceVar(&members, "member", nil, "the members, replacing the old list (user ID, e-mail or name); repeatable")
	f.StringSliceVar(&managers, "manager", nil, "the managers, replacing the old list; --manager '' removes all")
	f.StringSliceVar(&responders, "responder", nil, "the responders, replacing the old list; --responder '' removes all")
	return cmd
}

func findUserIDs(ctx context.Context, c *client.Client, refs []string) ([]int64, error) {
	ids := []int64{}
	for _, m := range refs {
		if strings.TrimSpace(m) == "" {
			continue
		}
		uid, err := findUserID(ctx, c, m)
		if err != nil {
			return nil, err
		}
		ids = append(ids, uid)
	}
	return ids, nil
}

func printTeam(e *env, o *clientOpts, verb string, t *vigil.Team) error {
	if o.output == outputJSON {
		return writeJSON(e.stdout, t)
	}
	fmt.Fprintf(e.stdout, "%s team %d: %s with %s.", verb, t.ID, clean(t.Name), plural(len(t.Members), "member"))
	if len(t.Managers) > 0 {
		fmt.Fprintf(e.stdout, " %s.", plural(len(t.Managers), "manager"))
	}
	if len(t.Responders) > 0 {
		fmt.Fprintf(e.stdout, " %s.", plural(len(t.Responders), "responder"))
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// Schedules.

func newScheduleCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "schedule",
		Aliases: []string{"schedules"},
		Short:   "Manage on-call schedules, their shifts and overrides",
		Long: `Manage on-call schedules. A schedule is created from a JSON file:

  {
    "name": "Primary",
    "time_zone": "Europe/Berlin",
    "layers": [{
      "name": "weekly",
      "start": "2026-03-02T09:00:00+01:00",
      "turn_unit": "week", "turn_count": 1,
      "members": [1, 2],
      "restrictions": [{"kind": "daily", "start": "09:00", "duration": "8h"}]
    }]
  }

Layers stack (a later layer wins where it has someone on call); overrides
win over every layer. Members are user IDs in turn order; turn_unit is
hour, day or week.

--from, --to, --start and --end take an ` + timeHelp + `.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newScheduleListCmd(e, o), newScheduleShowCmd(e, o), newSpecCmd(e, o, scheduleSpec, false),
		newSpecCmd(e, o, scheduleSpec, true),
		deleteByIDCmd(e, o, "schedule", " and its overrides (refused while an escalation policy pages it)",
			func(ctx context.Context, c *client.Client, id int64) error { return c.DeleteSchedule(ctx, id) }),
		newScheduleShiftsCmd(e, o), newScheduleOverrideCmd(e, o))
	return cmd
}

func newScheduleListCmd(e *env, o *clientOpts) *cobra.Command {
	return newListCmd(e, o, listSpec[*vigil.Schedule]{
		short:   "List schedules",
		empty:   "No schedules yet. Create one with `vigil schedule create -f schedule.json` (see --help).",
		fetch:   (*client.Client).ListSchedules,
		headers: []string{"ID", "NAME", "TIME ZONE", "LAYERS"},
		row: func(s *vigil.Schedule, _ vigil.UserNames) []string {
			return []string{strconv.FormatInt(s.ID, 10), truncate(s.Name, 60), s.TimeZone, strconv.Itoa(len(s.Layers))}
		},
	})
}

func newScheduleShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Aliases: []string{"get", "view"},
		Short:   "Show a schedule, its layers and who is on call now",
		Args:    argsN(1, "one schedule ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("schedule", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			s, err := c.GetSchedule(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, s)
			}
			now, err := c.ScheduleOnCall(cmd.Context(), id, time.Time{})
			if err != nil {
				return err
			}
			names, err := vigil.LoadUserNames(cmd.Context(), c)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Schedule %d: %s\n\n", s.ID, clean(s.Name))
			t := newTable(e.stdout)
			t.row("Time zone:", s.TimeZone)
			if s.TeamID != 0 {
				t.row("Team:", strconv.FormatInt(s.TeamID, 10))
			}
			t.row("On call:", onCallText(*now))
			if now.Next != nil {
				t.row("Next:", shiftText(*now.Next))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if s.Description != "" {
				fmt.Fprintf(e.stdout, "\nDescription:\n%s\n", indent(cleanText(s.Description), "  "))
			}
			if len(s.Layers) > 0 {
				fmt.Fprintln(e.stdout)
				lt := newTable(e.stdout, "LAYER", "NAME", "TURN", "START", "MEMBERS", "RESTRICTIONS")
				for i, l := range s.Layers {
					members := make([]string, len(l.Members))
					for j, uid := range l.Members {
						members[j] = names.Of(uid)
					}
					lt.row(strconv.Itoa(i+1), l.Name, fmt.Sprintf("%d %s", l.TurnCount, l.TurnUnit), utc(l.Start),
						truncate(strings.Join(members, ", "), 80), restrictionsText(l.Restrictions))
				}
				return lt.flush()
			}
			return nil
		}),
	}
}

func restrictionsText(rs []vigil.Restriction) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r.Kind == vigil.RestrictWeekly {
			parts[i] = fmt.Sprintf("%s %s +%s", r.Weekday.String()[:3], r.Start, r.Duration)
		} else {
			parts[i] = fmt.Sprintf("daily %s +%s", r.Start, r.Duration)
		}
	}
	return strings.Join(parts, ", ")
}

// onCallText is "Ana (1) until 2026-...", "nobody", or an error.
func onCallText(s client.ScheduleOnCall) string {
	switch {
	case s.Error != "":
		return "cannot tell: " + s.Error
	case s.User == nil:
		return "nobody"
	}
	txt := fmt.Sprintf("%s (%d)", s.User.Name, s.User.ID)
	if s.Override {
		txt += " [override]"
	}
	if s.ShiftEnd != nil {
		txt += " until " + utc(*s.ShiftEnd)
	}
	return txt
}

func shiftText(sh client.Shift) string {
	txt := fmt.Sprintf("%s (%d) from %s to %s", sh.UserName, sh.UserID, utc(sh.Start), utc(sh.End))
	if sh.Override {
		txt += " [override]"
	}
	return txt
}

func newScheduleShiftsCmd(e *env, o *clientOpts) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:     "shifts ID",
		Short:   "List a schedule's shifts (default the next 14 days, at most 366)",
		Example: "  vigil schedule shifts 1\n  vigil schedule shifts 1 --from 2026-03-01 --to +30d",
		Args:    argsN(1, "one schedule ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("schedule", args[0])
			if err != nil {
				return err
			}
			now := time.Now()
			f, err := optionalTime("--from", from, now)
			if err != nil {
				return err
			}
			t, err := optionalTime("--to", to, now)
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			list, err := c.ListShifts(cmd.Context(), id, f, t)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, list.Items)
			}
			if len(list.Items) == 0 {
				fmt.Fprintf(e.stderr, "Nobody is on call from %s to %s.\n", utc(list.From), utc(list.To))
				return nil
			}
			tb := newTable(e.stdout, "START", "END", "USER", "OVERRIDE")
			for _, sh := range list.Items {
				tb.row(utc(sh.Start), utc(sh.End), fmt.Sprintf("%s (%d)", sh.UserName, sh.UserID), yesNoBlank(sh.Override))
			}
			return tb.flush()
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "start of the window (default now); "+timeHelp)
	cmd.Flags().StringVar(&to, "to", "", "end of the window (default 14 days after --from)")
	return cmd
}

func yesNoBlank(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

func newScheduleOverrideCmd(e *env, o *clientOpts) *cobra.Command {
	var user, start, end string
	cmd := &cobra.Command{
		Use:   "override ID",
		Short: "Put a user on call on a schedule for a time (above every layer)",
		Long: `Put a user on call for [--start, --end), above every layer; a later override
wins over an earlier one. Times are ` + timeHelp + `.`,
		Example: `  vigil schedule override 1 --user bob@example.com --start now --end +2h
  vigil schedule override 1 --user 2 --start 2026-03-07T18:00:00Z --end 2026-03-09T09:00:00Z`,
		Args: argsN(1, "one schedule ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("schedule", args[0])
			if err != nil {
				return err
			}
			if user == "" || start == "" || end == "" {
				return errors.New("--user, --start and --end are required")
			}
			now := time.Now()
			var in client.OverrideCreate
			if in.Start, err = parseOnCallTime("--start", start, now); err != nil {
				return err
			}
			if in.End, err = parseOnCallTime("--end", end, now); err != nil {
				return err
			}
			if !in.End.After(in.Start) {
				return errors.New("--end must be after --start")
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			u, err := findUser(cmd.Context(), c, user)
			if err != nil {
				return err
			}
			in.UserID = u.ID
			ov, err := c.CreateOverride(cmd.Context(), id, in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, ov)
			}
			fmt.Fprintf(e.stdout, "Created override %d: %s (%d) is on call on schedule %d from %s to %s.\n",
				ov.ID, clean(u.Name), u.ID, id, utc(ov.Start), utc(ov.End))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "who goes on call (user ID, e-mail or name); required")
	f.StringVar(&start, "start", "", "when the override starts; required")
	f.StringVar(&end, "end", "", "when it ends; required")
	return cmd
}

// Escalation policies.

func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "policy",
		Aliases: []string{"policies", "escalation-policy"},
		Short:   "Manage escalation policies",
		Long: `Manage escalation policies: whom to page, in which order. A policy is
created from a JSON file:

  {
    "name": "Payments",
    "repeat": 1,
    "steps": [
      {"delay": "10m", "targets": [{"type": "schedule", "id": 1}]},
      {"delay": "15m", "targets": [{"type": "user", "id": 2}, {"type": "team", "id": 1}]}
    ]
  }

Step 1 fires at once; each step waits its delay before the next. A step may
have a "condition" ({"time_zone", "weekdays", "start", "end"}) limiting it
to a weekly window. A service uses a policy once it names it:
PATCH /api/v1/services/{id} {"escalation_policy_id": ID}.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newPolicyListCmd(e, o), newPolicyShowCmd(e, o), newSpecCmd(e, o, policySpec, false), newSpecCmd(e, o, policySpec, true),
		deleteByIDCmd(e, o, "policy", " (refused while a service uses it)",
			func(ctx context.Context, c *client.Client, id int64) error { return c.DeleteEscalationPolicy(ctx, id) }))
	return cmd
}

func newPolicyListCmd(e *env, o *clientOpts) *cobra.Command {
	return newListCmd(e, o, listSpec[*vigil.EscalationPolicy]{
		short:   "List escalation policies",
		empty:   "No escalation policies yet. Create one with `vigil policy create -f policy.json` (see --help).",
		fetch:   (*client.Client).ListEscalationPolicies,
		headers: []string{"ID", "NAME", "STEPS", "REPEAT"},
		row: func(p *vigil.EscalationPolicy, _ vigil.UserNames) []string {
			return []string{strconv.FormatInt(p.ID, 10), truncate(p.Name, 60), strconv.Itoa(len(p.Steps)), strconv.Itoa(p.Repeat)}
		},
	})
}

func newPolicyShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Aliases: []string{"get", "view"},
		Short:   "Show an escalation policy and its steps",
		Args:    argsN(1, "one policy ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("policy", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			p, err := c.GetEscalationPolicy(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, p)
			}
			names, err := vigil.LoadUserNames(cmd.Context(), c)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Escalation policy %d: %s\n", p.ID, clean(p.Name))
			if p.Repeat > 0 {
				fmt.Fprintf(e.stdout, "Repeats %s after the last step.\n", plural(p.Repeat, "time"))
			}
			if p.Description != "" {
				fmt.Fprintf(e.stdout, "\nDescription:\n%s\n", indent(cleanText(p.Description), "  "))
			}
			fmt.Fprintln(e.stdout)
			t := newTable(e.stdout, "STEP", "TARGETS", "THEN WAIT", "CONDITION")
			for i, s := range p.Steps {
				targets := make([]string, len(s.Targets))
				for j, tg := range s.Targets {
					targets[j] = fmt.Sprintf("%s %d", tg.Type, tg.ID)
					if n := names[tg.ID]; tg.Type == vigil.TargetUser && n != "" {
						targets[j] = fmt.Sprintf("user %s (%d)", n, tg.ID)
					}
				}
				cond := ""
				if s.Condition != nil {
					cond = conditionText(s.Condition)
				}
				t.row(strconv.Itoa(i+1), truncate(strings.Join(targets, ", "), 100), s.Delay.String(), cond)
			}
			return t.flush()
		}),
	}
}

func conditionText(c *vigil.StepCondition) string {
	days := "every day"
	if len(c.Weekdays) > 0 {
		d := make([]string, len(c.Weekdays))
		for i, w := range c.Weekdays {
			d[i] = w.String()[:3]
		}
		days = strings.Join(d, ",")
	}
	hours := "all day"
	if c.Start != 0 || c.End != 0 {
		hours = c.Start.String() + "-" + c.End.String()
	}
	tz := c.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return days + " " + hours + " " + tz
}

// specCmd describes a resource created and replaced from a JSON file.
type specCmd[In, Out any] struct {
	noun, file, example string // "schedule", "a schedule", "primary.json"
	create              func(c *client.Client, ctx context.Context, in In) (Out, error)
	update              func(c *client.Client, ctx context.Context, id int64, in In) (Out, error)
	summary             func(Out) string // "schedule 3: Primary (UTC, 1 layer)"
}

// newSpecCmd is "create -f FILE", or with update "update ID -f FILE".
func newSpecCmd[In, Out any](e *env, o *clientOpts, sc specCmd[In, Out], update bool) *cobra.Command {
	var file string
	use, short, args := "create", fmt.Sprintf("Create %s from a JSON file (see `vigil %s --help`)", sc.file, sc.noun), cobra.PositionalArgs(cobra.NoArgs)
	if update {
		use, short, args = "update ID", fmt.Sprintf("Replace %s with a JSON file", sc.file), argsN(1, "one "+sc.noun+" ID")
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: fmt.Sprintf("  vigil %s create -f %s", sc.noun, sc.example),
		Args:    args,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			var id int64
			if update {
				var err error
				if id, err = parseID(sc.noun, args[0]); err != nil {
					return err
				}
			}
			var in In
			if err := readSpec(e, file, &in); err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			var out Out
			verb := "Created"
			if update {
				out, err = sc.update(c, cmd.Context(), id, in)
				verb = "Updated"
			} else {
				out, err = sc.create(c, cmd.Context(), in)
			}
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, out)
			}
			fmt.Fprintf(e.stdout, "%s %s.\n", verb, sc.summary(out))
			return nil
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the "+sc.noun+" as JSON (- reads standard input); required")
	return cmd
}

var scheduleSpec = specCmd[client.ScheduleInput, *vigil.Schedule]{
	noun: "schedule", file: "a schedule", example: "primary.json",
	create: (*client.Client).CreateSchedule, update: (*client.Client).UpdateSchedule,
	summary: func(s *vigil.Schedule) string {
		return fmt.Sprintf("schedule %d: %s (%s, %s)", s.ID, clean(s.Name), s.TimeZone, plural(len(s.Layers), "layer"))
	},
}

var policySpec = specCmd[client.EscalationPolicyInput, *vigil.EscalationPolicy]{
	noun: "policy", file: "an escalation policy", example: "payments.json",
	create: (*client.Client).CreateEscalationPolicy, update: (*client.Client).UpdateEscalationPolicy,
	summary: func(p *vigil.EscalationPolicy) string {
		return fmt.Sprintf("escalation policy %d: %s (%s)", p.ID, clean(p.Name), plural(len(p.Steps), "step"))
	},
}

// Who is on call, and paging by hand.

func newOnCallCmd(e *env) *cobra.Command {
	var at string
	cmd := &cobra.Command{
		Use:     "oncall",
		Aliases: []string{"on-call", "whoisoncall"},
		Short:   "Show who is on call on every schedule (and whom each policy pages first)",
		Example: "  vigil oncall\n  vigil oncall --at +8h\n  vigil oncall --at 2026-03-07T03:00:00Z -o json",
		Args:    cobra.NoArgs,
	}
	o := addClientFlags(cmd, e)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		when, err := optionalTime("--at", at, time.Now())
		if err != nil {
			return err
		}
		c, err := o.client()
		if err != nil {
			return err
		}
		oc, err := c.OnCall(cmd.Context(), when)
		if err != nil {
			return err
		}
		if o.output == outputJSON {
			return writeJSON(e.stdout, oc)
		}
		if len(oc.Schedules) == 0 && len(oc.EscalationPolicies) == 0 {
			fmt.Fprintln(e.stderr, "No schedules or escalation policies yet: see `vigil schedule --help`.")
			return nil
		}
		if len(oc.Schedules) > 0 {
			t := newTable(e.stdout, "SCHEDULE", "ON CALL", "UNTIL", "NEXT")
			for _, s := range oc.Schedules {
				who, until, next := "nobody", "", ""
				switch {
				case s.Error != "":
					who = "? " + s.Error
				case s.User != nil:
					who = fmt.Sprintf("%s (%d)", s.User.Name, s.User.ID)
					if s.Override {
						who += " [override]"
					}
				}
				if s.ShiftEnd != nil {
					until = utc(*s.ShiftEnd)
				}
				if s.Next != nil {
					next = fmt.Sprintf("%s at %s", s.Next.UserName, utc(s.Next.Start))
				}
				t.row(fmt.Sprintf("%s (%d)", truncate(s.ScheduleName, 50), s.ScheduleID), who, until, next)
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
		if len(oc.EscalationPolicies) > 0 {
			if len(oc.Schedules) > 0 {
				fmt.Fprintln(e.stdout)
			}
			t := newTable(e.stdout, "POLICY", "FIRST STEP PAGES")
			for _, p := range oc.EscalationPolicies {
				who := make([]string, len(p.FirstStep))
				for i, u := range p.FirstStep {
					who[i] = u.Name
				}
				txt := strings.Join(who, ", ")
				if txt == "" {
					txt = "nobody"
				}
				t.row(fmt.Sprintf("%s (%d)", truncate(p.PolicyName, 50), p.PolicyID), truncate(txt, 100))
			}
			return t.flush()
		}
		return nil
	})
	cmd.Flags().StringVar(&at, "at", "", "ask about another time (default now); "+timeHelp)
	return cmd
}

func newPageCmd(e *env) *cobra.Command {
	var user, team string
	cmd := &cobra.Command{
		Use:   "page MESSAGE",
		Short: "Page a user, or every member of a team, on all their enabled contact methods",
		Example: `  vigil page --user ana@example.com "Can you look at the payments dashboard?"
  vigil page --team payments "All hands: checkout is down"`,
		Args: cobra.MinimumNArgs(1),
	}
	o := addClientFlags(cmd, e)
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if (user == "") == (team == "") {
			return errors.New("give exactly one of --user and --team")
		}
		msg := strings.TrimSpace(strings.Join(args, " "))
		if msg == "" {
			return errors.New("the message is empty")
		}
		c, err := o.client()
		if err != nil {
			return err
		}
		req := client.PageRequest{Message: msg}
		if user != "" {
			if req.UserID, err = findUserID(cmd.Context(), c, user); err != nil {
				return err
			}
		} else if req.TeamID, err = findTeamID(cmd.Context(), c, team); err != nil {
			return err
		}
		sent, err := c.Page(cmd.Context(), req)
		if err != nil {
			return err
		}
		if o.output == outputJSON {
			return writeJSON(e.stdout, sent)
		}
		fmt.Fprintf(e.stdout, "Queued %s:\n", plural(len(sent), "notification"))
		t := newTable(e.stdout, "ID", "USER", "TYPE", "ADDRESS")
		for _, n := range sent {
			t.row(strconv.FormatInt(n.ID, 10), n.UserName, n.DestType, n.DestAddress)
		}
		return t.flush()
	})
	cmd.Flags().StringVar(&user, "user", "", "the user to page (ID, e-mail or name)")
	cmd.Flags().StringVar(&team, "team", "", "the team whose members to page (ID or name)")
	return cmd
}

// findTeamID turns a team reference (an ID or an exact name) into its ID.
func findTeamID(ctx context.Context, c *client.Client, ref string) (int64, error) {
	if id, err := parseID("team", ref); err == nil {
		return id, nil
	}
	teams, err := c.ListTeams(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range teams {
		if t.Name == strings.TrimSpace(ref) {
			return t.ID, nil
		}
	}
	return 0, fmt.Errorf("no team named %q (see `vigil team list`)", ref)
}
