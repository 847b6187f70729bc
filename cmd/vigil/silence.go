package main

import (
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
	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func newSilenceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "silence",
		Aliases: []string{"silences"},
		Short:   "Mute alerts by their labels for a while",
		Long: `Silences mute alerts by label matchers, as Alertmanager's do (= != =~ !~).
A new alert that an active silence matches is stored and shown, marked
silenced, but opens no incident and pages no one. When the silence ends (its
end time passes or it is expired), alerts it still holds page as new ones.

amtool works too: point --alertmanager.url at Vigil and authenticate with an
API token or an integration key (a key's silences apply to its service only).`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newSilenceAddCmd(e, o), newSilenceListCmd(e, o), newSilenceShowCmd(e, o), newSilenceExpireCmd(e, o))
	return cmd
}

// parseSilenceMatchers reads matchers given as arguments or --matcher
// flags. As in amtool, a first argument without an operator is the
// alertname ("vigil silence add DiskFull" means alertname="DiskFull").
func parseSilenceMatchers(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i, a := range args {
		m, err := matcher.Parse(a)
		if err != nil && i == 0 && !strings.ContainsAny(a, "=!~") {
			m, err = matcher.Parse("alertname=" + strconv.Quote(a))
		}
		if err != nil {
			return nil, fmt.Errorf("invalid matcher %q: %v (write name=\"value\", name!=\"value\", name=~\"regex\" or name!~\"regex\")", a, err)
		}
		out = append(out, m.String())
	}
	return out, nil
}

func newSilenceAddCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		in               client.SilenceCreate
		matchers         []string
		duration, start  string
		end, service     string
		annotations      []string
		expireOnResolve  bool
		requireNoComment bool
	)
	cmd := &cobra.Command{
		Use:   "add [MATCHER...]",
		Short: "Silence alerts matching all the matchers",
		Long: `Create a silence. Matchers are Alertmanager's: name="value", name!="value",
name=~"regex", name!~"regex" (regular expressions match the whole value); an
absent label counts as empty. Give them as arguments or with --matcher. At
least one must need a value (a silence of only env!="prod" would match
nearly everything). Alerts from senders without labels can be matched by
alertname (their summary) and severity.`,
		Example: `  vigil silence add alertname=DiskFull 'instance=~"db-.*"' --duration 2h --comment "disk swap, OPS-12"
  vigil silence add --matcher 'alertname="Backup failed"' --end 2026-05-01T06:00:00Z --comment "NAS migration"
  vigil silence add DiskFull --service payments --duration 1d --expire-on-resolve --comment "known, fix deploying"`,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			var err error
			if in.Matchers, err = parseSilenceMatchers(append(args, matchers...)); err != nil {
				return err
			}
			if len(in.Matchers) == 0 {
				return errors.New(`no matchers: give at least one, like alertname="DiskFull"`)
			}
			if strings.TrimSpace(in.Comment) == "" && !requireNoComment {
				return errors.New("--comment is required: say why the alerts may stay quiet (a ticket, a maintenance)")
			}
			now := time.Now().UTC()
			if start != "" {
				t, err := parseFuture("--start", start, now)
				if err != nil {
					return err
				}
				in.StartsAt = &t
			}
			switch {
			case end != "" && cmd.Flags().Changed("duration"):
				return errors.New("give --end or --duration, not both")
			case end != "":
				t, err := parseFuture("--end", end, now)
				if err != nil {
					return err
				}
				in.EndsAt = &t
			default:
				d, err := parseAgo(duration)
				if err != nil || d <= 0 {
					return fmt.Errorf("invalid --duration %q: use a duration like 30m, 2h or 1d", duration)
				}
				vd := vigil.Duration(d)
				in.Duration = &vd
			}
			if in.Annotations, err = parsePairs("--annotation", annotations); err != nil {
				return err
			}
			in.ExpireOnResolve = expireOnResolve
			c, err := o.client()
			if err != nil {
				return err
			}
			if service != "" {
				if in.ServiceID, err = resolveService(cmd.Context(), c, service); err != nil {
					return err
				}
			}
			s, err := c.CreateSilence(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, s)
			}
			fmt.Fprintf(e.stdout, "Silence %d created (%s), %s until %s.\n", s.ID, s.UUID, s.State, s.EndsAt.UTC().Format(time.RFC3339))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringArrayVarP(&matchers, "matcher", "m", nil, `a matcher like alertname="DiskFull"; repeat for more (all must match)`)
	f.StringVarP(&duration, "duration", "d", "1h", "how long the silence lasts from its start (30m, 2h, 1d)")
	f.StringVar(&start, "start", "", "when it starts: an RFC 3339 time (default now)")
	f.StringVar(&end, "end", "", "when it ends: an RFC 3339 time (instead of --duration)")
	f.StringVarP(&in.Comment, "comment", "c", "", "why (required)")
	f.StringVarP(&in.CreatedBy, "author", "a", "", "who (default: the API token's name)")
	f.StringVar(&service, "service", "", "silence only this service's alerts (ID or name)")
	f.BoolVar(&expireOnResolve, "expire-on-resolve", false, "end the silence as soon as every alert it holds has resolved")
	f.StringArrayVar(&annotations, "annotation", nil, "an annotation as name=value; repeat for more")
	f.BoolVar(&requireNoComment, "no-comment", false, "allow an empty comment")
	return cmd
}

