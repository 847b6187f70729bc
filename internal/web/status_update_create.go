package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// statusUpdateForm is the "Post a status update" form of an incident's
// page.
type statusUpdateForm struct {
	Message string
	// Groups are every stakeholder group, as checkboxes.
	Groups []statusGroupChoice
	// Severity is the incident's; Default names the groups that hear about
	// it, which an update that ticks none goes to ("" when none does).
	Severity vigil.Severity
	Default  string
	Errors   formErrors
}

// statusGroupChoice is one group's checkbox.
type statusGroupChoice struct {
	ID      int64
	Name    string
	Hears   string
	Checked bool
}

// newStatusUpdateForm offers every group, those in ticked checked.
func newStatusUpdateForm(groups []*vigil.StakeholderGroup, sev vigil.Severity, ticked map[int64]bool) statusUpdateForm {
	f := statusUpdateForm{Severity: sev}
	var hear []string
	for _, g := range groups {
		f.Groups = append(f.Groups, statusGroupChoice{ID: g.ID, Name: g.Name, Hears: minSeverityLabel(g.MinSeverity), Checked: ticked[g.ID]})
		if g.HearsAbout(sev) {
			hear = append(hear, g.Name)
		}
	}
	f.Default = strings.Join(hear, ", ")
	return f
}

// statusUpdateLabels name the form's inputs in messages.
var statusUpdateLabels = map[string]string{"message": "Message", "groups": "Groups"}

// statusUpdateErrors files the store's error: "message" and "groups[i]"
// next to their inputs, anything else (nobody to tell) above the form.
func statusUpdateErrors(err error) formErrors {
	field := vigil.ErrorField(err)
	if strings.HasPrefix(field, "groups[") {
		field = "groups"
	}
	if label, ok := statusUpdateLabels[field]; ok {
		return formErrors{Fields: map[string]string{field: label + ": " + vigil.ErrorMessage(err)}}
	}
	return newFormErrors(err)
}

// statusUpdateCreate answers POST /incidents/{id}/status-updates: the
// message goes, as one message per channel, to the groups ticked, or
// when none is ticked to every group that hears about the incident's
// severity. Refused (a bad message, nobody to tell) it shows the page
// again with the error next to the form, what was typed kept and nothing
// stored.
func (u *UI) statusUpdateCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	groups, err := u.store.ListStakeholderGroups(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	byID := make(map[int64]*vigil.StakeholderGroup, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	// The checkboxes carry IDs, so a group renamed since the page was
	// drawn is still the one ticked; the store takes names.
	in := vigil.StatusUpdateInput{Message: strings.TrimSpace(r.PostFormValue("message"))}
	ticked := map[int64]bool{}
	for _, v := range r.PostForm["groups"] {
		gid, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		g := byID[gid]
		if perr != nil || g == nil {
			if err == nil {
				err = vigil.FieldError("groups", "a group you ticked no longer exists: reload the page and tick again")
			}
			continue
		}
		if !ticked[gid] {
			ticked[gid] = true
			in.Groups = append(in.Groups, g.Name)
		}
	}
	var upd *vigil.StatusUpdate
	if err == nil {
		upd, err = u.store.PostStatusUpdate(ctx, id, in)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		// The flash holds 300 bytes: many groups are counted, not named
		// (the timeline names them all).
		told := strings.Join(upd.Groups, ", ")
		if len(told) > 160 {
			told = plural(len(upd.Groups), "group", "groups")
		}
		u.redirectFlash(w, r, incidentURL(id), "ok", "Status update queued to "+
			plural(len(upd.Messages), "channel", "channels")+" of "+told+".")
	case vigil.CodeInvalid, vigil.CodeConflict:
		m, merr := u.incidentShowModel(w, r, id)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		f := newStatusUpdateForm(groups, m.Incident.Severity, ticked)
		f.Message, f.Errors = in.Message, statusUpdateErrors(err)
		m.StatusUpdate = f
		u.render(w, r, statusOf(code), "incident_show.html", m)
	default:
		u.fail(w, r, err)
	}
}

// statusUpdateEntry is a status update on the timeline: what was said, to
// which groups, over how many channels.
type statusUpdateEntry struct {
	*vigil.TimelineEntry
	Said  string
	To    []string
	Reach string
}

// newStatusUpdateEntry reads a status update's timeline entry; nil when
// its data cannot be read (the page then shows the entry's message).
func newStatusUpdateEntry(e *vigil.TimelineEntry) *statusUpdateEntry {
	if e == nil || e.Kind != vigil.EntryStatusUpdate || len(e.Data) == 0 {
		return nil
	}
	var d struct {
		Message  string            `json:"message"`
		Groups   []string          `json:"groups"`
		Messages []json.RawMessage `json:"messages"`
	}
	if json.Unmarshal(e.Data, &d) != nil || d.Message == "" {
		return nil
	}
	return &statusUpdateEntry{TimelineEntry: e, Said: d.Message, To: d.Groups,
		Reach: plural(len(d.Messages), "channel", "channels")}
}
