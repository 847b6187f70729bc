// Package manifest is Vigil's configuration as code: the YAML document
// `vigil apply -f` reads and `vigil export` writes, its validation, and the
// plan (the diff) between a document and what a server holds.
//
// It is pure: no I/O. The CLI fetches a Snapshot through the API, asks for
// a Plan, prints it and carries it out.
//
// Objects are matched by a natural key: a user by e-mail address (ignoring
// case), everything else by name. References are by those keys, never by
// database IDs. Every object in a document is the whole object: a field
// left out takes its default (no description, time zone UTC, ...). The one
// exception is a user's contact_methods and notification_rules: left out,
// they are not managed (people often set up their own); present, even as
// [], they are exactly what the user has.
package manifest

// Manifest is one configuration document.
type Manifest struct {
	Users              []User     `yaml:"users,omitempty"`
	Teams              []Team     `yaml:"teams,omitempty"`
	Schedules          []Schedule `yaml:"schedules,omitempty"`
	EscalationPolicies []Policy   `yaml:"escalation_policies,omitempty"`
	Services           []Service  `yaml:"services,omitempty"`
	// MaintenanceWindows and InhibitRules keep alerts from paging (see
	// vigil.MaintenanceWindow and vigil.InhibitRule).
	MaintenanceWindows []MaintenanceWindow `yaml:"maintenance_windows,omitempty"`
	InhibitRules       []InhibitRule       `yaml:"inhibit_rules,omitempty"`

	// lines maps a path ("schedules[0].layers[1]") to its line in the
	// source, for error messages.
	lines map[string]int
}

// User is a person who can be paged; the e-mail address is the key.
type User struct {
	Name     string `yaml:"name"`
	Email    string `yaml:"email"`
	TimeZone string `yaml:"time_zone,omitempty"` // IANA name, default UTC
	// ContactMethods and NotificationRules are managed only when present
	// (nil: left as they are on the server).
	ContactMethods    *[]ContactMethod    `yaml:"contact_methods,omitempty"`
	NotificationRules *[]NotificationRule `yaml:"notification_rules,omitempty"`
}

// ContactMethod is one way to reach a user; its name (default: the type)
// is its key within the user.
type ContactMethod struct {
	Name     string `yaml:"name,omitempty"`
	Type     string `yaml:"type"`
	Address  string `yaml:"address"`
	Disabled bool   `yaml:"disabled,omitempty"`
}

// NotificationRule reaches a contact method (by name) Delay after a page.
type NotificationRule struct {
	ContactMethod string `yaml:"contact_method"`
	Delay         string `yaml:"delay,omitempty"` // a duration like 2m; default 0
}

// Team is a group of users, named by e-mail address.
type Team struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description,omitempty"`
	Members     []string `yaml:"members,omitempty"`
	// Managers (e-mail addresses) manage the team's services, schedules
	// and policies; a manager is always a member too, listed in members
	// or not.
	Managers []string `yaml:"managers,omitempty"`
	// Responders (e-mail addresses) respond on the team's incidents
	// whatever their global role; members too, listed there or not.
	Responders []string `yaml:"responders,omitempty"`
}

// Schedule is the API's schedule with names instead of IDs.
type Schedule struct {
	Name        string  `yaml:"name"`
	Description string  `yaml:"description,omitempty"`
	TimeZone    string  `yaml:"time_zone,omitempty"` // IANA name, default UTC
	Team        string  `yaml:"team,omitempty"`
	Layers      []Layer `yaml:"layers,omitempty"`
}

// Layer is one rotation; Members are e-mail addresses in turn order.
type Layer struct {
	Name string `yaml:"name,omitempty"`
	// Start is RFC 3339 ("2026-03-02T09:00:00+01:00"), or a local date
	// and time in the schedule's zone ("2026-03-02 09:00", "2026-03-02").
	Start        string        `yaml:"start"`
	TurnUnit     string        `yaml:"turn_unit"`
	TurnCount    int           `yaml:"turn_count"`
	Members      []string      `yaml:"members"`
	Restrictions []Restriction `yaml:"restrictions,omitempty"`
}

// Restriction is a window in which a layer is active.
type Restriction struct {
	Kind     string `yaml:"kind"`              // daily or weekly
	Weekday  string `yaml:"weekday,omitempty"` // weekly only: monday (or 0-6, 0 Sunday)
	Start    string `yaml:"start"`             // "09:00"
	Duration string `yaml:"duration"`          // "8h"
}