// parseFuture reads an RFC 3339 time, or a duration from now ("2h").
func parseFuture(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if d, err := parseAgo(s); err == nil && d >= 0 {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("invalid %s %q: use a time like 2026-01-02T15:04:05Z or a duration from now like 2h", flag, s)
}

func newSilenceListCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		states, service, unused string
		expired, all            bool
		offset, limit           int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List silences (active and pending unless told otherwise), newest first",
		Example: `  vigil silence list
  vigil silence list --expired
  vigil silence list --unused 7d     # active, but matched nothing for a week`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			q := client.SilenceQuery{Offset: offset, Limit: limit}
			switch {
			case states != "":
				for _, s := range strings.Split(states, ",") {
					s = strings.ToLower(strings.TrimSpace(s))
					if s != vigil.SilencePending && s != vigil.SilenceActive && s != vigil.SilenceExpired {
						return fmt.Errorf("invalid --state %q: use pending, active or expired", s)
					}
					q.States = append(q.States, s)
				}
			case all:
			case expired:
				q.States = []string{vigil.SilenceExpired}
			default:
				q.States = []string{vigil.SilenceActive, vigil.SilencePending}
			}
			if unused != "" {
				d, err := parseAgo(unused)
				if err != nil || d <= 0 {
					return fmt.Errorf("invalid --unused %q: use a duration like 7d", unused)
				}
				q.UnusedFor = d
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if service != "" {
				if q.ServiceID, err = resolveService(cmd.Context(), c, service); err != nil {
					return err
				}
				q.Global = true
			}
			items, total, err := c.ListSilences(cmd.Context(), q)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No silences found.")
				return nil
			}
			if err := printSilences(e.stdout, items, time.Now()); err != nil {
				return err
			}
			moreHint(e.stderr, len(items), offset, total, "silence")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&states, "state", "", "pending, active or expired (comma-separated)")
	f.BoolVar(&expired, "expired", false, "list expired silences")
	f.BoolVar(&all, "all", false, "list silences in every state")
	f.StringVar(&service, "service", "", "only silences that apply to this service (ID or name)")
	f.StringVar(&unused, "unused", "", "only active silences that matched no alert for this long (7d)")
	f.IntVar(&offset, "offset", 0, "skip this many silences")
	f.IntVar(&limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many silences (max %d)", vigil.MaxPageSize))
	return cmd
}

