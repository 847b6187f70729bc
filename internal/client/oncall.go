package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The on-call API: users, contact methods, notification rules, teams,
// schedules and overrides, escalation policies, the notification log and
// manual pages. Contact method addresses come back masked (the host of a
// URL, the last digits of a number): a Teams or webhook URL is a secret.

// UserInput is a user as created or replaced (PUT replaces all fields).
type UserInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// TimeZone is an IANA name; empty means UTC.
	TimeZone string `json:"time_zone,omitempty"`
}

// ContactMethodCreate is a new contact method.
type ContactMethodCreate struct {
	Name     string `json:"name,omitempty"` // default: the type
	Type     string `json:"type"`           // vigil.Contact*: email, sms, voice, slack, teams, webhook, sms_gateway
	Address  string `json:"address"`
	Disabled bool   `json:"disabled,omitempty"`
}

// ContactMethodUpdate changes a contact method; nil fields stay as they are.
type ContactMethodUpdate struct {
	Name     *string `json:"name,omitempty"`
	Address  *string `json:"address,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// NotificationRuleCreate is a new personal notification rule.
type NotificationRuleCreate struct {
	ContactMethodID int64          `json:"contact_method_id"`
	Delay           vigil.Duration `json:"delay"`
}

// TeamInput is a team as created or replaced.
type TeamInput struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Members     []int64 `json:"members"`
	// Managers: nil leaves them as they are on an update, empty clears
	// them (so no omitempty: [] must reach the server).
	Managers []int64 `json:"managers"`
	// Responders respond on the team's incidents whatever their global
	// role; nil and empty as for Managers.
	Responders []int64 `json:"responders"`
}

// ScheduleInput is a schedule as created or replaced.
type ScheduleInput struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	TimeZone    string        `json:"time_zone,omitempty"` // IANA name, default UTC
	TeamID      int64         `json:"team_id,omitempty"`
	Layers      []vigil.Layer `json:"layers"`
}

// OverrideCreate puts a user on call for [Start, End).
type OverrideCreate struct {
	UserID int64     `json:"user_id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// Override is an override with its user's name.
type Override struct {
	vigil.Override
	UserName string `json:"user_name"`
}

// EscalationPolicyInput is a policy as created or replaced.
type EscalationPolicyInput struct {
	Name        string                 `json:"name"`
	Description string                 `json:"description,omitempty"`
	TeamID      int64                  `json:"team_id,omitempty"`
	Repeat      int                    `json:"repeat"`
	Steps       []vigil.EscalationStep `json:"steps"`
}

// UserRef names a user.
type UserRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Shift is a shift with its user's name.
type Shift struct {
	UserID   int64     `json:"user_id"`
	UserName string    `json:"user_name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Override bool      `json:"override"`
}

// ShiftList is a schedule's on-call timeline of [From, To).
type ShiftList struct {
	ScheduleID int64     `json:"schedule_id"`
	TimeZone   string    `json:"time_zone"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Items      []Shift   `json:"items"`
}

// ScheduleOnCall says who is on call on one schedule at At.
type ScheduleOnCall struct {
	ScheduleID   int64     `json:"schedule_id"`
	ScheduleName string    `json:"schedule_name"`
	TimeZone     string    `json:"time_zone"`
	At           time.Time `json:"at"`
	// User is nil when no one is on call.
	User       *UserRef   `json:"user"`
	ShiftStart *time.Time `json:"shift_start"`
	ShiftEnd   *time.Time `json:"shift_end"`
	Override   bool       `json:"override"`
	// Next is the next shift, nil when none starts within 366 days.
	Next  *Shift `json:"next"`
	Error string `json:"error,omitempty"`
}

// PolicyOnCall says whom a policy's first step pages.
type PolicyOnCall struct {
	PolicyID   int64     `json:"policy_id"`
	PolicyName string    `json:"policy_name"`
	FirstStep  []UserRef `json:"first_step"`
}

// OnCall says who is on call on every schedule at At.
type OnCall struct {
	At                 time.Time        `json:"at"`
	Schedules          []ScheduleOnCall `json:"schedules"`
	EscalationPolicies []PolicyOnCall   `json:"escalation_policies"`
}

// Notification is a notification of the message log; DestAddress is masked.
type Notification struct {
	vigil.Notification
	DestAddress string `json:"dest_address"`
}

// PageRequest pages a user or every member of a team: exactly one of
// UserID and TeamID.
type PageRequest struct {
	UserID  int64  `json:"user_id,omitempty"`
	TeamID  int64  `json:"team_id,omitempty"`
	Message string `json:"message"`
}

// items is the envelope of unpaged list answers.
type items[T any] struct {
	Items []T `json:"items"`
}

// getItems GETs an unpaged list.
func getItems[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var out items[T]
	if err := c.do(ctx, http.MethodGet, path, q, c.token, nil, &out); err != nil {
		return nil, err
	}
	return nonNil(out.Items), nil
}

// send sends a body (or none) and decodes the answer into a new T.
func send[T any](ctx context.Context, c *Client, method, path string, in any) (*T, error) {
	var out T
	if err := c.do(ctx, method, path, nil, c.token, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Users.

// ListUsers lists every user by name.
func (c *Client) ListUsers(ctx context.Context) ([]*vigil.User, error) {
	return getItems[*vigil.User](ctx, c, "/api/v1/users", nil)
}

// CreateUser creates a user. CodeInvalid, CodeConflict (e-mail taken).
func (c *Client) CreateUser(ctx context.Context, u UserInput) (*vigil.User, error) {
	return send[vigil.User](ctx, c, http.MethodPost, "/api/v1/users", u)
}

// GetUser returns one user. CodeNotFound.
func (c *Client) GetUser(ctx context.Context, userID int64) (*vigil.User, error) {
	return send[vigil.User](ctx, c, http.MethodGet, userPath(userID), nil)
}

// UpdateUser replaces a user's name, e-mail and time zone.
func (c *Client) UpdateUser(ctx context.Context, userID int64, u UserInput) (*vigil.User, error) {
	return send[vigil.User](ctx, c, http.MethodPut, userPath(userID), u)
}

// DeleteUser deletes a user with their contact methods, rules, memberships
// and overrides. CodeNotFound.
func (c *Client) DeleteUser(ctx context.Context, userID int64) error {
	return c.do(ctx, http.MethodDelete, userPath(userID), nil, c.token, nil, nil)
}

// ListContactMethods lists a user's contact methods; addresses are masked.
func (c *Client) ListContactMethods(ctx context.Context, userID int64) ([]*vigil.ContactMethod, error) {
	return getItems[*vigil.ContactMethod](ctx, c, userPath(userID)+"/contact-methods", nil)
}

// ListContactMethodsRevealed lists a user's contact methods with their
// full addresses (reveal=true), for vigil export and vigil apply. A Teams
// or webhook URL is a credential: do not log what this returns.
func (c *Client) ListContactMethodsRevealed(ctx context.Context, userID int64) ([]*vigil.ContactMethod, error) {
	return getItems[*vigil.ContactMethod](ctx, c, userPath(userID)+"/contact-methods", url.Values{"reveal": {"true"}})
}

// CreateContactMethod adds a contact method; the answer's address is masked.
// CodeInvalid (field "address", "type"), CodeNotFound (user).
func (c *Client) CreateContactMethod(ctx context.Context, userID int64, m ContactMethodCreate) (*vigil.ContactMethod, error) {
	return send[vigil.ContactMethod](ctx, c, http.MethodPost, userPath(userID)+"/contact-methods", m)
}

// UpdateContactMethod changes a contact method (nil fields stay).
func (c *Client) UpdateContactMethod(ctx context.Context, userID, methodID int64, u ContactMethodUpdate) (*vigil.ContactMethod, error) {
	return send[vigil.ContactMethod](ctx, c, http.MethodPut, contactMethodPath(userID, methodID), u)
}

// DeleteContactMethod deletes a contact method with its rules.
func (c *Client) DeleteContactMethod(ctx context.Context, userID, methodID int64) error {
	return c.do(ctx, http.MethodDelete, contactMethodPath(userID, methodID), nil, c.token, nil, nil)
}

// TestContactMethod queues a test notification to a contact method.
func (c *Client) TestContactMethod(ctx context.Context, userID, methodID int64) (*Notification, error) {
	return send[Notification](ctx, c, http.MethodPost, contactMethodPath(userID, methodID)+"/test", nil)
}

// ListNotificationRules lists a user's notification rules by delay.
func (c *Client) ListNotificationRules(ctx context.Context, userID int64) ([]*vigil.NotificationRule, error) {
	return getItems[*vigil.NotificationRule](ctx, c, userPath(userID)+"/notification-rules", nil)
}

// CreateNotificationRule adds a notification rule. CodeInvalid (field
// "contact_method_id" when the method is not the user's, "delay").
func (c *Client) CreateNotificationRule(ctx context.Context, userID int64, r NotificationRuleCreate) (*vigil.NotificationRule, error) {
	return send[vigil.NotificationRule](ctx, c, http.MethodPost, userPath(userID)+"/notification-rules", r)
}

// DeleteNotificationRule deletes a notification rule.
func (c *Client) DeleteNotificationRule(ctx context.Context, userID, ruleID int64) error {
	return c.do(ctx, http.MethodDelete, userPath(userID)+"/notification-rules/"+id(ruleID), nil, c.token, nil, nil)
}

// Teams.

// ListTeams lists teams by name with their members.
func (c *Client) ListTeams(ctx context.Context) ([]*vigil.Team, error) {
	return getItems[*vigil.Team](ctx, c, "/api/v1/teams", nil)
}

// CreateTeam creates a team. CodeInvalid (an unknown member), CodeConflict.
func (c *Client) CreateTeam(ctx context.Context, t TeamInput) (*vigil.Team, error) {
	return send[vigil.Team](ctx, c, http.MethodPost, "/api/v1/teams", t)
}

// GetTeam returns one team. CodeNotFound.
func (c *Client) GetTeam(ctx context.Context, teamID int64) (*vigil.Team, error) {
	return send[vigil.Team](ctx, c, http.MethodGet, "/api/v1/teams/"+id(teamID), nil)
}

// UpdateTeam replaces a team's name, description and members.
func (c *Client) UpdateTeam(ctx context.Context, teamID int64, t TeamInput) (*vigil.Team, error) {
	return send[vigil.Team](ctx, c, http.MethodPut, "/api/v1/teams/"+id(teamID), t)
}

// DeleteTeam deletes a team.
func (c *Client) DeleteTeam(ctx context.Context, teamID int64) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/teams/"+id(teamID), nil, c.token, nil, nil)
}

// Schedules.

// ListSchedules lists schedules by name.
func (c *Client) ListSchedules(ctx context.Context) ([]*vigil.Schedule, error) {
	return getItems[*vigil.Schedule](ctx, c, "/api/v1/schedules", nil)
}

// CreateSchedule creates a schedule. CodeInvalid names the field
// ("layers[0].turn_unit"), CodeConflict (name taken).
func (c *Client) CreateSchedule(ctx context.Context, s ScheduleInput) (*vigil.Schedule, error) {
	return send[vigil.Schedule](ctx, c, http.MethodPost, "/api/v1/schedules", s)
}

// GetSchedule returns one schedule. CodeNotFound.
func (c *Client) GetSchedule(ctx context.Context, scheduleID int64) (*vigil.Schedule, error) {
	return send[vigil.Schedule](ctx, c, http.MethodGet, schedulePath(scheduleID), nil)
}

// UpdateSchedule replaces a schedule.
func (c *Client) UpdateSchedule(ctx context.Context, scheduleID int64, s ScheduleInput) (*vigil.Schedule, error) {
	return send[vigil.Schedule](ctx, c, http.MethodPut, schedulePath(scheduleID), s)
}

// DeleteSchedule deletes a schedule and its overrides. CodeConflict while
// an escalation policy pages it.
func (c *Client) DeleteSchedule(ctx context.Context, scheduleID int64) error {
	return c.do(ctx, http.MethodDelete, schedulePath(scheduleID), nil, c.token, nil, nil)
}

// ScheduleOnCall says who is on call on a schedule at at (the zero time:
// now).
func (c *Client) ScheduleOnCall(ctx context.Context, scheduleID int64, at time.Time) (*ScheduleOnCall, error) {
	var out ScheduleOnCall
	if err := c.do(ctx, http.MethodGet, schedulePath(scheduleID)+"/on-call", timeQuery("at", at), c.token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListShifts returns a schedule's shifts in [from, to); zero times take
// the server's defaults (now, and 14 days after from). At most 366 days.
func (c *Client) ListShifts(ctx context.Context, scheduleID int64, from, to time.Time) (*ShiftList, error) {
	q := timeQuery("from", from)
	for k, v := range timeQuery("to", to) {
		q[k] = v
	}
	var out ShiftList
	if err := c.do(ctx, http.MethodGet, schedulePath(scheduleID)+"/shifts", q, c.token, nil, &out); err != nil {
		return nil, err
	}
	out.Items = nonNil(out.Items)
	return &out, nil
}

// ListOverrides returns a schedule's overrides overlapping [from, to);
// zero times take the server's defaults (now, and 366 days after from).
func (c *Client) ListOverrides(ctx context.Context, scheduleID int64, from, to time.Time) ([]*Override, error) {
	q := timeQuery("from", from)
	for k, v := range timeQuery("to", to) {
		q[k] = v
	}
	return getItems[*Override](ctx, c, schedulePath(scheduleID)+"/overrides", q)
}

// CreateOverride puts a user on call on a schedule. CodeInvalid ("user_id",
// "end"), CodeNotFound (schedule).
func (c *Client) CreateOverride(ctx context.Context, scheduleID int64, o OverrideCreate) (*vigil.Override, error) {
	return send[vigil.Override](ctx, c, http.MethodPost, schedulePath(scheduleID)+"/overrides", o)
}

// DeleteOverride deletes an override.
func (c *Client) DeleteOverride(ctx context.Context, scheduleID, overrideID int64) error {
	return c.do(ctx, http.MethodDelete, schedulePath(scheduleID)+"/overrides/"+id(overrideID), nil, c.token, nil, nil)
}

// maxICal bounds the iCalendar feed read.
const maxICal = 16 << 20

// ScheduleICal returns the schedule's iCalendar feed (the next 60 days).
func (c *Client) ScheduleICal(ctx context.Context, scheduleID int64) (string, error) {
	return c.ical(ctx, schedulePath(scheduleID)+"/ical")
}

// UserICal returns a person's iCalendar feed: their shifts on every
// schedule in the next 60 days.
func (c *Client) UserICal(ctx context.Context, userID int64) (string, error) {
	return c.ical(ctx, userPath(userID)+"/ical")
}

// FeedURL is the secret address of a calendar feed.
type FeedURL struct {
	URL string `json:"url"`
}

// ScheduleICalURL returns the secret address of a schedule's feed.
func (c *Client) ScheduleICalURL(ctx context.Context, scheduleID int64) (string, error) {
	var out FeedURL
	err := c.do(ctx, http.MethodGet, schedulePath(scheduleID)+"/ical-url", nil, c.token, nil, &out)
	return out.URL, err
}

// UserICalURL returns the secret address of a person's feed.
func (c *Client) UserICalURL(ctx context.Context, userID int64) (string, error) {
	var out FeedURL
	err := c.do(ctx, http.MethodGet, userPath(userID)+"/ical-url", nil, c.token, nil, &out)
	return out.URL, err
}

// RotateICalURLs revokes every calendar feed address.
func (c *Client) RotateICalURLs(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/api/v1/ical-urls/rotate", nil, c.token, nil, nil)
}

// ical reads an iCalendar document (not JSON) with the token.
func (c *Client) ical(ctx context.Context, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+path, nil)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "text/calendar")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.source != "" {
		req.Header.Set(SourceHeader, c.source)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("GET %s: %w", c.baseURL+path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", decodeError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxICal))
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	return string(b), nil
}

// OnCall says who is on call on every schedule at at (zero: now), and whom
// each escalation policy's first step pages.
func (c *Client) OnCall(ctx context.Context, at time.Time) (*OnCall, error) {
	var out OnCall
	if err := c.do(ctx, http.MethodGet, "/api/v1/on-call", timeQuery("at", at), c.token, nil, &out); err != nil {
		return nil, err
	}
	out.Schedules, out.EscalationPolicies = nonNil(out.Schedules), nonNil(out.EscalationPolicies)
	return &out, nil
}

// Escalation policies.

// ListEscalationPolicies lists policies by name.
func (c *Client) ListEscalationPolicies(ctx context.Context) ([]*vigil.EscalationPolicy, error) {
	return getItems[*vigil.EscalationPolicy](ctx, c, "/api/v1/escalation-policies", nil)
}

// CreateEscalationPolicy creates a policy. CodeInvalid names the field
// ("steps[0].targets[0].id"), CodeConflict (name taken).
func (c *Client) CreateEscalationPolicy(ctx context.Context, p EscalationPolicyInput) (*vigil.EscalationPolicy, error) {
	return send[vigil.EscalationPolicy](ctx, c, http.MethodPost, "/api/v1/escalation-policies", p)
}

// GetEscalationPolicy returns one policy. CodeNotFound.
func (c *Client) GetEscalationPolicy(ctx context.Context, policyID int64) (*vigil.EscalationPolicy, error) {
	return send[vigil.EscalationPolicy](ctx, c, http.MethodGet, policyPath(policyID), nil)
}

// UpdateEscalationPolicy replaces a policy.
func (c *Client) UpdateEscalationPolicy(ctx context.Context, policyID int64, p EscalationPolicyInput) (*vigil.EscalationPolicy, error) {
	return send[vigil.EscalationPolicy](ctx, c, http.MethodPut, policyPath(policyID), p)
}

// DeleteEscalationPolicy deletes a policy. CodeConflict while a service
// uses it.
func (c *Client) DeleteEscalationPolicy(ctx context.Context, policyID int64) error {
	return c.do(ctx, http.MethodDelete, policyPath(policyID), nil, c.token, nil, nil)
}

// Notifications.

// IncidentNotifications returns an incident's message log, newest first
// (limit 0: the server's default of 200).
func (c *Client) IncidentNotifications(ctx context.Context, incidentID int64, limit int) ([]*Notification, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return getItems[*Notification](ctx, c, "/api/v1/incidents/"+id(incidentID)+"/notifications", q)
}

// NotificationAttempts returns a notification's send attempts, oldest first.
func (c *Client) NotificationAttempts(ctx context.Context, notificationID int64) ([]*vigil.NotificationAttempt, error) {
	return getItems[*vigil.NotificationAttempt](ctx, c, "/api/v1/notifications/"+id(notificationID)+"/attempts", nil)
}

// Page queues a manual page to every enabled contact method of a user or
// of each team member. CodeInvalid ("user_id", "team_id", "message"),
// CodeNotFound, CodeConflict (nobody has an enabled contact method).
func (c *Client) Page(ctx context.Context, p PageRequest) ([]*Notification, error) {
	var out items[*Notification]
	if err := c.do(ctx, http.MethodPost, "/api/v1/page", nil, c.token, p, &out); err != nil {
		return nil, err
	}
	return nonNil(out.Items), nil
}

func userPath(userID int64) string { return "/api/v1/users/" + id(userID) }

func contactMethodPath(userID, methodID int64) string {
	return userPath(userID) + "/contact-methods/" + id(methodID)
}

func schedulePath(scheduleID int64) string { return "/api/v1/schedules/" + id(scheduleID) }

func policyPath(policyID int64) string { return "/api/v1/escalation-policies/" + id(policyID) }

// timeQuery is {name: t} in RFC 3339 UTC, or empty for the zero time.
func timeQuery(name string, t time.Time) url.Values {
	q := url.Values{}
	if !t.IsZero() {
		q.Set(name, t.UTC().Format(time.RFC3339Nano))
	}
	return q
}
