package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/oncall"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// On-call: users and how to reach them, teams, schedules with their
// overrides, escalation policies, the notification log and manual pages.
//
// Contact method addresses may be secrets (a Teams or webhook URL is its
// own credential), so every answer shows them through vigil.MaskAddress;
// an update may leave the address out, and sending the masked form back
// keeps the stored address rather than replacing it with the mask.

// UserInput is the body of POST /api/v1/users and PUT /api/v1/users/{id}
// (which replaces all three fields).
type UserInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// TimeZone is an IANA name; empty means UTC.
	TimeZone string `json:"time_zone,omitempty"`
}

// ContactMethodCreate is the body of POST /api/v1/users/{id}/contact-methods.
type ContactMethodCreate struct {
	// Name defaults to the type.
	Name     string `json:"name,omitempty"`
	Type     string `json:"type" enum:"email,sms,voice,slack,teams,webhook,sms_gateway"`
	Address  string `json:"address"`
	Disabled bool   `json:"disabled,omitempty"`
}

// ContactMethodUpdate is the body of PUT
// /api/v1/users/{id}/contact-methods/{method_id}: absent fields keep their
// value (so a secret address need not be sent again), and the type never
// changes.
type ContactMethodUpdate struct {
	Name     *string `json:"name,omitempty"`
	Address  *string `json:"address,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// ContactMethodView is a contact method as answers show it: the address
// masked (the host of a URL, the last digits of a number).
type ContactMethodView struct {
	ID       int64  `json:"id"`
	UserID   int64  `json:"user_id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Address  string `json:"address"`
	Disabled bool   `json:"disabled"`
	// CreatedAt is when it was added.
	CreatedAt time.Time `json:"created_at"`
}

// NotificationRuleCreate is the body of POST
// /api/v1/users/{id}/notification-rules.
type NotificationRuleCreate struct {
	ContactMethodID int64          `json:"contact_method_id"`
	Delay           vigil.Duration `json:"delay"`
}

// TeamInput is the body of POST /api/v1/teams and PUT /api/v1/teams/{id}
// (which replaces name, description, members and, when given, managers).
type TeamInput struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Members     []int64 `json:"members"`
	// Managers are the members who manage the team's services, schedules
	// and policies (a manager is made a member too). Left out of a PUT,
	// the managers who stay members keep the role.
	Managers []int64 `json:"managers,omitempty"`
	// Responders are the members who respond on the team's incidents
	// whatever their global role (made members too). Left out of a PUT,
	// the responders who stay members keep the role.
	Responders []int64 `json:"responders,omitempty"`
}

// ScheduleInput is the body of POST /api/v1/schedules and PUT
// /api/v1/schedules/{id} (which replaces the schedule).
type ScheduleInput struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// TimeZone is an IANA name; empty means UTC.
	TimeZone string        `json:"time_zone,omitempty"`
	TeamID   int64         `json:"team_id,omitempty"`
	Layers   []vigil.Layer `json:"layers"`
}

// OverrideCreate is the body of POST /api/v1/schedules/{id}/overrides.
type OverrideCreate struct {
	UserID int64     `json:"user_id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

// OverrideView is an override with its user's name.
type OverrideView struct {
	vigil.Override
	UserName string `json:"user_name"`
}

// EscalationPolicyInput is the body of POST /api/v1/escalation-policies and
// PUT /api/v1/escalation-policies/{id} (which replaces the policy).
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

// ShiftView is a shift with its user's name.
type ShiftView struct {
	UserID   int64     `json:"user_id"`
	UserName string    `json:"user_name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Override bool      `json:"override"`
}

// ShiftList answers GET /api/v1/schedules/{id}/shifts: the on-call
// timeline of [from, to), gaps (no one on call) left out.
type ShiftList struct {
	ScheduleID int64       `json:"schedule_id"`
	TimeZone   string      `json:"time_zone"`
	From       time.Time   `json:"from"`
	To         time.Time   `json:"to"`
	Items      []ShiftView `json:"items"`
}

// ScheduleOnCall says who is on call on one schedule at At.
type ScheduleOnCall struct {
	ScheduleID   int64     `json:"schedule_id"`
	ScheduleName string    `json:"schedule_name"`
	TimeZone     string    `json:"time_zone"`
	At           time.Time `json:"at"`
	// User is null when no one is on call.
	User *UserRef `json:"user"`
	// ShiftStart and ShiftEnd bound the current shift. They are null when
	// no one is on call, and each is null when it lies more than half a
	// year from At (a rotation of one person never ends).
	ShiftStart *time.Time `json:"shift_start"`
	ShiftEnd   *time.Time `json:"shift_end"`
	// Override is set when the current shift comes from an override.
	Override bool `json:"override"`
	// Next is the next shift starting after At within 366 days, or null.
	Next *ShiftView `json:"next"`
	// Error says why the schedule could not be evaluated (only in the
	// all-schedules answer, which does not fail for one schedule).
	Error string `json:"error,omitempty"`
}

