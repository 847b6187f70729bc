package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// triageForm is a service's storm limit, flap control and auto-pause as
// typed, in the "New service" form and the service page's settings form.
// Inputs are named as the domain fields so errors land next to them.
type triageForm struct {
	StormLimit, StormWindow            string
	FlapChanges, FlapWindow, FlapQuiet string
	AutoPause                          string
	Errors                             formErrors
}

// triageFormFields are the inputs of a triageForm.
var triageFormFields = []string{"grouping.storm.incidents", "grouping.storm.window", "flap.changes", "flap.window", "flap.quiet", "auto_pause"}

func readTriageForm(r *http.Request) triageForm {
	v := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	return triageForm{
		StormLimit: v("grouping.storm.incidents"), StormWindow: v("grouping.storm.window"),
		FlapChanges: v("flap.changes"), FlapWindow: v("flap.window"), FlapQuiet: v("flap.quiet"),
		AutoPause: v("auto_pause"),
	}
}

// newTriageForm shows s's settings; empty fields are the defaults.
func newTriageForm(s *vigil.Service) triageForm {
	var f triageForm
	if st := s.Grouping.Storm; st != nil {
		f.StormLimit, f.StormWindow = strconv.Itoa(st.Incidents), st.Window.String()
	}
	if fl := s.Flap; fl != nil {
		f.FlapChanges = strconv.Itoa(fl.Changes)
		if fl.Changes > 0 {
			f.FlapWindow, f.FlapQuiet = fl.Window.String(), fl.Quiet.String()
		}
	}
	if s.AutoPause > 0 {
		f.AutoPause = s.AutoPause.String()
	}
	return f
}

// apply sets s's settings from the form: an empty storm limit is the
// default limit, empty flap changes the server's flap control, an empty
// auto-pause none. 0 turns each off.
func (f triageForm) apply(s *vigil.Service) error {
	num := func(field, v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, vigil.FieldError(field, "must be a whole number (0: off)")
		}
		return n, nil
	}
	dur := func(field, v string, def vigil.Duration) (vigil.Duration, error) {
		if v == "" {
			return def, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, vigil.FieldError(field, "must be a duration like 5m or 1h30m")
		}
		return vigil.Duration(d), nil
	}
	s.Grouping.Storm = nil
	if f.StormLimit != "" || f.StormWindow != "" {
		st := vigil.DefaultStorm
		if f.StormLimit != "" {
			n, err := num("grouping.storm.incidents", f.StormLimit)
			if err != nil {
				return err
			}
			st.Incidents = n
		}
		w, err := dur("grouping.storm.window", f.StormWindow, st.Window)
		if err != nil {
			return err
		}
		st.Window = w
		s.Grouping.Storm = &st
	}
	if f.FlapChanges != "" {
		n, err := num("flap.changes", f.FlapChanges)
		if err != nil {
			return err
		}
		fl := vigil.FlapSettings{Changes: n}
		if n > 0 {
			if fl.Window, err = dur("flap.window", f.FlapWindow, vigil.DefaultFlap.Window); err != nil {
				return err
			}
			if fl.Quiet, err = dur("flap.quiet", f.FlapQuiet, vigil.DefaultFlap.Quiet); err != nil {
				return err
			}
		}
		s.Flap = &fl
	}
	p, err := dur("auto_pause", f.AutoPause, 0)
	if err != nil {
		return err
	}
	s.AutoPause = p
	return nil
}

// serviceSettings answers POST /services/{id}/settings: the storm limit,
// flap control and auto-pause.
func (u *UI) serviceSettings(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	f := readTriageForm(r)
	s, err := u.store.FindServiceByID(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	next := *s
	err = f.apply(&next)
	if err == nil {
		upd := vigil.ServiceUpdate{Grouping: &next.Grouping, AutoPause: &next.AutoPause, Flap: next.Flap}
		_, err = u.store.UpdateService(ctx, id, upd)
	}
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, fmt.Sprintf("/services/%d#settings", id), "ok", "Settings of "+s.Name+" saved.")
	case vigil.CodeInvalid:
		m, merr := u.serviceShowModel(w, r, id)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		f.Errors = newFormErrors(err, triageFormFields...)
		m.Settings = f
		u.render(w, r, statusOf(vigil.ErrorCode(err)), "service_show.html", m)
	default:
		u.fail(w, r, err)
	}
}
