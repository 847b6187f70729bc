package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The stakeholder group form is one plain form, no script, like the
// schedule editor: the group's fields, then a row per channel (type,
// address, name). "Add a channel" and each row's "Remove" are submit
// buttons named "op": the server reads the form as typed, changes its
// shape and shows it again, saving nothing. Rows left blank (no address,
// no name) are ignored on save.
//
// Teams and webhook URLs are credentials: the edit form shows them masked
// (vigil.MaskAddress) and never puts the stored URL in the page. A row
// that comes back with the masked form keeps the stored URL of the channel
// it was drawn from (its hidden "orig" index); other masked rows are
// matched as the API matches them (vigil.StakeholderGroup.KeepMaskedAddresses).

// groupForm is the "New group" form of /groups and the edit form of a
// group's page, as typed.
type groupForm struct {
	Action      string
	Submit      string
	Name        string
	Description string
	MinSeverity string
	Severities  []option
	Channels    []channelRow
	// Editing: the form edits a stored group (its masked addresses keep
	// the stored URLs).
	Editing bool
	// Notice says what an "op" button did; the form is not saved yet.
	Notice string
	Errors formErrors
}

// channelRow is one channel row. Its inputs are named channels.<Index>.type,
// .address, .name and .orig (the index of the stored channel it shows, or
// empty for a new row).
type channelRow struct {
	Index   int
	Type    string
	Address string
	Name    string
	Orig    string
	Types   []option
	// Errors are by part: type, address, name.
	Errors map[string]string
}

// Number is the row's 1-based position.
func (c channelRow) Number() int { return c.Index + 1 }

// Error is the error of one part of the row, or "".
func (c channelRow) Error(part string) string { return c.Errors[part] }

// blank reports whether the row holds nothing to save.
func (c channelRow) blank() bool { return c.Address == "" && c.Name == "" }

// groupLabels name the group's own inputs in messages.
var groupLabels = map[string]string{
	"name": "Name", "description": "Description", "min_severity": "Hears about", "channels": "Channels",
}

// channelTypeLabels name the channel types in the type select.
var channelTypeLabels = map[string]string{
	vigil.ContactSlack: "Slack channel", vigil.ContactTeams: "Microsoft Teams (Workflows)",
	vigil.ContactEmail: "E-mail", vigil.ContactWebhook: "Webhook",
}

// minSeverityLabel says which incidents a group with this minimum
// severity hears about without being named.
func minSeverityLabel(sev vigil.Severity) string {
	switch sev {
	case "":
		return "only when named"
	case vigil.SeverityInfo:
		return "every incident (info or worse)"
	case vigil.SeverityCritical:
		return "critical incidents"
	default:
		return string(sev) + " incidents or worse"
	}
}

// newGroupForm is the form for g (nil: a new group with one blank row).
// Secret addresses are shown masked.
func newGroupForm(g *vigil.StakeholderGroup) groupForm {
	f := groupForm{Action: "/groups", Submit: "Create group"}
	if g == nil {
		f.Channels = []channelRow{{Type: vigil.ContactSlack}}
		f.finish()
		return f
	}
	f.Action, f.Submit, f.Editing = groupURL(g.ID), "Save group", true
	f.Name, f.Description, f.MinSeverity = g.Name, g.Description, string(g.MinSeverity)
	for i, c := range g.Channels {
		f.Channels = append(f.Channels, channelRow{
			Type: c.Type, Address: vigil.MaskAddress(c.Type, c.Address), Name: c.Name, Orig: strconv.Itoa(i),
		})
	}
	if len(f.Channels) == 0 {
		f.Channels = []channelRow{{Type: vigil.ContactSlack}}
	}
	f.finish()
	return f
}

// finish numbers the rows and fills every select's choices: the shape ops
// and the parser change rows freely and call it last.
func (f *groupForm) finish() {
	f.Severities = []option{{Value: "", Label: minSeverityLabel(""), Selected: f.MinSeverity == ""}}
	for _, s := range vigil.Severities {
		f.Severities = append(f.Severities, option{Value: string(s), Label: minSeverityLabel(s), Selected: string(s) == f.MinSeverity})
	}
	for i := range f.Channels {
		c := &f.Channels[i]
		c.Index = i
		c.Types = nil
		for _, t := range vigil.StakeholderChannelTypes {
			c.Types = append(c.Types, option{Value: t, Label: channelTypeLabels[t], Selected: t == c.Type})
		}
	}
}

// groupParse is the form read from a request.
type groupParse struct {
	form  groupForm
	group *vigil.StakeholderGroup
	// op is the shape button pressed ("" when saving); the form then
	// already shows its effect.
	op string
	// rowOf maps each channel of the group to its form row, so the store's
	// errors ("channels[1].address") land on the right input.
	rowOf []int
	// orig is, for each channel of the group, the index of the stored
	// channel its row was drawn from, or -1.
	orig []int
}