// PolicyOnCall says whom an escalation policy's first step pages at At.
type PolicyOnCall struct {
	PolicyID   int64  `json:"policy_id"`
	PolicyName string `json:"policy_name"`
	// FirstStep lists, once each, the users of step 1's user targets, who
	// is on call on its schedules and the members of its teams (the step's
	// time condition is not applied).
	FirstStep []UserRef `json:"first_step"`
}

// OnCallNow answers GET /api/v1/on-call.
type OnCallNow struct {
	At                 time.Time        `json:"at"`
	Schedules          []ScheduleOnCall `json:"schedules"`
	EscalationPolicies []PolicyOnCall   `json:"escalation_policies"`
}

// NotificationView is a notification of the message log, its destination
// address masked.
type NotificationView struct {
	vigil.Notification
	DestAddress string `json:"dest_address"`
}

// PageRequest is the body of POST /api/v1/page: exactly one of UserID and
// TeamID.
type PageRequest struct {
	UserID  int64  `json:"user_id,omitempty"`
	TeamID  int64  `json:"team_id,omitempty"`
	Message string `json:"message"`
}

// Limits and defaults of the on-call endpoints.
const (
	// defaultShiftWindow is the shifts list's window when to is absent.
	defaultShiftWindow = 14 * 24 * time.Hour
	// icalWindow is how far ahead the iCal feed reaches.
	icalWindow = 60 * 24 * time.Hour
	// maxPageMessage bounds a manual page's message.
	maxPageMessage = 1024
	// maxNotificationLog is the most notifications the message log shows.
	maxNotificationLog = 1000
	// testTitle is the title of a contact method's test notification.
	testTitle = "Test notification from Vigil"
)

// nextHorizons are the look-aheads for "the next shift": short first, so a
// weekly rotation costs little, up to the longest window.
var nextHorizons = []time.Duration{8 * 24 * time.Hour, 92 * 24 * time.Hour, oncall.MaxWindow}

