package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/manifest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Configuration as code: vigil apply and vigil export.

const applyHelp = `Create or update users (with their contact methods and notification rules),
teams, schedules, escalation policies, services, maintenance windows and
inhibit rules from one YAML document, so the on-call setup can live in
version control. apply first prints what it
will change, then changes it; --dry-run prints the changes only. Applying the
same file again changes nothing.

The document (JSON works too):

  users:
    - name: Ana
      email: ana@example.com
      time_zone: Europe/Berlin             # default UTC
      contact_methods:                     # email, sms, voice, sms_gateway, slack, teams, webhook
        - {name: mobile, type: sms, address: "+4915112345678"}
      notification_rules:                  # which contact method, how long after a page
        - {contact_method: mobile, delay: 2m}
  teams:
    - name: payments
      members: [ana@example.com]
      managers: [ana@example.com]          # manage the team's services, schedules, policies
  schedules:
    - name: payments-primary
      time_zone: Europe/Berlin
      team: payments                       # optional
      layers:
        - name: weekly
          start: 2026-03-02 09:00          # local to time_zone, or RFC 3339
          turn_unit: week                  # hour, day or week
          turn_count: 1
          members: [ana@example.com]       # turn order
          restrictions:                    # optional
            - {kind: daily, start: "09:00", duration: 8h}
            - {kind: weekly, weekday: saturday, start: "10:00", duration: 12h}
  escalation_policies:
    - name: payments
      repeat: 2
      steps:
        - delay: 10m                       # wait before the next step
          targets: [{schedule: payments-primary}]
          condition: {weekdays: [monday, friday], start: "09:00", end: "17:00", time_zone: Europe/Berlin}
        - delay: 15m
          targets: [{user: ana@example.com}, {team: payments}]
  services:
    - name: payments-api
      team: payments
      escalation_policy: payments
      auto_resolve: true                   # default true
      grouping: {mode: time, window: 5m}   # default; or {mode: labels, labels: [alertname]}, {mode: none}
      storm: {incidents: 50, window: 5m}   # default 20 in 10m; {incidents: 0} is off
      flap: {changes: 6, window: 10m, quiet: 30m}  # default more than 4 in 10m, 15m quiet; {changes: 0} is off
      auto_pause: 5m                       # page only if still firing after 5m (1m to 24h); default off
  maintenance_windows:                     # alerts they cover while open are recorded but page no one
    - name: payments patch night
      services: [payments-api]             # and/or matchers: ['env="staging"']
      start: 2026-03-01 00:00              # local to time_zone, or RFC 3339; end: for a one-off window
      time_zone: Europe/Berlin
      weekly: {weekdays: [sunday], at: "01:00", duration: 4h}
  inhibit_rules:                           # while a source alert fires, mute targets with the same equal labels
    - name: cluster down mutes its nodes
      source_matchers: ['alertname="ClusterDown"']
      target_matchers: ['alertname=~"Node.*"']
      equal: [cluster]

Objects are matched by a key: a user by e-mail address (ignoring case),
everything else by name; references use those keys, never IDs, and may name
objects of the file or of the server. Renaming means a new object.

Each object in the file is the whole object: a field left out takes its
default (no description, no team, time zone UTC, ...). A user's
contact_methods and notification_rules are the exception: left out, they are
not touched (people may manage their own); listed, even as [], they become
exactly what the user has. A contact method is keyed by its name (default:
its type).

Objects on the server that the file does not name are left alone: apply
never deletes a user, team, schedule, policy, service, window or rule.

The whole file is checked first (unknown fields, bad values, duplicates,
references to nothing), and any problem is reported with its path, like
schedules[0].layers[1].turn_unit, before anything is changed. Then the changes
are made in order: users, teams, schedules, escalation policies, services,
maintenance windows, inhibit rules.

In the plan, "+" creates, "~" updates (with each changed field), "=" is
unchanged (shown with --verbose).`