// parseGroupForm reads the form. orig is the group being edited (nil for
// a new one).
func parseGroupForm(r *http.Request, orig *vigil.StakeholderGroup) groupParse {
	var p groupParse
	f := &p.form
	*f = newGroupForm(orig)
	f.Channels = nil
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Description = strings.TrimSpace(r.PostFormValue("description"))
	f.MinSeverity = strings.TrimSpace(r.PostFormValue("min_severity"))
	g := &vigil.StakeholderGroup{Name: f.Name, Description: f.Description, MinSeverity: vigil.Severity(f.MinSeverity),
		Channels: []vigil.StakeholderChannel{}}
	if orig != nil {
		g.ID = orig.ID
	}
	p.group = g
	// One more row than the store takes, so "at most 20 channels" shows.
	for i := 0; i < vigil.MaxStakeholderChannels+1; i++ {
		prefix := "channels." + strconv.Itoa(i) + "."
		if _, ok := r.PostForm[prefix+"type"]; !ok {
			break
		}
		row := channelRow{
			Type:    strings.TrimSpace(r.PostFormValue(prefix + "type")),
			Address: strings.TrimSpace(r.PostFormValue(prefix + "address")),
			Name:    strings.TrimSpace(r.PostFormValue(prefix + "name")),
			Orig:    strings.TrimSpace(r.PostFormValue(prefix + "orig")),
		}
		f.Channels = append(f.Channels, row)
		if row.blank() {
			continue
		}
		g.Channels = append(g.Channels, vigil.StakeholderChannel{Type: row.Type, Address: row.Address, Name: row.Name})
		p.rowOf = append(p.rowOf, i)
		o := -1
		if n, err := strconv.Atoi(row.Orig); err == nil && orig != nil && n >= 0 && n < len(orig.Channels) {
			o = n
		}
		p.orig = append(p.orig, o)
	}
	p.op = r.PostFormValue("op")
	if p.op != "" {
		f.applyOp(p.op)
	}
	if len(f.Channels) == 0 {
		f.Channels = []channelRow{{Type: vigil.ContactSlack}}
	}
	f.finish()
	return p
}

// keepSecrets gives every channel whose address came back in the masked
// form the stored URL it stands for: first the channel its row was drawn
// from (so removing or reordering rows keeps each URL with its row), then,
// for rows without one, the API's matching among the stored channels not
// yet used. The form keeps showing what was typed, never the URL.
func (p *groupParse) keepSecrets(old *vigil.StakeholderGroup) {
	if old == nil {
		return
	}
	used := make([]bool, len(old.Channels))
	for i := range p.group.Channels {
		c := &p.group.Channels[i]
		j := p.orig[i]
		if j < 0 || used[j] {
			continue
		}
		o := old.Channels[j]
		typ := strings.ToLower(strings.TrimSpace(c.Type))
		if (typ == vigil.ContactTeams || typ == vigil.ContactWebhook) && o.Type == typ &&
			o.Address != c.Address && vigil.MaskAddress(o.Type, o.Address) == c.Address {
			c.Address, used[j] = o.Address, true
		}
	}
	rest := &vigil.StakeholderGroup{}
	for j, o := range old.Channels {
		if !used[j] {
			rest.Channels = append(rest.Channels, o)
		}
	}
	p.group.KeepMaskedAddresses(rest)
}

// applyOp changes the form's shape as one of its "op" buttons asks.
func (f *groupForm) applyOp(op string) {
	name, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	inRange := err == nil && i >= 0 && i < len(f.Channels)
	switch {
	case name == "add_channel":
		if len(f.Channels) >= vigil.MaxStakeholderChannels {
			f.Notice = fmt.Sprintf("A group has at most %d channels.", vigil.MaxStakeholderChannels)
			return
		}
		f.Channels = append(f.Channels, channelRow{Type: vigil.ContactSlack})
		f.Notice = fmt.Sprintf("Channel %d added below.", len(f.Channels))
	case name == "remove_channel" && inRange:
		f.Channels = slices.Delete(f.Channels, i, i+1)
		f.Notice = fmt.Sprintf("Channel %d removed.", i+1)
	default:
		f.Notice = "That button did nothing: the form changed meanwhile."
		return
	}
	f.Notice += " Nothing is saved until you press “" + f.Submit + "”."
}

// The store names a channel's fields channels[1].address, counting only
// the rows that were not blank; its messages may name another channel
// ("repeats channels[0]").
var (
	storeChannelField = regexp.MustCompile(`^channels\[(\d+)\]\.(type|address|name)$`)
	storeChannelRef   = regexp.MustCompile(`channels\[(\d+)\]`)
)

// setError shows err next to the input it is about: one of a row's, one
// of the group's, or above the form.
func (f *groupForm) setError(err error, rowOf []int) {
	field, msg := vigil.ErrorField(err), vigil.ErrorMessage(err)
	row := func(k int) int {
		if k >= 0 && k < len(rowOf) {
			return rowOf[k]
		}
		return -1
	}
	msg = storeChannelRef.ReplaceAllStringFunc(msg, func(s string) string {
		k, _ := strconv.Atoi(storeChannelRef.FindStringSubmatch(s)[1])
		if i := row(k); i >= 0 {
			return "channel " + strconv.Itoa(i+1)
		}
		return s
	})
	if m := storeChannelField.FindStringSubmatch(field); m != nil {
		k, _ := strconv.Atoi(m[1])
		if i := row(k); i >= 0 && i < len(f.Channels) {
			c := &f.Channels[i]
			if c.Errors == nil {
				c.Errors = map[string]string{}
			}
			c.Errors[m[2]] = fmt.Sprintf("Channel %d %s: %s", c.Number(), m[2], msg)
			return
		}
	}
	if label, ok := groupLabels[field]; ok {
		if f.Errors.Fields == nil {
			f.Errors.Fields = map[string]string{}
		}
		f.Errors.Fields[field] = label + ": " + msg
		return
	}
	if field != "" {
		msg = field + ": " + msg
	}
	f.Errors.Form = msg
}

// groupURL is a stakeholder group's page.
func groupURL(id int64) string { return "/groups/" + itoa(id) }
