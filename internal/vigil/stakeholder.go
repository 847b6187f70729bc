package vigil

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StakeholderGroup is a set of people who hear about incidents without
// responding to them: customer support, executives, security, ... They get
// status updates on the group's channels, never pages (no acknowledge or
// resolve links, no escalation).
type StakeholderGroup struct {
	ID int64 `json:"id"`
	// Name is unique regardless of case.
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Channels    []StakeholderChannel `json:"channels"`
	// MinSeverity makes the group hear about every incident of this
	// severity or worse: a status update that names no groups goes to it.
	// Empty: the group hears only when named (by the person posting the
	// update, or by a classification rule).
	MinSeverity Severity `json:"min_severity,omitempty"`
	// Security marks the security group: its members see every private
	// incident, and it is the only group told about one (with the
	// incident's responders).
	Security bool `json:"security,omitempty"`
	// Members are the IDs of the people who read as this group (sorted,
	// no repeats). Only the security group's members gain anything today:
	// they see private incidents.
	Members   []int64   `json:"members"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StakeholderChannel is one place a group reads: a Slack channel, a Teams
// Workflows webhook, an e-mail list or a webhook. A Teams or webhook URL is
// its own credential: answers show it masked (MaskAddress).
type StakeholderChannel struct {
	Type string `json:"type" enum:"slack,teams,email,webhook"` // StakeholderChannelTypes
	// Address is a Slack channel ID (C024BE91L) or name (#support), a
	// Teams Workflows URL, an e-mail address or a webhook URL.
	Address string `json:"address"`
	// Name labels the channel in lists and logs; default the type.
	Name string `json:"name,omitempty"`
}

// StakeholderChannelTypes are the contact types a group's channel can be:
// the ones that reach a room or a list rather than one person's phone.
var StakeholderChannelTypes = []string{ContactSlack, ContactTeams, ContactEmail, ContactWebhook}

// Limits of stakeholder groups and status updates.
const (
	MaxStakeholderChannels = 20
	MaxStakeholderMembers  = 1000
	// MaxStatusUpdateLen keeps an update whole on every channel: a Slack
	// section holds 3,000 characters with the heading.
	MaxStatusUpdateLen = 2000
	// MaxStatusUpdateGroups bounds the groups one update names.
	MaxStatusUpdateGroups = 100
)

// EntryStatusUpdate is the timeline entry of a status update; its Data
// holds the message, the groups told and the notification of each channel.
const EntryStatusUpdate = "status_update"

// slackChannelName is a Slack channel name as chat.postMessage takes it:
// "#" and up to 80 lower-case letters, digits, "-", "_" or ".".
var slackChannelName = regexp.MustCompile(`^#[a-z0-9][a-z0-9._-]{0,79}$`)

// StakeholderGroupKey is the form of a group name that uniqueness and
// lookups compare: names differing only in case are the same group.
func StakeholderGroupKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Validate checks the group and fills defaults (channel names). Errors
// name the field: "channels[1].address".
func (g *StakeholderGroup) Validate() error {
	g.Name = strings.TrimSpace(g.Name)
	if g.Name == "" {
		return FieldError("name", "is required")
	}
	if err := checkText("name", g.Name, MaxNameLen); err != nil {
		return err
	}
	if err := checkText("description", g.Description, MaxDescriptionLen); err != nil {
		return err
	}
	if g.MinSeverity != "" && !g.MinSeverity.Valid() {
		return FieldError("min_severity", "must be one of critical, error, warning, info, or empty (hears only when named)")
	}
	if len(g.Members) > MaxStakeholderMembers {
		return FieldError("members", "at most %d members", MaxStakeholderMembers)
	}
	for i, id := range g.Members {
		if id <= 0 {
			return FieldError("members["+strconv.Itoa(i)+"]", "must be a user ID")
		}
	}
	slices.Sort(g.Members)
	g.Members = slices.Compact(g.Members)
	if g.Members == nil {
		g.Members = []int64{}
	}
	if len(g.Channels) == 0 {
		return FieldError("channels", "give at least one channel (slack, teams, email or webhook)")
	}
	if len(g.Channels) > MaxStakeholderChannels {
		return FieldError("channels", "at most %d channels", MaxStakeholderChannels)
	}
	seen := map[[2]string]int{}
	for i := range g.Channels {
		c := &g.Channels[i]
		field := "channels[" + strconv.Itoa(i) + "]"
		if err := c.validate(field); err != nil {
			return err
		}
		// The same destination twice would get every update twice.
		k := [2]string{c.Type, c.Address}
		if j, dup := seen[k]; dup {
			return FieldError(field+".address", "repeats channels[%d]", j)
		}
		seen[k] = i
	}
	return nil
}

// validate checks one channel with the contact method rules of its type,
// naming fields under prefix.
func (c *StakeholderChannel) validate(prefix string) error {
	c.Type = strings.ToLower(strings.TrimSpace(c.Type))
	if !slices.Contains(StakeholderChannelTypes, c.Type) {
		return FieldError(prefix+".type", "must be one of %s", strings.Join(StakeholderChannelTypes, ", "))
	}
	c.Address = strings.TrimSpace(c.Address)
	if c.Address == "" {
		return FieldError(prefix+".address", "is required")
	}
	if c.Type == ContactSlack && strings.HasPrefix(c.Address, "#") {
		// A channel name: what a group's channel often is, and what Slack
		// takes as well as an ID (an ID survives a rename; prefer it).
		if c.Name = strings.TrimSpace(c.Name); c.Name == "" {
			c.Name = c.Type
		}
		if !slackChannelName.MatchString(c.Address) {
			return FieldError(prefix+".address", "must be a Slack channel ID such as C024BE91L, or a channel name such as #customer-support")
		}
		return checkText(prefix+".name", c.Name, MaxNameLen)
	}
	if (c.Type == ContactTeams || c.Type == ContactWebhook) && MaskAddress(c.Type, c.Address) == c.Address {
		// "https://host/…" is how answers show the URL: storing it would
		// send every update nowhere.
		return FieldError(prefix+".address", "is a masked address: send the full URL")
	}
	m := ContactMethod{Type: c.Type, Name: c.Name, Address: c.Address}
	if err := m.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Field != "" {
			return FieldError(prefix+"."+e.Field, "%s", e.Message)
		}
		return err
	}
	c.Name, c.Address = m.Name, m.Address
	return nil
}

