package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// overrideLabels name the override form's fields in its error messages.
var overrideLabels = map[string]string{"user_id": "Person", "start": "Start", "end": "End"}

// overrideCreate answers POST /schedules/{id}/overrides: it puts a person on
// call from start to end, both read in the schedule's time zone.
func (u *UI) overrideCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	s, err := u.store.FindSchedule(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := overrideForm{
		UserID: strings.TrimSpace(r.PostFormValue("user_id")),
		Start:  strings.TrimSpace(r.PostFormValue("start")),
		End:    strings.TrimSpace(r.PostFormValue("end")),
	}
	loc, lerr := time.LoadLocation(s.TimeZone)
	if lerr != nil {
		loc = time.UTC
	}
	o, err := f.override(id, loc)
	if err == nil {
		err = u.store.CreateOverride(ctx, o)
	}
	switch vigil.ErrorCode(err) {
	case "":
		name := "Someone"
		if us, err := u.store.FindUser(ctx, o.UserID); err == nil {
			name = us.Name
		}
		u.redirectFlash(w, r, scheduleURL(id), "ok",
			name+" is on call from "+zoneTime(o.Start, loc)+" to "+zoneTime(o.End, loc)+".")
	case vigil.CodeInvalid:
		f.Errors = newFormErrors(err, overrideFormFields...)
		// Each message names its field, so it reads right wherever it
		// shows (next to the input, or read out by a screen reader).
		for k, msg := range f.Errors.Fields {
			f.Errors.Fields[k] = overrideLabels[k] + ": " + msg
		}
		m, merr := u.scheduleShowModel(w, r, id, &f)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		u.render(w, r, http.StatusUnprocessableEntity, "schedule_show.html", m)
	default:
		u.fail(w, r, err)
	}
}

// override reads the form into an override of schedule id.
func (f overrideForm) override(id int64, loc *time.Location) (*vigil.Override, error) {
	uid, err := strconv.ParseInt(f.UserID, 10, 64)
	if f.UserID == "" || err != nil || uid <= 0 {
		return nil, vigil.FieldError("user_id", "choose who goes on call")
	}
	start, err := parseLocal("start", f.Start, loc)
	if err != nil {
		return nil, err
	}
	end, err := parseLocal("end", f.End, loc)
	if err != nil {
		return nil, err
	}
	o := &vigil.Override{ScheduleID: id, UserID: uid, Start: start, End: end}
	return o, o.Validate()
}