func (a *API) oncallRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Query: q, Handler: a.handle(h)}
	}
	window := []Param{
		{Name: "from", Type: "date-time", Description: "start of the window (RFC 3339; default now)"},
		{Name: "to", Type: "date-time", Description: "end of the window (RFC 3339)"},
	}
	at := Param{Name: "at", Type: "date-time", Description: "the instant asked about (RFC 3339; default now)"}
	const (
		user     = "/api/v1/users/{id}"
		method   = user + "/contact-methods/{method_id}"
		schedule = "/api/v1/schedules/{id}"
		policy   = "/api/v1/escalation-policies/{id}"
	)
	return []Route{
		tok("GET", "/api/v1/users", "List users by name", nil, Items[*vigil.User]{}, http.StatusOK, listOf(a, (vigil.Store).ListUsers)),
		tok("POST", "/api/v1/users", "Create a user", UserInput{}, &vigil.User{}, http.StatusCreated,
			createFrom(a, userFrom, (vigil.Store).CreateUser)),
		tok("GET", user, "Get a user", nil, &vigil.User{}, http.StatusOK, getByID(a, (vigil.Store).FindUser)),
		tok("PUT", user, "Replace a user's name, e-mail and time zone", UserInput{}, &vigil.User{}, http.StatusOK,
			replaceByID(a, userFrom, (vigil.Store).UpdateUser)),
		tok("DELETE", user, "Delete a user with their contact methods, rules, memberships and overrides", nil, nil,
			http.StatusNoContent, deleteByID(a, (vigil.Store).DeleteUser)),

		tok("GET", user+"/contact-methods", "List a user's contact methods (addresses masked unless reveal=true)", nil,
			Items[ContactMethodView]{}, http.StatusOK, a.listContactMethods,
			Param{Name: "reveal", Type: "boolean", Description: "return full addresses (for vigil export)"}),
		tok("POST", user+"/contact-methods", "Add a contact method to a user", ContactMethodCreate{}, ContactMethodView{},
			http.StatusCreated, a.createContactMethod),
		tok("PUT", method, "Change a contact method's name, address or disabled flag (absent fields stay)",
			ContactMethodUpdate{}, ContactMethodView{}, http.StatusOK, a.updateContactMethod),
		tok("DELETE", method, "Delete a contact method with the rules that use it", nil, nil, http.StatusNoContent, a.deleteContactMethod),
		tok("POST", method+"/test", "Queue a test notification to a contact method", nil, NotificationView{},
			http.StatusAccepted, a.testContactMethod),

		tok("GET", user+"/notification-rules", "List a user's notification rules by delay", nil,
			Items[*vigil.NotificationRule]{}, http.StatusOK, a.listNotificationRules),
		tok("POST", user+"/notification-rules", "Add a notification rule: reach a contact method this long after a page",
			NotificationRuleCreate{}, &vigil.NotificationRule{}, http.StatusCreated, a.createNotificationRule),
		tok("DELETE", user+"/notification-rules/{rule_id}", "Delete a notification rule", nil, nil,
			http.StatusNoContent, a.deleteNotificationRule),

		tok("GET", "/api/v1/teams", "List teams by name with their members", nil, Items[*vigil.Team]{}, http.StatusOK, listOf(a, (vigil.Store).ListTeams)),
		tok("POST", "/api/v1/teams", "Create a team", TeamInput{}, &vigil.Team{}, http.StatusCreated,
			createFrom(a, teamFrom, (vigil.Store).CreateTeam)),
		tok("GET", "/api/v1/teams/{id}", "Get a team", nil, &vigil.Team{}, http.StatusOK, getByID(a, (vigil.Store).FindTeam)),
		tok("PUT", "/api/v1/teams/{id}", "Replace a team's name, description, members and managers", TeamInput{}, &vigil.Team{},
			http.StatusOK, replaceByID(a, teamFrom, updateTeam)),
		tok("DELETE", "/api/v1/teams/{id}", "Delete a team (what it owned keeps working without an owner)", nil, nil,
			http.StatusNoContent, deleteByID(a, (vigil.Store).DeleteTeam)),

		tok("GET", "/api/v1/schedules", "List schedules by name", nil, Items[*vigil.Schedule]{}, http.StatusOK, listOf(a, (vigil.Store).ListSchedules)),
		tok("POST", "/api/v1/schedules", "Create a schedule", ScheduleInput{}, &vigil.Schedule{}, http.StatusCreated,
			createFrom(a, scheduleFrom, (vigil.Store).CreateSchedule)),
		tok("GET", schedule, "Get a schedule", nil, &vigil.Schedule{}, http.StatusOK, getByID(a, (vigil.Store).FindSchedule)),
		tok("PUT", schedule, "Replace a schedule", ScheduleInput{}, &vigil.Schedule{}, http.StatusOK,
			replaceByID(a, scheduleFrom, (vigil.Store).UpdateSchedule)),
		tok("DELETE", schedule, "Delete a schedule and its overrides (refused while an escalation policy pages it)", nil, nil,
			http.StatusNoContent, deleteByID(a, (vigil.Store).DeleteSchedule)),
		tok("GET", schedule+"/on-call", "Who is on call on a schedule, their shift and the next one", nil, ScheduleOnCall{},
			http.StatusOK, a.scheduleOnCall, at),
		tok("GET", schedule+"/shifts", "A schedule's shifts in a window (default the next 14 days, at most 366 days)", nil,
			ShiftList{}, http.StatusOK, a.listShifts, window...),
		tok("GET", schedule+"/overrides", "A schedule's overrides overlapping a window (default the next 366 days)", nil,
			Items[OverrideView]{}, http.StatusOK, a.listOverrides, window...),
		tok("POST", schedule+"/overrides", "Put a user on call on a schedule for a time", OverrideCreate{}, &vigil.Override{},
			http.StatusCreated, a.createOverride),
		tok("DELETE", schedule+"/overrides/{override_id}", "Delete an override", nil, nil, http.StatusNoContent, a.deleteOverride),

		tok("GET", "/api/v1/on-call", "Who is on call now on every schedule, and whom each escalation policy's first step pages",
			nil, OnCallNow{}, http.StatusOK, a.onCallNow, at),

		tok("GET", "/api/v1/escalation-policies", "List escalation policies by name", nil, Items[*vigil.EscalationPolicy]{},
			http.StatusOK, listOf(a, (vigil.Store).ListEscalationPolicies)),
		tok("POST", "/api/v1/escalation-policies", "Create an escalation policy", EscalationPolicyInput{}, &vigil.EscalationPolicy{},
			http.StatusCreated, createFrom(a, policyFrom, (vigil.Store).CreateEscalationPolicy)),
		tok("GET", policy, "Get an escalation policy", nil, &vigil.EscalationPolicy{}, http.StatusOK, getByID(a, (vigil.Store).FindEscalationPolicy)),
		tok("PUT", policy, "Replace an escalation policy (running escalations continue at the same step index)",
			EscalationPolicyInput{}, &vigil.EscalationPolicy{}, http.StatusOK,
			replaceByID(a, policyFrom, (vigil.Store).UpdateEscalationPolicy)),
		tok("DELETE", policy, "Delete an escalation policy (refused while a service uses it)", nil, nil,
			http.StatusNoContent, deleteByID(a, (vigil.Store).DeleteEscalationPolicy)),

		tok("GET", "/api/v1/incidents/{id}/notifications", "An incident's message log, newest first (addresses masked)", nil,
			Items[NotificationView]{}, http.StatusOK, a.incidentNotifications,
			Param{Name: "limit", Type: "integer", Description: "notifications to return (default 200, at most 1000)"}),
		tok("GET", "/api/v1/notifications/{id}/attempts", "A notification's send attempts, oldest first", nil,
			Items[*vigil.NotificationAttempt]{}, http.StatusOK, a.notificationAttempts),

		tok("POST", "/api/v1/page", "Page a user or every member of a team on all their enabled contact methods",
			PageRequest{}, Items[NotificationView]{}, http.StatusAccepted, a.manualPage),
	}
}