// Masked returns a copy of g whose secret addresses (Teams and webhook
// URLs) are masked, for answers.
func (g *StakeholderGroup) Masked() *StakeholderGroup {
	out := *g
	out.Channels = make([]StakeholderChannel, len(g.Channels))
	for i, c := range g.Channels {
		c.Address = MaskAddress(c.Type, c.Address)
		out.Channels[i] = c
	}
	return &out
}

// KeepMaskedAddresses lets a client send back what it read: a Teams or
// webhook channel of g whose address is the masked form of one of old's
// channels of the same type gets that channel's full address, so a
// read-edit-write cycle keeps the secret instead of storing the mask.
// Channels that mask alike (two webhooks on one host) are matched in
// order, the first masked one to the first such old channel: adding or
// moving other channels is safe, but to remove or reorder those, send
// full addresses (read with reveal=true).
func (g *StakeholderGroup) KeepMaskedAddresses(old *StakeholderGroup) {
	if old == nil {
		return
	}
	used := make([]bool, len(old.Channels))
	for i := range g.Channels {
		c := &g.Channels[i]
		typ, addr := strings.ToLower(strings.TrimSpace(c.Type)), strings.TrimSpace(c.Address)
		if typ != ContactTeams && typ != ContactWebhook {
			continue // their addresses are shown whole
		}
		for j, o := range old.Channels {
			if !used[j] && o.Type == typ && o.Address != addr && MaskAddress(o.Type, o.Address) == addr {
				c.Address, used[j] = o.Address, true
				break
			}
		}
	}
}

// HearsAbout reports whether the group hears, without being named, about
// an incident of severity sev.
func (g *StakeholderGroup) HearsAbout(sev Severity) bool {
	return g.MinSeverity != "" && sev.Rank() >= g.MinSeverity.Rank()
}

// StatusUpdateInput is a status update to post on an incident.
type StatusUpdateInput struct {
	Message string `json:"message"`
	// Groups names the stakeholder groups to tell (any case). Empty: every
	// group whose min_severity the incident's severity reaches.
	Groups []string `json:"groups,omitempty"`
}

