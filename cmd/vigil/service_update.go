package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// triageFlags are a service's storm limit, flap control and auto-pause, as
// flags of service create and update. Only the flags given change
// anything; 0 turns each off.
type triageFlags struct {
	stormLimit                       int
	stormWindow                      time.Duration
	flapChanges                      int
	flapWindow, flapQuiet, autoPause time.Duration
}

func (t *triageFlags) add(f *pflag.FlagSet) {
	f.IntVar(&t.stormLimit, "storm-limit", 0, fmt.Sprintf("storm protection: incidents the service may open within --storm-window before new alerts join the newest (0: off; default %d)", vigil.DefaultStorm.Incidents))
	f.DurationVar(&t.stormWindow, "storm-window", 0, fmt.Sprintf("the window of --storm-limit (default %s)", vigil.DefaultStorm.Window))
	f.IntVar(&t.flapChanges, "flap-changes", 0, fmt.Sprintf("flap control: state changes within --flap-window beyond which an alert is flapping (0: off; default %d)", vigil.DefaultFlap.Changes))
	f.DurationVar(&t.flapWindow, "flap-window", 0, fmt.Sprintf("the window of --flap-changes (default %s)", vigil.DefaultFlap.Window))
	f.DurationVar(&t.flapQuiet, "flap-quiet", 0, fmt.Sprintf("how long a flapping alert must be quiet to stop flapping (default %s)", vigil.DefaultFlap.Quiet))
	f.DurationVar(&t.autoPause, "auto-pause", 0, "page only for alerts still firing this long after they start, e.g. 5m (0: off)")
}

// apply changes s's settings by the flags given.
func (t *triageFlags) apply(f *pflag.FlagSet, s *vigil.Service) {
	if f.Changed("storm-limit") || f.Changed("storm-window") {
		st := s.Grouping.StormOrDefault()
		if f.Changed("storm-limit") {
			st.Incidents = t.stormLimit
		}
		if f.Changed("storm-window") {
			st.Window = vigil.Duration(t.stormWindow)
		}
		s.Grouping.Storm = &st
	}
	if f.Changed("flap-changes") || f.Changed("flap-window") || f.Changed("flap-quiet") {
		fl := vigil.DefaultFlap
		if s.Flap != nil && s.Flap.Changes > 0 {
			fl = *s.Flap
		}
		if f.Changed("flap-changes") {
			fl.Changes = t.flapChanges
		}
		if f.Changed("flap-window") {
			fl.Window = vigil.Duration(t.flapWindow)
		}
		if f.Changed("flap-quiet") {
			fl.Quiet = vigil.Duration(t.flapQuiet)
		}
		s.Flap = &fl
	}
	if f.Changed("auto-pause") {
		s.AutoPause = vigil.Duration(t.autoPause)
	}
}

func newServiceUpdateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		name, description string
		autoResolve       bool
		tf                triageFlags
	)
	cmd := &cobra.Command{
		Use:   "update SERVICE",
		Short: "Change a service (by ID or name): name, description, storm limit, flap control, auto-pause",
		Example: `  vigil service update payments --auto-pause 5m
  vigil service update payments --flap-changes 6 --flap-window 15m --flap-quiet 30m
  vigil service update payments --storm-limit 0 --flap-changes 0 --auto-pause 0   # all three off`,
		Args: argsN(1, "one service ID or name"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			c, err := o.client()
			if err != nil {
				return err
			}
			id, err := resolveService(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			cur, err := c.GetService(cmd.Context(), id)
			if err != nil {
				return err
			}
			var upd vigil.ServiceUpdate
			if f.Changed("name") {
				upd.Name = &name
			}
			if f.Changed("description") {
				upd.Description = &description
			}
			if f.Changed("auto-resolve") {
				upd.AutoResolve = &autoResolve
			}
			next := *cur
			tf.apply(f, &next)
			if next.Grouping.Storm != cur.Grouping.Storm {
				upd.Grouping = &next.Grouping
			}
			if next.Flap != cur.Flap {
				upd.Flap = next.Flap
			}
			if f.Changed("auto-pause") {
				upd.AutoPause = &next.AutoPause
			}
			if upd == (vigil.ServiceUpdate{}) {
				return fmt.Errorf("nothing to change: give at least one flag (see --help)")
			}
			s, err := c.UpdateService(cmd.Context(), id, upd)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, s)
			}
			fmt.Fprintf(e.stdout, "Updated service %d: %s (storm %s, flap %s, auto-pause %s).\n", s.ID, clean(s.Name),
				stormText(s.Grouping), flapText(s.Flap), pauseText(s.AutoPause))
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "a new name")
	f.StringVar(&description, "description", "", "a new description")
	f.BoolVar(&autoResolve, "auto-resolve", true, "resolve incidents when all their alerts resolve (--auto-resolve=false to keep them open)")
	tf.add(f)
	return cmd
}

// stormText, flapText and pauseText show a service's triage settings.
func stormText(g vigil.GroupingRule) string {
	st := g.StormOrDefault()
	if st.Incidents <= 0 {
		return "off"
	}
	return strconv.Itoa(st.Incidents) + " incidents in " + shortDuration(time.Duration(st.Window))
}

func flapText(f *vigil.FlapSettings) string {
	if f == nil {
		return "server default"
	}
	if f.Changes <= 0 {
		return "off"
	}
	return fmt.Sprintf("more than %d changes in %s, quiet %s", f.Changes, shortDuration(time.Duration(f.Window)), shortDuration(time.Duration(f.Quiet)))
}

func pauseText(d vigil.Duration) string {
	if d <= 0 {
		return "off"
	}
	return shortDuration(time.Duration(d))
}