func newApplyCmd(e *env) *cobra.Command {
	var (
		file            string
		dryRun, verbose bool
	)
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create or update users, teams, schedules, escalation policies, services, maintenance windows and inhibit rules from a YAML file",
		Long:  applyHelp,
		Example: `  vigil apply -f oncall.yaml --dry-run
  vigil apply -f oncall.yaml
  vigil export | vigil apply -f - --dry-run    # no changes`,
		Args: cobra.NoArgs,
	}
	o := addClientFlags(cmd, e)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		if file == "" {
			return errors.New("--file is required (a YAML file; - reads standard input)")
		}
		name := file
		if file == "-" {
			name = "standard input"
		}
		doc, err := readConfigFile(e, file)
		if err != nil {
			return err
		}
		m, err := manifest.Parse(doc)
		if err != nil {
			return invalidFile(name, err)
		}
		desired, err := m.Check()
		if err != nil {
			return invalidFile(name, err)
		}
		c, err := o.client()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		snap, err := fetchSnapshot(ctx, c)
		if err != nil {
			return err
		}
		plan, err := manifest.NewPlan(desired, snap)
		if err != nil {
			return invalidFile(name, err)
		}
		if o.output != outputJSON {
			printPlan(e.stdout, plan, verbose)
		}
		if dryRun || plan.Empty() {
			if o.output == outputJSON {
				return writeJSON(e.stdout, planJSON{DryRun: dryRun, Changes: nonNilChanges(plan.Changes)})
			}
			if dryRun && !plan.Empty() {
				fmt.Fprintln(e.stdout, "Dry run: nothing was changed.")
			}
			return nil
		}
		a := newApplier(ctx, c, snap)
		if err := a.apply(plan); err != nil {
			return err
		}
		if o.output == outputJSON {
			return writeJSON(e.stdout, planJSON{Applied: true, Changes: nonNilChanges(plan.Changes)})
		}
		fmt.Fprintf(e.stdout, "Applied: %d created, %d updated.\n", plan.Count(manifest.Create), plan.Count(manifest.Update))
		return nil
	})
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "the configuration as YAML or JSON (- reads standard input); required")
	f.BoolVar(&dryRun, "dry-run", false, "print the changes without making them")
	f.BoolVarP(&verbose, "verbose", "v", false, "list unchanged objects too")
	return cmd
}

// planJSON is apply's -o json answer.
type planJSON struct {
	DryRun  bool              `json:"dry_run"`
	Applied bool              `json:"applied"`
	Changes []manifest.Change `json:"changes"`
}

func nonNilChanges(c []manifest.Change) []manifest.Change {
	if c == nil {
		return []manifest.Change{}
	}
	return c
}

// readConfigFile reads a configuration file, "-" being standard input.
func readConfigFile(e *env, file string) ([]byte, error) {
	return readInput(e, file, manifest.MaxSize)
}

// invalidFile words the problems of a file; nothing has been changed yet.
func invalidFile(name string, err error) error {
	var list manifest.Errors
	if errors.As(err, &list) && len(list) > 1 {
		return fmt.Errorf("%s has %d problems; nothing was changed:\n  %s", name, len(list),
			strings.ReplaceAll(list.Error(), "\n", "\n  "))
	}
	return fmt.Errorf("%s: %v; nothing was changed", name, err)
}

// printPlan writes one line per change and a summary.
func printPlan(w io.Writer, p *manifest.Plan, verbose bool) {
	for _, ch := range p.Changes {
		key := clean(ch.Key)
		switch ch.Action {
		case manifest.Create:
			fmt.Fprintf(w, "+ create %s %s\n", ch.Kind, key)
		case manifest.Update:
			paths := make([]string, len(ch.Fields))
			for i, f := range ch.Fields {
				paths[i] = f.Path
			}
			fmt.Fprintf(w, "~ update %s %s: %s\n", ch.Kind, key, clean(strings.Join(paths, ", ")))
			for _, f := range ch.Fields {
				fmt.Fprintf(w, "    %s: %s -> %s\n", clean(f.Path), clean(f.Old), clean(f.New))
			}
		default:
			if verbose {
				fmt.Fprintf(w, "= unchanged %s %s\n", ch.Kind, key)
			}
		}
	}
	if p.Empty() {
		fmt.Fprintf(w, "No changes: %s up to date.\n", plural(len(p.Changes), "object"))
		return
	}
	fmt.Fprintf(w, "Plan: %d to create, %d to update, %d unchanged.\n",
		p.Count(manifest.Create), p.Count(manifest.Update), p.Count(manifest.Unchanged))
}