// Validate checks the message and the shape of the group list (not that
// the groups exist).
func (in *StatusUpdateInput) Validate() error {
	in.Message = strings.TrimSpace(in.Message)
	if in.Message == "" {
		return FieldError("message", "is required")
	}
	if len(in.Message) > MaxStatusUpdateLen {
		return FieldError("message", "must be at most %d bytes (it is sent whole to every channel)", MaxStatusUpdateLen)
	}
	if err := checkText("message", in.Message, MaxStatusUpdateLen); err != nil {
		return err
	}
	if len(in.Groups) > MaxStatusUpdateGroups {
		return FieldError("groups", "at most %d groups", MaxStatusUpdateGroups)
	}
	for i, name := range in.Groups {
		if strings.TrimSpace(name) == "" {
			return FieldError("groups["+strconv.Itoa(i)+"]", "is empty")
		}
	}
	return nil
}

// SelectStakeholderGroups decides who hears a status update about an
// incident of severity sev: the groups named (matched regardless of case,
// each once, in the order named) or, when none are named, every group of
// all that hears about sev (HearsAbout) or that the classification rules
// chose for the incident (chosen, by id), in the order of all. An unknown
// name is CodeInvalid naming "groups[i]"; nobody to tell is CodeConflict,
// never a silent success.
func SelectStakeholderGroups(all []*StakeholderGroup, names []string, sev Severity, chosen ...int64) ([]*StakeholderGroup, error) {
	var out []*StakeholderGroup
	if len(names) > 0 {
		byKey := make(map[string]*StakeholderGroup, len(all))
		for _, g := range all {
			byKey[StakeholderGroupKey(g.Name)] = g
		}
		seen := map[int64]bool{}
		for i, name := range names {
			g := byKey[StakeholderGroupKey(name)]
			if g == nil {
				return nil, FieldError("groups["+strconv.Itoa(i)+"]", "no stakeholder group is named %q", strings.TrimSpace(name))
			}
			if !seen[g.ID] {
				seen[g.ID] = true
				out = append(out, g)
			}
		}
		return out, nil
	}
	for _, g := range all {
		if g.HearsAbout(sev) || slices.Contains(chosen, g.ID) {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		if len(all) == 0 {
			return nil, Errorf(CodeConflict, "no stakeholder group exists: create one first")
		}
		return nil, Errorf(CodeConflict, "no stakeholder group hears about %s incidents: name the groups to tell, "+
			"or give a group a min_severity of %s or lower", sev, sev)
	}
	return out, nil
}

// StatusUpdate is a status update as posted: one message per channel of
// each group told, queued in the notification outbox (kind MessageStatus),
// and a timeline entry (EntryStatusUpdate) whose ID it shares.
type StatusUpdate struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Message    string    `json:"message"`
	// Groups are the names of the groups told, as they were then.
	Groups   []string         `json:"groups"`
	Messages []*StatusMessage `json:"messages"`
}

// StatusMessage is one queued message of a status update: the
// notification and the group and channel it goes to.
type StatusMessage struct {
	Group   string `json:"group"`
	Channel string `json:"channel"`
	Notification
}

// StakeholderService keeps stakeholder groups and posts status updates to
// them.
type StakeholderService interface {
	// CreateStakeholderGroup validates and stores g. CodeInvalid naming the
	// field, CodeConflict (name taken, in any case).
	CreateStakeholderGroup(ctx context.Context, g *StakeholderGroup) error
	// UpdateStakeholderGroup replaces group g.ID. CodeNotFound,
	// CodeInvalid, CodeConflict.
	UpdateStakeholderGroup(ctx context.Context, g *StakeholderGroup) error
	// FindStakeholderGroup returns one group; CodeNotFound.
	FindStakeholderGroup(ctx context.Context, id int64) (*StakeholderGroup, error)
	// ListStakeholderGroups lists every group by name.
	ListStakeholderGroups(ctx context.Context) ([]*StakeholderGroup, error)
	// DeleteStakeholderGroup removes a group; the updates it got stay on
	// their timelines. CodeNotFound.
	DeleteStakeholderGroup(ctx context.Context, id int64) error

	// PostStatusUpdate tells the groups SelectStakeholderGroups picks for
	// the incident: in one transaction, one notification per channel and
	// a timeline entry with the actor from the context. CodeNotFound
	// (incident), CodeInvalid ("message", "groups[i]"), CodeConflict
	// (nobody to tell).
	PostStatusUpdate(ctx context.Context, incidentID int64, in StatusUpdateInput) (*StatusUpdate, error)
	// FindStatusUpdates lists an incident's status updates, newest first,
	// with the current state of their messages. CodeNotFound.
	FindStatusUpdates(ctx context.Context, incidentID int64) ([]*StatusUpdate, error)
}