// Policy is an escalation policy.
type Policy struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	Team        string `yaml:"team,omitempty"`
	Repeat      int    `yaml:"repeat,omitempty"`
	Steps       []Step `yaml:"steps"`
}

// Step pages its targets, then waits Delay before the next step.
type Step struct {
	Delay     string     `yaml:"delay,omitempty"`
	Targets   []Target   `yaml:"targets"`
	Condition *Condition `yaml:"condition,omitempty"`
}

// Target is exactly one of a user (e-mail), a schedule or a team (names).
type Target struct {
	User     string `yaml:"user,omitempty"`
	Schedule string `yaml:"schedule,omitempty"`
	Team     string `yaml:"team,omitempty"`
}

// Condition limits a step to a weekly window.
type Condition struct {
	TimeZone string   `yaml:"time_zone,omitempty"`
	Weekdays []string `yaml:"weekdays,omitempty"`
	Start    string   `yaml:"start,omitempty"`
	End      string   `yaml:"end,omitempty"`
}

// Service is a service with its owning team and escalation policy.
type Service struct {
	Name             string `yaml:"name"`
	Description      string `yaml:"description,omitempty"`
	Team             string `yaml:"team,omitempty"`
	EscalationPolicy string `yaml:"escalation_policy,omitempty"`
	// AutoResolve defaults to true.
	AutoResolve *bool `yaml:"auto_resolve,omitempty"`
	// Grouping defaults to time grouping with a 5-minute window.
	Grouping *Grouping `yaml:"grouping,omitempty"`
	// Storm is the storm limit; left out, the server's default
	// (vigil.DefaultStorm). Incidents 0 turns it off.
	Storm *Storm `yaml:"storm,omitempty"`
	// Flap is flap control; left out, the server's default
	// (vigil.DefaultFlap). Changes 0 turns it off.
	Flap *Flap `yaml:"flap,omitempty"`
	// AutoPause holds a new alert this long ("5m", 1m to 24h) before it
	// may page; left out or 0, off.
	AutoPause string `yaml:"auto_pause,omitempty"`
}

// Storm is a service's storm limit: once it has opened Incidents
// incidents within Window (default 10m), new alerts join the newest.
type Storm struct {
	Incidents int    `yaml:"incidents"`
	Window    string `yaml:"window,omitempty"`
}

// Flap is a service's flap control: more than Changes state changes
// within Window make an alert flapping until it has been quiet for Quiet
// (Window and Quiet default to the server's 10m and 15m).
type Flap struct {
	Changes int    `yaml:"changes"`
	Window  string `yaml:"window,omitempty"`
	Quiet   string `yaml:"quiet,omitempty"`
}

// Grouping decides which open incident a new alert joins.
type Grouping struct {
	Mode   string   `yaml:"mode"`
	Window string   `yaml:"window,omitempty"`
	Labels []string `yaml:"labels,omitempty"`
}

// MaintenanceWindow is planned work: the services (by name) and/or label
// matchers it covers, once (start to end) or weekly.
type MaintenanceWindow struct {
	Name     string   `yaml:"name"`
	Services []string `yaml:"services,omitempty"`
	Matchers []string `yaml:"matchers,omitempty"`
	// Start and End are RFC 3339, or local times in TimeZone
	// ("2026-05-02 22:00"). A weekly window repeats from Start and, with
	// End, no occurrence begins at or after End.
	Start    string  `yaml:"start"`
	End      string  `yaml:"end,omitempty"`
	TimeZone string  `yaml:"time_zone,omitempty"` // IANA name, default UTC
	Weekly   *Weekly `yaml:"weekly,omitempty"`
}

// Weekly repeats a maintenance window on weekdays at a local time.
type Weekly struct {
	Weekdays []string `yaml:"weekdays"` // sunday (or sun, or 0-6 from Sunday)
	At       string   `yaml:"at"`       // "01:00"
	Duration string   `yaml:"duration"` // "4h", on the wall clock
}

// InhibitRule mutes alerts matching TargetMatchers while an alert
// matching SourceMatchers fires with the same Equal labels.
type InhibitRule struct {
	Name           string   `yaml:"name"`
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal,omitempty"`
}