// itemsOf is an unpaged answer that encodes an empty list as [].
func itemsOf[T any](s []T) Items[T] {
	if s == nil {
		s = []T{}
	}
	return Items[T]{Items: s}
}

// pathIDs reads several positive integer path values.
func pathIDs(r *http.Request, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, n := range names {
		id, err := pathID(r, n)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// Users.

func userFrom(in UserInput, id int64) (*vigil.User, error) {
	return &vigil.User{ID: id, Name: in.Name, Email: in.Email, TimeZone: in.TimeZone}, nil
}

// Contact methods.

func contactView(m *vigil.ContactMethod) ContactMethodView {
	return ContactMethodView{ID: m.ID, UserID: m.UserID, Name: m.Name, Type: m.Type,
		Address: vigil.MaskAddress(m.Type, m.Address), Disabled: m.Disabled, CreatedAt: m.CreatedAt}
}

func notificationView(n *vigil.Notification) NotificationView {
	return NotificationView{Notification: *n, DestAddress: vigil.MaskAddress(n.DestType, n.DestAddress)}
}

// findContactMethod returns the user's contact method; CodeNotFound when
// it belongs to someone else.
func (a *API) findContactMethod(ctx context.Context, userID, id int64) (*vigil.ContactMethod, error) {
	m, err := a.store.FindContactMethod(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.UserID != userID {
		return nil, vigil.Errorf(vigil.CodeNotFound, "user %d has no contact method %d", userID, id)
	}
	return m, nil
}

func (a *API) listContactMethods(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	reveal := q.boolean("reveal")
	if q.err != nil {
		return q.err
	}
	if _, err := a.store.FindUser(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.ListContactMethods(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]ContactMethodView, 0, len(list))
	for _, m := range list {
		v := contactView(m)
		if reveal {
			v.Address = m.Address
		}
		out = append(out, v)
	}
	WriteJSON(w, http.StatusOK, itemsOf(out))
	return nil
}

func (a *API) createContactMethod(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in ContactMethodCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	m := &vigil.ContactMethod{UserID: id, Name: in.Name, Type: in.Type, Address: in.Address, Disabled: in.Disabled}
	if err := a.store.CreateContactMethod(r.Context(), m); err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, contactView(m))
	return nil
}

func (a *API) updateContactMethod(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "method_id")
	if err != nil {
		return err
	}
	var in ContactMethodUpdate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	m, err := a.findContactMethod(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	if in.Name != nil {
		m.Name = *in.Name
	}
	// The masked form sent back (a client that read, edited and wrote the
	// method) keeps the secret rather than storing the mask, which for a
	// URL would even validate.
	if in.Address != nil && *in.Address != vigil.MaskAddress(m.Type, m.Address) {
		m.Address = *in.Address
	}
	if in.Disabled != nil {
		m.Disabled = *in.Disabled
	}
	if err := a.store.UpdateContactMethod(r.Context(), m); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, contactView(m))
	return nil
}

func (a *API) deleteContactMethod(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "method_id")
	if err != nil {
		return err
	}
	if err := a.store.DeleteContactMethod(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// testContactMethod queues a test message; the engine sends it like any
// other, so its log entry shows whether the address works. A disabled
// method may be tested (to check it before enabling it).
func (a *API) testContactMethod(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "method_id")
	if err != nil {
		return err
	}
	m, err := a.findContactMethod(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	u, err := a.store.FindUser(r.Context(), m.UserID)
	if err != nil {
		return err
	}
	n := &vigil.Notification{Kind: vigil.MessageTest, Title: testTitle, UserID: m.UserID, ContactMethodID: m.ID,
		DestType: m.Type, DestAddress: m.Address, Priority: 0}
	if err := a.store.CreateNotifications(r.Context(), n); err != nil {
		return err
	}
	n.UserName = u.Name
	WriteJSON(w, http.StatusAccepted, notificationView(n))
	return nil
}

// Notification rules.

func (a *API) listNotificationRules(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.store.FindUser(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.ListNotificationRules(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, itemsOf(list))
	return nil
}

func (a *API) createNotificationRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in NotificationRuleCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	if _, err := a.store.FindUser(r.Context(), id); err != nil {
		return err
	}
	rule := &vigil.NotificationRule{UserID: id, ContactMethodID: in.ContactMethodID, Delay: in.Delay}
	if err := a.store.CreateNotificationRule(r.Context(), rule); err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, rule)
	return nil
}

func (a *API) deleteNotificationRule(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "rule_id")
	if err != nil {
		return err
	}
	if err := a.store.DeleteNotificationRule(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Teams.

func teamFrom(in TeamInput, id int64) (*vigil.Team, error) {
	members := in.Members
	if members == nil {
		members = []int64{}
	}
	return &vigil.Team{ID: id, Name: in.Name, Description: in.Description, Members: members, Managers: in.Managers,
		Responders: in.Responders}, nil
}

// updateTeam keeps the managers and responders who stay members when a
// PUT leaves those lists out, so tools that know nothing of team roles do
// not drop them.
func updateTeam(st vigil.Store, ctx context.Context, t *vigil.Team) error {
	if t.Managers == nil || t.Responders == nil {
		old, err := st.FindTeam(ctx, t.ID)
		if err != nil {
			return err
		}
		keep := func(list *[]int64, was []int64) {
			if *list != nil {
				return
			}
			*list = []int64{}
			for _, m := range was {
				if slices.Contains(t.Members, m) {
					*list = append(*list, m)
				}
			}
		}
		keep(&t.Managers, old.Managers)
		keep(&t.Responders, old.Responders)
	}
	return st.UpdateTeam(ctx, t)
}

// Schedules.

func scheduleFrom(in ScheduleInput, id int64) (*vigil.Schedule, error) {
	return &vigil.Schedule{ID: id, Name: strings.TrimSpace(in.Name), Description: in.Description, TimeZone: in.TimeZone,
		TeamID: in.TeamID, Layers: in.Layers}, nil
}

func shiftView(sh vigil.Shift, names vigil.UserNames) ShiftView {
	return ShiftView{UserID: sh.UserID, UserName: names[sh.UserID], Start: sh.Start, End: sh.End, Override: sh.Override}
}

// currentShift returns the shift holding at, widening the window while
// the shift reaches its edge (up to half of oncall.MaxWindow either way),
// so a week-long turn costs a small computation and a year-long one a few.
// openStart and openEnd say the shift reaches beyond the widest window (a
// rotation of one person has no end).
func currentShift(s vigil.Schedule, ovs []vigil.Override, at time.Time) (sh vigil.Shift, ok, openStart, openEnd bool, err error) {
	const maxSpan = oncall.MaxWindow / 2
	for span := 24 * time.Hour; ; span = min(span*8, maxSpan) {
		from, to := at.Add(-span), at.Add(span)
		shifts, err := oncall.ShiftsBetween(s, ovs, from, to)
		if err != nil {
			return vigil.Shift{}, false, false, false, err
		}
		var cur *vigil.Shift
		for i := range shifts {
			if !at.Before(shifts[i].Start) && at.Before(shifts[i].End) {
				cur = &shifts[i]
				break
			}
		}
		if cur == nil {
			return vigil.Shift{}, false, false, false, nil
		}
		openStart, openEnd = cur.Start.Equal(from), cur.End.Equal(to)
		if span == maxSpan || (!openStart && !openEnd) {
			return *cur, true, openStart, openEnd, nil
		}
	}
}

// onCallAt says who is on call on s at at, their shift and the next one.
func (a *API) onCallAt(ctx context.Context, s *vigil.Schedule, at time.Time, names vigil.UserNames) (ScheduleOnCall, error) {
	out := ScheduleOnCall{ScheduleID: s.ID, ScheduleName: s.Name, TimeZone: s.TimeZone, At: at}
	// Next may follow a shift up to MaxWindow past at.
	ovs, err := vigil.LoadOverrides(ctx, a.store, s.ID, at.Add(-oncall.MaxWindow), at.Add(2*oncall.MaxWindow))
	if err != nil {
		return out, err
	}
	cur, ok, openStart, openEnd, err := currentShift(*s, ovs, at)
	if err != nil {
		return out, err
	}
	if ok {
		out.User = &UserRef{ID: cur.UserID, Name: names[cur.UserID]}
		out.Override = cur.Override
		if !openStart {
			out.ShiftStart = &cur.Start
		}
		if !openEnd {
			out.ShiftEnd = &cur.End
		}
	}
	for _, h := range nextHorizons {
		if next, ok := oncall.Next(*s, ovs, at, h); ok {
			v := shiftView(next, names)
			out.Next = &v
			break
		}
	}
	return out, nil
}

// atParam reads ?at=, default now.
func (a *API) atParam(q *query) time.Time {
	if t := q.time("at"); t != nil {
		return *t
	}
	return a.clock.Now().UTC()
}

func (a *API) scheduleOnCall(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	at := a.atParam(q)
	if q.err != nil {
		return q.err
	}
	s, err := a.store.FindSchedule(r.Context(), id)
	if err != nil {
		return err
	}
	names, err := vigil.LoadUserNames(r.Context(), a.store)
	if err != nil {
		return err
	}
	out, err := a.onCallAt(r.Context(), s, at, names)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// timeWindow reads ?from= (default now) and ?to= (default from+def); to must
// be after from.
func (a *API) timeWindow(q *query, def time.Duration) (from, to time.Time) {
	from = a.clock.Now().UTC()
	if t := q.time("from"); t != nil {
		from = *t
	}
	to = from.Add(def)
	if t := q.time("to"); t != nil {
		to = *t
	}
	if q.err == nil && !to.After(from) {
		q.fail("to", "must be after from")
	}
	return from, to
}

func (a *API) listShifts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	from, to := a.timeWindow(q, defaultShiftWindow)
	if q.err == nil && to.Sub(from) > oncall.MaxWindow {
		q.fail("to", "the window may span at most 366 days; ask for a shorter one")
	}
	if q.err != nil {
		return q.err
	}
	s, err := a.store.FindSchedule(r.Context(), id)
	if err != nil {
		return err
	}
	ovs, err := vigil.LoadOverrides(r.Context(), a.store, id, from, to)
	if err != nil {
		return err
	}
	shifts, err := oncall.ShiftsBetween(*s, ovs, from, to)
	if err != nil {
		return err
	}
	names, err := vigil.LoadUserNames(r.Context(), a.store)
	if err != nil {
		return err
	}
	out := ShiftList{ScheduleID: s.ID, TimeZone: s.TimeZone, From: from, To: to, Items: make([]ShiftView, 0, len(shifts))}
	for _, sh := range shifts {
		out.Items = append(out.Items, shiftView(sh, names))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listOverrides(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	from, to := a.timeWindow(q, oncall.MaxWindow)
	if q.err != nil {
		return q.err
	}
	if _, err := a.store.FindSchedule(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.ListOverrides(r.Context(), id, from, to)
	if err != nil {
		return err
	}
	names, err := vigil.LoadUserNames(r.Context(), a.store)
	if err != nil {
		return err
	}
	out := make([]OverrideView, 0, len(list))
	for _, o := range list {
		out = append(out, OverrideView{Override: *o, UserName: names[o.UserID]})
	}
	WriteJSON(w, http.StatusOK, itemsOf(out))
	return nil
}

func (a *API) createOverride(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in OverrideCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	o := &vigil.Override{ScheduleID: id, UserID: in.UserID, Start: in.Start, End: in.End}
	if err := a.store.CreateOverride(r.Context(), o); err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, o)
	return nil
}

func (a *API) deleteOverride(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "override_id")
	if err != nil {
		return err
	}
	if err := a.store.DeleteOverride(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// onCallNow answers who is on call on every schedule, and whom each
// policy's first step would page. A schedule that cannot be evaluated
// shows its error rather than failing the whole answer.
func (a *API) onCallNow(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	at := a.atParam(q)
	if q.err != nil {
		return q.err
	}
	ctx := r.Context()
	names, err := vigil.LoadUserNames(ctx, a.store)
	if err != nil {
		return err
	}
	schedules, err := a.store.ListSchedules(ctx)
	if err != nil {
		return err
	}
	out := OnCallNow{At: at, Schedules: make([]ScheduleOnCall, 0, len(schedules)), EscalationPolicies: []PolicyOnCall{}}
	onCall := map[int64]int64{} // schedule → user on call
	for _, s := range schedules {
		sc, err := a.onCallAt(ctx, s, at, names)
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid {
				return err
			}
			sc.Error = vigil.ErrorMessage(err)
		}
		if sc.User != nil {
			onCall[s.ID] = sc.User.ID
		}
		out.Schedules = append(out.Schedules, sc)
	}
	policies, err := a.store.ListEscalationPolicies(ctx)
	if err != nil {
		return err
	}
	var teams map[int64]*vigil.Team
	for _, p := range policies {
		po := PolicyOnCall{PolicyID: p.ID, PolicyName: p.Name, FirstStep: []UserRef{}}
		seen := map[int64]bool{}
		add := func(uid int64) {
			if _, known := names[uid]; known && !seen[uid] {
				seen[uid] = true
				po.FirstStep = append(po.FirstStep, UserRef{ID: uid, Name: names[uid]})
			}
		}
		if len(p.Steps) > 0 {
			for _, t := range p.Steps[0].Targets {
				switch t.Type {
				case vigil.TargetUser:
					add(t.ID)
				case vigil.TargetSchedule:
					if uid, ok := onCall[t.ID]; ok {
						add(uid)
					}
				case vigil.TargetTeam:
					if teams == nil {
						if teams, err = a.teamsByID(ctx); err != nil {
							return err
						}
					}
					if tm := teams[t.ID]; tm != nil {
						for _, uid := range tm.Members {
							add(uid)
						}
					}
				}
			}
		}
		out.EscalationPolicies = append(out.EscalationPolicies, po)
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) teamsByID(ctx context.Context) (map[int64]*vigil.Team, error) {
	list, err := a.store.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]*vigil.Team, len(list))
	for _, t := range list {
		m[t.ID] = t
	}
	return m, nil
}

// Escalation policies.

// policyFrom builds the policy and checks its free text, which
// escalation.Validate (run by the store) bounds but does not check for
// invalid UTF-8 or NUL.
func policyFrom(in EscalationPolicyInput, id int64) (*vigil.EscalationPolicy, error) {
	steps := in.Steps
	if steps == nil {
		steps = []vigil.EscalationStep{}
	}
	p := &vigil.EscalationPolicy{ID: id, Name: strings.TrimSpace(in.Name), Description: in.Description, TeamID: in.TeamID,
		Repeat: in.Repeat, Steps: steps}
	if err := vigil.ValidateText("name", p.Name, vigil.MaxNameLen); err != nil {
		return nil, err
	}
	if err := vigil.ValidateText("description", p.Description, vigil.MaxDescriptionLen); err != nil {
		return nil, err
	}
	return p, nil
}

// Notifications.

func (a *API) incidentNotifications(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := newQuery(r)
	limit := q.nonNegative("limit")
	if q.err == nil && limit > maxNotificationLog {
		q.fail("limit", "must be at most %d", maxNotificationLog)
	}
	if q.err != nil {
		return q.err
	}
	if _, err := a.store.FindIncidentByID(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.FindNotifications(r.Context(), vigil.NotificationFilter{IncidentID: &id, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]NotificationView, 0, len(list))
	for _, n := range list {
		out = append(out, notificationView(n))
	}
	WriteJSON(w, http.StatusOK, itemsOf(out))
	return nil
}

// notificationAttempts lists a notification's attempts; 404 for an
// unknown notification.
func (a *API) notificationAttempts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.store.FindNotification(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.FindNotificationAttempts(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, itemsOf(list))
	return nil
}

// manualPage queues a manual page to every enabled contact method of a user, or
// of each member of a team. Reaching no one is an error (409), never a
// silent success.
func (a *API) manualPage(w http.ResponseWriter, r *http.Request) error {
	var in PageRequest
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	switch {
	case in.UserID < 0:
		return vigil.FieldError("user_id", "must be a positive id")
	case in.TeamID < 0:
		return vigil.FieldError("team_id", "must be a positive id")
	case in.UserID == 0 && in.TeamID == 0:
		return vigil.FieldError("user_id", "give user_id or team_id")
	case in.UserID != 0 && in.TeamID != 0:
		return vigil.FieldError("team_id", "give user_id or team_id, not both")
	}
	in.Message = strings.TrimSpace(in.Message)
	if in.Message == "" {
		return vigil.FieldError("message", "is required")
	}
	if err := vigil.ValidateText("message", in.Message, maxPageMessage); err != nil {
		return err
	}
	ctx := r.Context()
	var users []*vigil.User
	var nobody string // the 409's message
	if in.UserID != 0 {
		u, err := a.store.FindUser(ctx, in.UserID)
		if err != nil {
			return err
		}
		users = []*vigil.User{u}
		nobody = fmt.Sprintf("nobody was paged: user %q has no enabled contact method", u.Name)
	} else {
		t, err := a.store.FindTeam(ctx, in.TeamID)
		if err != nil {
			return err
		}
		if len(t.Members) == 0 {
			return vigil.Errorf(vigil.CodeConflict, "nobody was paged: team %q has no members", t.Name)
		}
		for _, uid := range t.Members {
			u, err := a.store.FindUser(ctx, uid)
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		nobody = fmt.Sprintf("nobody was paged: no member of team %q has an enabled contact method", t.Name)
	}
	type dest struct {
		user   *vigil.User
		method *vigil.ContactMethod
	}
	var dests []dest
	for _, u := range users {
		methods, err := a.store.ListContactMethods(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, m := range methods {
			if !m.Disabled {
				dests = append(dests, dest{u, m})
			}
		}
	}
	if len(dests) == 0 {
		return vigil.Errorf(vigil.CodeConflict, "%s", nobody)
	}
	body := ""
	if actor := vigil.ActorFromContext(ctx); actor.Name != "" {
		body = "Paged by " + actor.Name + "."
	}
	ns := make([]*vigil.Notification, len(dests))
	for i, d := range dests {
		ns[i] = &vigil.Notification{Kind: vigil.MessageManual, Title: in.Message, Body: body, UserID: d.user.ID, ContactMethodID: d.method.ID,
			DestType: d.method.Type, DestAddress: d.method.Address, Priority: 0, UserName: d.user.Name}
	}
	// One transaction: a team page reaches every member or, on failure,
	// nobody, so that retrying it never pages anyone twice.
	if err := a.store.CreateNotifications(ctx, ns...); err != nil {
		return err
	}
	out := make([]NotificationView, len(ns))
	for i, n := range ns {
		out[i] = notificationView(n)
	}
	WriteJSON(w, http.StatusAccepted, itemsOf(out))
	return nil
}

// getByID answers GET …/{id} with the resource find returns.
func getByID[T any](a *API, find func(vigil.Store, context.Context, int64) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		v, err := find(a.store, r.Context(), id)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, v)
		return nil
	}
}

// listOf answers GET of a collection with every item.
func listOf[T any](a *API, list func(vigil.Store, context.Context) ([]T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		items, err := list(a.store, r.Context())
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, itemsOf(items))
		return nil
	}
}

// createFrom answers POST of a collection: the body (In) becomes a new
// item through build, which save stores; 201 with the item.
func createFrom[In, T any](a *API, build func(In, int64) (T, error), save func(vigil.Store, context.Context, T) error) handlerFunc {
	return saveFrom(a, false, build, save)
}

// replaceByID answers PUT …/{id}: the body replaces the item; 200.
func replaceByID[In, T any](a *API, build func(In, int64) (T, error), save func(vigil.Store, context.Context, T) error) handlerFunc {
	return saveFrom(a, true, build, save)
}

func saveFrom[In, T any](a *API, byID bool, build func(In, int64) (T, error), save func(vigil.Store, context.Context, T) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var id int64
		status := http.StatusCreated
		if byID {
			var err error
			if id, err = pathID(r, "id"); err != nil {
				return err
			}
			status = http.StatusOK
		}
		var in In
		if err := decodeStrict(w, r, &in); err != nil {
			return err
		}
		v, err := build(in, id)
		if err != nil {
			return err
		}
		if err := save(a.store, r.Context(), v); err != nil {
			return err
		}
		WriteJSON(w, status, v)
		return nil
	}
}

// deleteByID answers DELETE …/{id} with 204 once del succeeds.
func deleteByID(a *API, del func(vigil.Store, context.Context, int64) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := del(a.store, r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
