package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func newServiceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "service",
		Aliases: []string{"services", "svc"},
		Short:   "Manage services (the things that break)",
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newServiceListCmd(e, o), newServiceShowCmd(e, o), newServiceCreateCmd(e, o), newServiceUpdateCmd(e, o), newServiceDeleteCmd(e, o))
	return cmd
}

func newServiceListCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		name          string
		offset, limit int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List services",
		Args:  cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			items, total, err := c.ListServices(cmd.Context(), client.ServiceQuery{Name: name, Offset: offset, Limit: limit})
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No services found. Create one with `vigil service create --name NAME`.")
				return nil
			}
			now := time.Now()
			t := newTable(e.stdout, "ID", "NAME", "GROUPING", "AUTO-RESOLVE", "AGE", "DESCRIPTION")
			for _, s := range items {
				t.row(strconv.FormatInt(s.ID, 10), s.Name, grouping(s.Grouping), yesNo(s.AutoResolve),
					ago(s.CreatedAt, now), truncate(firstLine(s.Description), 60))
			}
			if err := t.flush(); err != nil {
				return err
			}
			moreHint(e.stderr, len(items), offset, total, "service")
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "only services with this name")
	f.IntVar(&offset, "offset", 0, "skip this many services")
	f.IntVar(&limit, "limit", vigil.DefaultPageSize, fmt.Sprintf("show at most this many services (max %d)", vigil.MaxPageSize))
	return cmd
}

func newServiceShowCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:     "show SERVICE",
		Aliases: []string{"get", "view"},
		Short:   "Show a service (by ID or name)",
		Args:    argsN(1, "one service ID or name"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			id, err := resolveService(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			s, err := c.GetService(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, s)
			}
			now := time.Now()
			fmt.Fprintf(e.stdout, "Service %d: %s\n\n", s.ID, clean(s.Name))
			t := newTable(e.stdout)
			t.row("Grouping:", grouping(s.Grouping))
			t.row("Auto-resolve:", yesNo(s.AutoResolve))
			t.row("Storm limit:", stormText(s.Grouping))
			t.row("Flap control:", flapText(s.Flap))
			t.row("Auto-pause:", pauseText(s.AutoPause))
			t.row("Created:", stamp(s.CreatedAt, now))
			t.row("Updated:", stamp(s.UpdatedAt, now))
			if err := t.flush(); err != nil {
				return err
			}
			if s.Description != "" {
				fmt.Fprintf(e.stdout, "\nDescription:\n%s\n", indent(cleanText(s.Description), "  "))
			}
			return nil
		}),
	}
}

func newServiceCreateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		in            client.ServiceCreate
		mode          string
		window        time.Duration
		groupLabels   []string
		noAutoResolve bool
		tf            triageFlags
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a service",
		Long: `Create a service. Grouping decides which open incident a new alert joins:
  time    the newest open incident created within --group-window (default 5m)
  labels  the open incident whose alerts share the values of --group-labels
  none    every alert opens its own incident`,
		Example: `  vigil service create --name payments --description "Checkout and billing"
  vigil service create --name k8s --grouping labels --group-labels cluster,namespace`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(in.Name) == "" {
				return fmt.Errorf("--name is required")
			}
			mode = strings.ToLower(strings.TrimSpace(mode))
			if mode == "" {
				switch {
				case len(groupLabels) > 0:
					mode = vigil.GroupByLabels
				case cmd.Flags().Changed("group-window"):
					mode = vigil.GroupByTime
				}
			}
			switch mode {
			case "":
			case vigil.GroupByTime:
				if len(groupLabels) > 0 {
					return fmt.Errorf("--group-labels needs --grouping labels")
				}
			case vigil.GroupByLabels:
				if len(groupLabels) == 0 {
					return fmt.Errorf("--grouping labels needs --group-labels (for example cluster,namespace)")
				}
			case vigil.GroupNone:
			default:
				return fmt.Errorf("invalid --grouping %q: use time, labels or none", mode)
			}
			if mode != vigil.GroupByTime && cmd.Flags().Changed("group-window") {
				return fmt.Errorf("--group-window applies only to --grouping time")
			}
			in.Grouping = vigil.GroupingRule{Mode: mode, Window: vigil.Duration(window), Labels: groupLabels}
			settings := vigil.Service{Grouping: in.Grouping}
			tf.apply(cmd.Flags(), &settings)
			in.Grouping, in.Flap, in.AutoPause = settings.Grouping, settings.Flap, settings.AutoPause
			if noAutoResolve {
				off := false
				in.AutoResolve = &off
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			s, err := c.CreateService(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, s)
			}
			fmt.Fprintf(e.stdout, "Created service %d: %s (grouping %s, auto-resolve %s).\n", s.ID, clean(s.Name), grouping(s.Grouping), yesNo(s.AutoResolve))
			fmt.Fprintf(e.stdout, "Next: vigil integration-key create --service %d\n", s.ID)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "the service name; required, unique")
	f.StringVar(&in.Description, "description", "", "what the service is")
	f.StringVar(&mode, "grouping", "", "how alerts group into incidents: time, labels or none (default time)")
	f.DurationVar(&window, "group-window", 0, "the window of time grouping (default 5m)")
	f.StringSliceVar(&groupLabels, "group-labels", nil, "label names of labels grouping, comma-separated")
	f.BoolVar(&noAutoResolve, "no-auto-resolve", false, "keep incidents open when all their alerts resolve")
	tf.add(f)
	return cmd
}

func newServiceDeleteCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "delete SERVICE",
		Short: "Delete a service (refused while it has incidents)",
		Args:  argsN(1, "one service ID or name"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			id, err := resolveService(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteService(cmd.Context(), id); err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"id": id, "deleted": true})
			}
			fmt.Fprintf(e.stdout, "Deleted service %d.\n", id)
			return nil
		}),
	}
}

// grouping describes a rule in a few words: "time 5m", "labels cluster,env".
func grouping(g vigil.GroupingRule) string {
	switch g.Mode {
	case vigil.GroupByTime:
		w := time.Duration(g.Window)
		if w == 0 {
			w = vigil.DefaultGroupWindow
		}
		return "time " + shortDuration(w)
	case vigil.GroupByLabels:
		return "labels " + strings.Join(g.Labels, ",")
	}
	return g.Mode
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