// fetchSnapshot reads everything apply and export compare: users with
// their contact methods (full addresses) and rules, teams, schedules,
// escalation policies and services.
func fetchSnapshot(ctx context.Context, c *client.Client) (*manifest.Snapshot, error) {
	s := &manifest.Snapshot{ContactMethods: map[int64][]*vigil.ContactMethod{}, NotificationRules: map[int64][]*vigil.NotificationRule{}}
	var err error
	if s.Users, err = c.ListUsers(ctx); err != nil {
		return nil, err
	}
	for _, u := range s.Users {
		if s.ContactMethods[u.ID], err = c.ListContactMethodsRevealed(ctx, u.ID); err != nil {
			return nil, err
		}
		if s.NotificationRules[u.ID], err = c.ListNotificationRules(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	if s.Teams, err = c.ListTeams(ctx); err != nil {
		return nil, err
	}
	if s.Schedules, err = c.ListSchedules(ctx); err != nil {
		return nil, err
	}
	if s.Policies, err = c.ListEscalationPolicies(ctx); err != nil {
		return nil, err
	}
	for {
		page, total, err := c.ListServices(ctx, client.ServiceQuery{Offset: len(s.Services), Limit: vigil.MaxPageSize})
		if err != nil {
			return nil, err
		}
		s.Services = append(s.Services, page...)
		if len(page) == 0 || len(s.Services) >= total {
			break
		}
	}
	if s.Windows, err = c.ListMaintenanceWindows(ctx); err != nil {
		return nil, err
	}
	if s.InhibitRules, err = c.ListInhibitRules(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// applier carries out a plan through the API. It resolves references by
// the IDs of the server's objects and of those it creates.
type applier struct {
	ctx                               context.Context
	c                                 *client.Client
	snap                              *manifest.Snapshot
	users, teams, schedules, policies map[string]int64
	services                          map[string]int64
}

func newApplier(ctx context.Context, c *client.Client, snap *manifest.Snapshot) *applier {
	a := &applier{ctx: ctx, c: c, snap: snap,
		users: map[string]int64{}, teams: map[string]int64{}, schedules: map[string]int64{}, policies: map[string]int64{},
		services: map[string]int64{}}
	for _, u := range snap.Users {
		a.users[strings.ToLower(u.Email)] = u.ID
	}
	for _, t := range snap.Teams {
		a.teams[t.Name] = t.ID
	}
	for _, s := range snap.Schedules {
		a.schedules[s.Name] = s.ID
	}
	for _, p := range snap.Policies {
		a.policies[p.Name] = p.ID
	}
	for _, s := range snap.Services {
		a.services[s.Name] = s.ID
	}
	return a
}

func (a *applier) UserID(email string) int64    { return a.users[strings.ToLower(email)] }
func (a *applier) TeamID(name string) int64     { return a.teams[name] }
func (a *applier) ScheduleID(name string) int64 { return a.schedules[name] }
func (a *applier) PolicyID(name string) int64   { return a.policies[name] }
func (a *applier) ServiceID(name string) int64  { return a.services[name] }

// apply makes the changes in order and stops at the first failure,
// saying how far it got.
func (a *applier) apply(p *manifest.Plan) error {
	done, todo := 0, p.Count(manifest.Create)+p.Count(manifest.Update)
	for _, ch := range p.Changes {
		if ch.Action == manifest.Unchanged {
			continue
		}
		if err := a.change(ch); err != nil {
			return fmt.Errorf("%s %s %s: %v (%d of %d changes were made before this one; fix it and apply again)",
				ch.Action, ch.Kind, clean(ch.Key), userError(err), done, todo)
		}
		done++
	}
	return nil
}

func (a *applier) change(ch manifest.Change) error {
	create := ch.Action == manifest.Create
	switch d := ch.Desired.(type) {
	case *manifest.User:
		return a.user(d)
	case *manifest.Team:
		t := d.Domain(a)
		in := client.TeamInput{Name: t.Name, Description: t.Description, Members: t.Members, Managers: t.Managers}
		var (
			out *vigil.Team
			err error
		)
		if create {
			out, err = a.c.CreateTeam(a.ctx, in)
		} else {
			out, err = a.c.UpdateTeam(a.ctx, a.teams[d.Name], in)
		}
		if err == nil {
			a.teams[d.Name] = out.ID
		}
		return err
	case *manifest.Schedule:
		s := d.Domain(a)
		in := client.ScheduleInput{Name: s.Name, Description: s.Description, TimeZone: s.TimeZone, TeamID: s.TeamID, Layers: s.Layers}
		var (
			out *vigil.Schedule
			err error
		)
		if create {
			out, err = a.c.CreateSchedule(a.ctx, in)
		} else {
			out, err = a.c.UpdateSchedule(a.ctx, a.schedules[d.Name], in)
		}
		if err == nil {
			a.schedules[d.Name] = out.ID
		}
		return err
	case *manifest.Policy:
		p := d.Domain(a)
		in := client.EscalationPolicyInput{Name: p.Name, Description: p.Description, TeamID: p.TeamID, Repeat: p.Repeat, Steps: p.Steps}
		var (
			out *vigil.EscalationPolicy
			err error
		)
		if create {
			out, err = a.c.CreateEscalationPolicy(a.ctx, in)
		} else {
			out, err = a.c.UpdateEscalationPolicy(a.ctx, a.policies[d.Name], in)
		}
		if err == nil {
			a.policies[d.Name] = out.ID
		}
		return err
	case *manifest.Service:
		return a.service(d, create)
	case *manifest.MaintenanceWindow:
		w := d.Domain(a)
		in := client.MaintenanceWindowInput{Name: w.Name, ServiceIDs: w.ServiceIDs, Matchers: w.Matchers, Start: &w.Start,
			Recurrence: w.Recurrence, TimeZone: w.TimeZone}
		if !w.End.IsZero() {
			in.End = &w.End
		}
		if create {
			_, err := a.c.CreateMaintenanceWindow(a.ctx, in)
			return err
		}
		_, err := a.c.UpdateMaintenanceWindow(a.ctx, a.snap.Window(d.Name).ID, in)
		return err
	case *manifest.InhibitRule:
		r := d.Domain()
		in := client.InhibitRuleInput{Name: r.Name, SourceMatchers: r.Source, TargetMatchers: r.Target, Equal: r.Equal}
		if create {
			_, err := a.c.CreateInhibitRule(a.ctx, in)
			return err
		}
		_, err := a.c.UpdateInhibitRule(a.ctx, a.snap.InhibitRule(d.Name).ID, in)
		return err
	}
	return fmt.Errorf("unknown object %T", ch.Desired)
}

// service creates or updates a service. The create call takes no team or
// policy, so a new service gets them with a second call.
func (a *applier) service(d *manifest.Service, create bool) error {
	s := d.Domain(a)
	id := int64(0)
	if create {
		out, err := a.c.CreateService(a.ctx, client.ServiceCreate{Name: s.Name, Description: s.Description, Grouping: s.Grouping,
			AutoResolve: &s.AutoResolve, Flap: s.Flap, AutoPause: s.AutoPause})
		if err != nil {
			return err
		}
		a.services[d.Name] = out.ID
		if s.TeamID == 0 && s.EscalationPolicyID == 0 {
			return nil
		}
		id = out.ID
	} else if cur := a.snap.Service(d.Name); cur != nil {
		id = cur.ID
	}
	upd := vigil.ServiceUpdate{TeamID: &s.TeamID, EscalationPolicyID: &s.EscalationPolicyID}
	if !create {
		upd.Description, upd.Grouping, upd.AutoResolve = &s.Description, &s.Grouping, &s.AutoResolve
		upd.AutoPause, upd.Flap = &s.AutoPause, s.Flap
		if upd.Flap == nil {
			// An update cannot unset flap control; the server's default
			// written out reads back as no setting (see manifest.Check).
			def := vigil.DefaultFlap
			upd.Flap = &def
		}
	}
	_, err := a.c.UpdateService(a.ctx, id, upd)
	return err
}

// user creates or updates a user, then their contact methods and rules
// when the file lists them.
func (a *applier) user(d *manifest.User) error {
	in := client.UserInput{Name: d.Name, Email: d.Email, TimeZone: d.TimeZone}
	cur := a.snap.User(d.Email)
	var id int64
	if cur == nil {
		u, err := a.c.CreateUser(a.ctx, in)
		if err != nil {
			return err
		}
		id = u.ID
	} else {
		id = cur.ID
		if cur.Name != d.Name || cur.Email != d.Email || cur.TimeZone != d.TimeZone {
			if _, err := a.c.UpdateUser(a.ctx, id, in); err != nil {
				return err
			}
		}
	}
	a.users[strings.ToLower(d.Email)] = id
	if d.ContactMethods != nil {
		if err := a.contactMethods(id, *d.ContactMethods, d.NotificationRules != nil); err != nil {
			return err
		}
	}
	if d.NotificationRules != nil {
		return a.rules(id, *d.NotificationRules)
	}
	return nil
}

// contactMethods makes the user's contact methods exactly want, matched
// by name. A method whose type changes is replaced (the API cannot change
// a type); its rules go with it, so when the file does not manage rules
// they are made again on the new method.
func (a *applier) contactMethods(uid int64, want []manifest.ContactMethod, rulesManaged bool) error {
	have := a.snap.ContactMethods[uid]
	matched := map[int64]bool{}
	for _, w := range want {
		var h *vigil.ContactMethod
		for _, x := range have {
			if x.Name == w.Name && !matched[x.ID] {
				h = x
				break
			}
		}
		create := client.ContactMethodCreate{Name: w.Name, Type: w.Type, Address: w.Address, Disabled: w.Disabled}
		switch {
		case h == nil:
			if _, err := a.c.CreateContactMethod(a.ctx, uid, create); err != nil {
				return methodError(w.Name, err)
			}
		case h.Type != w.Type:
			matched[h.ID] = true
			if err := a.c.DeleteContactMethod(a.ctx, uid, h.ID); err != nil {
				return methodError(w.Name, err)
			}
			m, err := a.c.CreateContactMethod(a.ctx, uid, create)
			if err != nil {
				return methodError(w.Name, err)
			}
			if !rulesManaged {
				for _, r := range a.snap.NotificationRules[uid] {
					if r.ContactMethodID != h.ID {
						continue
					}
					if _, err := a.c.CreateNotificationRule(a.ctx, uid, client.NotificationRuleCreate{ContactMethodID: m.ID, Delay: r.Delay}); err != nil {
						return methodError(w.Name, err)
					}
				}
			}
		default:
			matched[h.ID] = true
			if h.Address != w.Address || h.Disabled != w.Disabled {
				addr, off := w.Address, w.Disabled
				if _, err := a.c.UpdateContactMethod(a.ctx, uid, h.ID, client.ContactMethodUpdate{Address: &addr, Disabled: &off}); err != nil {
					return methodError(w.Name, err)
				}
			}
		}
	}
	for _, h := range have {
		if !matched[h.ID] {
			if err := a.c.DeleteContactMethod(a.ctx, uid, h.ID); err != nil {
				return methodError(h.Name, err)
			}
		}
	}
	return nil
}

// methodError names the contact method a failed call was about.
func methodError(name string, err error) error {
	return fmt.Errorf("contact method %s: %v", clean(name), userError(err))
}

// rules makes the user's notification rules exactly want. It reads the
// methods and rules again: contactMethods may have just changed them.
func (a *applier) rules(uid int64, want []manifest.NotificationRule) error {
	methods, err := a.c.ListContactMethods(a.ctx, uid)
	if err != nil {
		return err
	}
	have, err := a.c.ListNotificationRules(a.ctx, uid)
	if err != nil {
		return err
	}
	idOf, nameOf := map[string]int64{}, map[int64]string{}
	for _, m := range methods {
		if _, ok := idOf[m.Name]; !ok {
			idOf[m.Name] = m.ID
		}
		nameOf[m.ID] = m.Name
	}
	type key struct {
		method string
		delay  vigil.Duration
	}
	wanted := map[key]bool{}
	for _, w := range want {
		wanted[key{w.ContactMethod, w.DelayValue()}] = true
	}
	present := map[key]bool{}
	for _, r := range have {
		k := key{nameOf[r.ContactMethodID], r.Delay}
		if !wanted[k] || present[k] {
			if err := a.c.DeleteNotificationRule(a.ctx, uid, r.ID); err != nil {
				return err
			}
			continue
		}
		present[k] = true
	}
	for _, w := range want {
		k := key{w.ContactMethod, w.DelayValue()}
		if present[k] {
			continue
		}
		id, ok := idOf[w.ContactMethod]
		if !ok {
			return fmt.Errorf("no contact method named %q", w.ContactMethod)
		}
		if _, err := a.c.CreateNotificationRule(a.ctx, uid, client.NotificationRuleCreate{ContactMethodID: id, Delay: k.delay}); err != nil {
			return err
		}
		present[k] = true
	}
	return nil
}