func printSilences(w io.Writer, items []*vigil.Silence, now time.Time) error {
	t := newTable(w, "ID", "UUID", "STATE", "STARTS", "ENDS", "MATCHERS", "SERVICE", "CREATED BY", "COMMENT")
	for _, s := range items {
		state := s.State
		if s.Unused {
			state += " (unused)"
		}
		svc := "all"
		if s.ServiceID != nil {
			svc = strconv.FormatInt(*s.ServiceID, 10)
		}
		t.row(strconv.FormatInt(s.ID, 10), s.UUID, state, when(s.StartsAt, now), when(s.EndsAt, now),
			truncate(matcherText(s.Matchers), 60), svc, truncate(s.CreatedBy, 20), truncate(s.Comment, 60))
	}
	return t.flush()
}

// when is a time relative to now: "in 2h", "3m ago".
func when(t, now time.Time) string {
	if t.After(now) {
		d := t.Sub(now)
		switch {
		case d < time.Minute:
			return fmt.Sprintf("in %ds", int(d/time.Second))
		case d < time.Hour:
			return fmt.Sprintf("in %dm", int(d/time.Minute))
		case d < 48*time.Hour:
			return fmt.Sprintf("in %dh", int(d/time.Hour))
		}
		return fmt.Sprintf("in %dd", int(d/(24*time.Hour)))
	}
	return ago(t, now)
}

func matcherText(ms []vigil.SilenceMatcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, " ")
}

func newSilenceShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Aliases: []string{"get", "view"},
		Short:   "Show a silence (by ID or UUID)",
		Args:    argsN(1, "one silence ID or UUID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			ref, err := silenceRef(args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			s, err := c.GetSilence(cmd.Context(), ref)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, s)
			}
			now := time.Now()
			fmt.Fprintf(e.stdout, "Silence %d (%s): %s\n\n", s.ID, s.UUID, s.State)
			t := newTable(e.stdout)
			for _, m := range s.Matchers {
				t.row("Matcher:", m.String())
			}
			t.row("Starts:", s.StartsAt.UTC().Format(time.RFC3339)+" ("+when(s.StartsAt, now)+")")
			t.row("Ends:", s.EndsAt.UTC().Format(time.RFC3339)+" ("+when(s.EndsAt, now)+")")
			if s.ServiceID != nil {
				t.row("Service:", strconv.FormatInt(*s.ServiceID, 10))
			} else {
				t.row("Service:", "all")
			}
			t.row("Created by:", s.CreatedBy)
			t.row("Comment:", s.Comment)
			t.row("Ends on resolve:", yesNo(s.ExpireOnResolve))
			if s.LastMatchedAt != nil {
				t.row("Last matched:", stamp(*s.LastMatchedAt, now))
			} else {
				t.row("Last matched:", "never")
			}
			if s.Unused {
				t.row("Unused:", "yes: it matched no alert for a week")
			}
			for _, k := range slices.Sorted(maps.Keys(s.Annotations)) {
				t.row("Annotation:", k+"="+s.Annotations[k])
			}
			return t.flush()
		}),
	}
}

func newSilenceExpireCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "expire ID...",
		Short: "End silences now (by ID or UUID); the alerts they held page unless another silence holds them",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%s expects at least one silence ID or UUID; see --help", cmd.CommandPath())
			}
			return nil
		},
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			refs := make([]string, len(args))
			for i, a := range args {
				var err error
				if refs[i], err = silenceRef(a); err != nil {
					return err
				}
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			var done []*vigil.Silence
			for _, ref := range refs {
				s, err := c.ExpireSilence(cmd.Context(), ref)
				if err != nil {
					return err
				}
				done = append(done, s)
				if o.output != outputJSON {
					fmt.Fprintf(e.stdout, "Silence %d (%s) expired.\n", s.ID, s.UUID)
				}
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, done)
			}
			return nil
		}),
	}
}

// silenceRef checks an ID ("42", "#42") or a UUID as amtool prints it.
func silenceRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 36 && strings.Count(s, "-") == 4 {
		return strings.ToLower(s), nil
	}
	id, err := parseID("silence", s)
	if err != nil {
		return "", fmt.Errorf("invalid silence %q: want an ID like 42 or a UUID like amtool prints", s)
	}
	return strconv.FormatInt(id, 10), nil
}
