package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// serviceCreate answers POST /services.
func (u *UI) serviceCreate(w http.ResponseWriter, r *http.Request) {
	f := serviceForm{
		Name:           strings.TrimSpace(r.PostFormValue("name")),
		Description:    strings.TrimSpace(r.PostFormValue("description")),
		GroupingMode:   r.PostFormValue("grouping.mode"),
		GroupingWindow: strings.TrimSpace(r.PostFormValue("grouping.window")),
		GroupingLabels: strings.TrimSpace(r.PostFormValue("grouping.labels")),
		AutoResolve:    r.PostFormValue("auto_resolve") != "",
		Triage:         readTriageForm(r),
	}
	f.ModeOptions = groupingModeOptions(f.GroupingMode)
	s, err := f.service()
	if err == nil {
		err = u.store.CreateService(r.Context(), s)
	}
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, fmt.Sprintf("/services/%d", s.ID), "ok", "Service "+s.Name+" created. Add an integration key to send it alerts.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		if vigil.ErrorCode(err) == vigil.CodeConflict && vigil.ErrorField(err) == "" {
			err = vigil.FieldError("name", "%s", vigil.ErrorMessage(err))
		}
		f.Errors = newFormErrors(err, serviceFormFields...)
		f.Triage.Errors = f.Errors
		m, merr := u.serviceListModel(w, r, f)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		u.render(w, r, statusOf(vigil.ErrorCode(err)), "service_list.html", m)
	default:
		u.fail(w, r, err)
	}
}

// service turns the form into a validated domain service.
func (f serviceForm) service() (*vigil.Service, error) {
	s := &vigil.Service{
		Name:        f.Name,
		Description: f.Description,
		Grouping:    vigil.GroupingRule{Mode: f.GroupingMode},
		AutoResolve: f.AutoResolve,
	}
	if f.GroupingMode == vigil.GroupByTime && f.GroupingWindow != "" {
		d, err := time.ParseDuration(f.GroupingWindow)
		if err != nil {
			return nil, vigil.FieldError("grouping.window", "must be a duration like 5m or 1h30m")
		}
		s.Grouping.Window = vigil.Duration(d)
	}
	if f.GroupingMode == vigil.GroupByLabels {
		for l := range strings.SplitSeq(f.GroupingLabels, ",") {
			if l = strings.TrimSpace(l); l != "" {
				s.Grouping.Labels = append(s.Grouping.Labels, l)
			}
		}
	}
	if err := f.Triage.apply(s); err != nil {
		return nil, err
	}
	s.Normalize()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}
