package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunStakeholders runs the conformance tests of stakeholder groups and
// status updates.
func RunStakeholders(t *testing.T, open OpenFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"StakeholderGroupCRUD", testStakeholderGroupCRUD},
		{"StakeholderGroupInvalid", testStakeholderGroupInvalid},
		{"StatusUpdateBySeverityAndByName", testStatusUpdateSelection},
		{"StatusUpdateRefusedWritesNothing", testStatusUpdateRefused},
		{"StatusUpdateDelivery", testStatusUpdateDelivery},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// group creates a stakeholder group.
func (e *env) group(name string, min vigil.Severity, channels ...vigil.StakeholderChannel) *vigil.StakeholderGroup {
	e.t.Helper()
	g := &vigil.StakeholderGroup{Name: name, MinSeverity: min, Channels: channels}
	if err := e.st.CreateStakeholderGroup(e.ctx, g); err != nil {
		e.t.Fatalf("CreateStakeholderGroup(%q): %v", name, err)
	}
	return g
}

func slackCh(addr string) vigil.StakeholderChannel {
	return vigil.StakeholderChannel{Type: vigil.ContactSlack, Address: addr}
}

func mailCh(addr string) vigil.StakeholderChannel {
	return vigil.StakeholderChannel{Type: vigil.ContactEmail, Address: addr}
}

func hookCh(addr string) vigil.StakeholderChannel {
	return vigil.StakeholderChannel{Type: vigil.ContactWebhook, Address: addr}
}

// declared opens an incident of severity sev by hand.
func (e *env) declared(title string, sev vigil.Severity) *vigil.Incident {
	e.t.Helper()
	svc := e.service("svc-"+strings.ReplaceAll(strings.ToLower(title), " ", "-"), nil)
	inc, err := e.st.DeclareIncident(e.ctx, vigil.IncidentDeclaration{ServiceID: svc.ID, Title: title, Severity: sev})
	if err != nil {
		e.t.Fatal(err)
	}
	return inc
}

// statusNotifications lists the incident's queued status messages, oldest
// first.
func (e *env) statusNotifications(incidentID int64) []*vigil.Notification {
	e.t.Helper()
	list, err := e.st.FindNotifications(e.ctx, vigil.NotificationFilter{IncidentID: &incidentID})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*vigil.Notification
	for _, n := range list {
		if n.Kind == vigil.MessageStatus {
			out = append(out, n)
		}
	}
	slices.Reverse(out)
	return out
}

func testStakeholderGroupCRUD(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	support := e.group("Customer support", vigil.SeverityCritical, slackCh(" C0SUPPORT1 "), mailCh("support@example.com"))
	if support.ID == 0 || !support.CreatedAt.Equal(t0) || !support.UpdatedAt.Equal(t0) {
		t.Fatalf("created %+v", support)
	}
	if support.Channels[0].Address != "C0SUPPORT1" || support.Channels[0].Name != "slack" || support.Channels[1].Name != "email" {
		t.Errorf("channels not cleaned or named: %+v", support.Channels)
	}
	execs := e.group("executives", "", vigil.StakeholderChannel{Type: vigil.ContactTeams, Address: "https://example.webhook.office.com/wf/secret", Name: "exec room"},
		slackCh("#exec-updates"))

	got, err := st.FindStakeholderGroup(ctx, support.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Customer support" || got.MinSeverity != vigil.SeverityCritical || len(got.Channels) != 2 ||
		got.Channels[1] != (vigil.StakeholderChannel{Type: "email", Address: "support@example.com", Name: "email"}) || !got.CreatedAt.Equal(t0) {
		t.Errorf("found %+v", got)
	}
	list, err := st.ListStakeholderGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != support.ID || list[1].ID != execs.ID {
		t.Errorf("list is not by name regardless of case: %v", groupNames(list))
	}

	// Names are unique regardless of case, on create and on update.
	dup := &vigil.StakeholderGroup{Name: "CUSTOMER SUPPORT", Channels: []vigil.StakeholderChannel{mailCh("x@example.com")}}
	fieldIs(t, "same name in upper case", st.CreateStakeholderGroup(ctx, dup), vigil.CodeConflict, "name")
	execs.Name = " Customer Support "
	fieldIs(t, "renamed onto a taken name", st.UpdateStakeholderGroup(ctx, execs), vigil.CodeConflict, "name")

	e.clock.Advance(time.Minute)
	execs.Name, execs.MinSeverity, execs.Description = "Executives", vigil.SeverityError, "C-level"
	execs.Channels = execs.Channels[:1]
	if err := st.UpdateStakeholderGroup(ctx, execs); err != nil {
		t.Fatal(err)
	}
	got, err = st.FindStakeholderGroup(ctx, execs.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Executives" || got.Description != "C-level" || got.MinSeverity != vigil.SeverityError || len(got.Channels) != 1 ||
		got.Channels[0].Name != "exec room" || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after update %+v", got)
	}
	if !execs.CreatedAt.Equal(t0) {
		t.Errorf("update did not fill created_at: %v", execs.CreatedAt)
	}
	missing := &vigil.StakeholderGroup{ID: 9999, Name: "Ghosts", Channels: []vigil.StakeholderChannel{mailCh("g@example.com")}}
	wantCode(t, st.UpdateStakeholderGroup(ctx, missing), vigil.CodeNotFound)

	must(t, st.DeleteStakeholderGroup(ctx, execs.ID))
	wantCode(t, st.DeleteStakeholderGroup(ctx, execs.ID), vigil.CodeNotFound)
	_, err = st.FindStakeholderGroup(ctx, execs.ID)
	wantCode(t, err, vigil.CodeNotFound)
	// The name is free again.
	e.group("EXECUTIVES", "", mailCh("exec@example.com"))
}

func groupNames(list []*vigil.StakeholderGroup) []string {
	out := make([]string, len(list))
	for i, g := range list {
		out[i] = g.Name
	}
	return out
}

func testStakeholderGroupInvalid(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ok := func() []vigil.StakeholderChannel { return []vigil.StakeholderChannel{mailCh("a@example.com")} }
	cases := []struct {
		name  string
		g     vigil.StakeholderGroup
		field string
	}{
		{"no name", vigil.StakeholderGroup{Name: "  ", Channels: ok()}, "name"},
		{"NUL in the name", vigil.StakeholderGroup{Name: "a\x00b", Channels: ok()}, "name"},
		{"no channels", vigil.StakeholderGroup{Name: "Support"}, "channels"},
		{"unknown severity", vigil.StakeholderGroup{Name: "Support", MinSeverity: "SEV1", Channels: ok()}, "min_severity"},
		{"sms is for people", vigil.StakeholderGroup{Name: "Support", Channels: append(ok(), vigil.StakeholderChannel{Type: "sms", Address: "+4915112345678"})}, "channels[1].type"},
		{"bad e-mail", vigil.StakeholderGroup{Name: "Support", Channels: append(ok(), mailCh("support at example"))}, "channels[1].address"},
		{"bad slack id", vigil.StakeholderGroup{Name: "Support", Channels: []vigil.StakeholderChannel{slackCh("support team")}}, "channels[0].address"},
		{"bad slack name", vigil.StakeholderGroup{Name: "Support", Channels: []vigil.StakeholderChannel{slackCh("#Support Team")}}, "channels[0].address"},
		{"webhook not a URL", vigil.StakeholderGroup{Name: "Support", Channels: append(ok(), hookCh("ftp://example.com/x"))}, "channels[1].address"},
		{"masked webhook", vigil.StakeholderGroup{Name: "Support", Channels: append(ok(), hookCh("https://hooks.example.com/…"))}, "channels[1].address"},
		{"empty address", vigil.StakeholderGroup{Name: "Support", Channels: append(ok(), mailCh(" "))}, "channels[1].address"},
		{"the same channel twice", vigil.StakeholderGroup{Name: "Support", Channels: append(ok(), mailCh(" a@example.com"))}, "channels[1].address"},
		{"long channel name", vigil.StakeholderGroup{Name: "Support", Channels: []vigil.StakeholderChannel{{Type: "email", Address: "a@example.com", Name: strings.Repeat("n", 300)}}}, "channels[0].name"},
	}
	for _, tc := range cases {
		g := tc.g
		fieldIs(t, tc.name, e.st.CreateStakeholderGroup(e.ctx, &g), vigil.CodeInvalid, tc.field)
	}
	if list, err := e.st.ListStakeholderGroups(e.ctx); err != nil || len(list) != 0 {
		t.Errorf("refused groups were stored: %v %v", groupNames(list), err)
	}
}

// Without names, a status update goes to every group whose min_severity
// the incident reaches; with names, to exactly those (any case, once
// each), whatever their min_severity.
func testStatusUpdateSelection(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	e.group("Support", vigil.SeverityCritical, slackCh("C0SUPPORT1"), mailCh("support@example.com"))
	e.group("engineering", vigil.SeverityWarning, slackCh("#eng"))
	e.group("Executives", "", mailCh("exec@example.com"), hookCh("https://hooks.example.com/exec/s3cret"))
	crit := e.declared("Checkout down", vigil.SeverityCritical)

	e.clock.Advance(time.Minute)
	u, err := st.PostStatusUpdate(ctx, crit.ID, vigil.StatusUpdateInput{Message: "  We are rolling back.  "})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Groups, []string{"engineering", "Support"}) || u.Message != "We are rolling back." || u.ID == 0 ||
		u.IncidentID != crit.ID || u.Actor != cliActor.Name || !u.At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("update %+v", u)
	}
	if len(u.Messages) != 3 {
		t.Fatalf("%d messages, want one per channel (3)", len(u.Messages))
	}
	want := [][3]string{{"engineering", "slack", "#eng"}, {"Support", "slack", "C0SUPPORT1"}, {"Support", "email", "support@example.com"}}
	for i, m := range u.Messages {
		if got := [3]string{m.Group, m.DestType, m.DestAddress}; got != want[i] || m.Channel != m.DestType || m.ID == 0 {
			t.Errorf("message %d = %v (channel %q, id %d), want %v", i, got, m.Channel, m.ID, want[i])
		}
	}
	queued := e.statusNotifications(crit.ID)
	if len(queued) != 3 {
		t.Fatalf("%d status notifications queued, want 3", len(queued))
	}
	for _, n := range queued {
		if n.UserID != 0 || n.ContactMethodID != 0 || n.Status != vigil.NotificationPending || n.Body != "We are rolling back." ||
			n.Title != "Checkout down" || n.Step != nil || !n.DueAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("queued %+v", n)
		}
	}
	tl := e.timeline(crit.ID)
	last := tl[len(tl)-1]
	if last.Kind != vigil.EntryStatusUpdate || last.ID != u.ID || last.Actor != cliActor.Name || last.Source != cliActor.Source ||
		last.Message != "Status update to engineering, Support: We are rolling back." {
		t.Errorf("timeline entry %+v", last)
	}
	if inc := e.incident(crit.ID); !inc.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("incident updated_at %v, want the update's time", inc.UpdatedAt)
	}

	// Named groups: any case, once each, in the order named; a group
	// without min_severity hears when named.
	e.clock.Advance(time.Minute)
	u, err = st.PostStatusUpdate(ctx, crit.ID, vigil.StatusUpdateInput{Message: "Fixed; watching.", Groups: []string{"EXECUTIVES", " support ", "executives"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Groups, []string{"Executives", "Support"}) || len(u.Messages) != 4 {
		t.Fatalf("named: groups %v, %d messages", u.Groups, len(u.Messages))
	}

	// A warning incident reaches engineering only; an info one nobody.
	warn := e.declared("Slow search", vigil.SeverityWarning)
	if u, err = st.PostStatusUpdate(ctx, warn.ID, vigil.StatusUpdateInput{Message: "Investigating"}); err != nil || !slices.Equal(u.Groups, []string{"engineering"}) {
		t.Errorf("warning incident told %v (%v), want engineering", u, err)
	}
	info := e.declared("Cert renews soon", vigil.SeverityInfo)
	_, err = st.PostStatusUpdate(ctx, info.ID, vigil.StatusUpdateInput{Message: "FYI"})
	wantCode(t, err, vigil.CodeConflict)
	if !strings.HasPrefix(vigil.ErrorMessage(err), "no stakeholder group") {
		t.Errorf("409 message %q", vigil.ErrorMessage(err))
	}

	// Newest first, with what each message went to.
	ups, err := st.FindStatusUpdates(ctx, crit.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].Message != "Fixed; watching." || ups[1].Message != "We are rolling back." ||
		!slices.Equal(ups[1].Groups, []string{"engineering", "Support"}) || len(ups[1].Messages) != 3 ||
		ups[1].Messages[2].Group != "Support" || ups[1].Messages[2].DestAddress != "support@example.com" || ups[1].Actor != cliActor.Name ||
		!ups[0].At.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("status updates %+v", ups)
	}
	if ups, err := st.FindStatusUpdates(ctx, info.ID); err != nil || len(ups) != 0 {
		t.Errorf("incident without updates: %v %v", ups, err)
	}
	_, err = st.FindStatusUpdates(ctx, 9999)
	wantCode(t, err, vigil.CodeNotFound)
}

// A refused status update leaves no notification and no timeline entry.
func testStatusUpdateRefused(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	inc := e.declared("Checkout down", vigil.SeverityCritical)
	_, err := st.PostStatusUpdate(ctx, inc.ID, vigil.StatusUpdateInput{Message: "hello"})
	wantCode(t, err, vigil.CodeConflict) // no group exists at all
	e.group("Support", vigil.SeverityCritical, slackCh("C0SUPPORT1"))
	before := len(e.timeline(inc.ID))

	cases := []struct {
		name  string
		in    vigil.StatusUpdateInput
		code  string
		field string
	}{
		{"unknown group", vigil.StatusUpdateInput{Message: "x", Groups: []string{"support", "Legal"}}, vigil.CodeInvalid, "groups[1]"},
		{"blank group", vigil.StatusUpdateInput{Message: "x", Groups: []string{" "}}, vigil.CodeInvalid, "groups[0]"},
		{"no message", vigil.StatusUpdateInput{Message: " \n "}, vigil.CodeInvalid, "message"},
		{"long message", vigil.StatusUpdateInput{Message: strings.Repeat("x", vigil.MaxStatusUpdateLen+1)}, vigil.CodeInvalid, "message"},
		{"bad UTF-8", vigil.StatusUpdateInput{Message: "a\xffb"}, vigil.CodeInvalid, "message"},
	}
	for _, tc := range cases {
		_, err := st.PostStatusUpdate(ctx, inc.ID, tc.in)
		fieldIs(t, tc.name, err, tc.code, tc.field)
	}
	_, err = st.PostStatusUpdate(ctx, 9999, vigil.StatusUpdateInput{Message: "x"})
	wantCode(t, err, vigil.CodeNotFound)
	if n := e.statusNotifications(inc.ID); len(n) != 0 {
		t.Errorf("%d notifications queued by refused updates", len(n))
	}
	if after := len(e.timeline(inc.ID)); after != before {
		t.Errorf("refused updates wrote %d timeline entries", after-before)
	}
}

// The engine's side: a status message has no user and no contact method,
// is claimed after pages, carries the incident's details, and its outcome
// shows in the update's messages.
func testStatusUpdateDelivery(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	e.group("Support", vigil.SeverityInfo, mailCh("support@example.com"))
	inc := e.declared("Checkout down", vigil.SeverityCritical)
	u, err := st.PostStatusUpdate(ctx, inc.ID, vigil.StatusUpdateInput{Message: "Rolling back"})
	if err != nil {
		t.Fatal(err)
	}
	page := &vigil.Notification{IncidentID: inc.ID, Kind: vigil.MessageManual, Title: "help", DestType: vigil.ContactWebhook, DestAddress: "https://a.example/hook"}
	must(t, st.CreateNotifications(ctx, page))

	first, err := st.ClaimNotifications(ctx, "r1", 1, time.Minute)
	if err != nil || len(first) != 1 || first[0].ID != page.ID {
		t.Fatalf("first claim %v (%v), want the page queued after the status update", first, err)
	}
	claimed, err := st.ClaimNotifications(ctx, "r1", 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("second claim %v (%v)", claimed, err)
	}
	c := claimed[0]
	if c.ID != u.Messages[0].ID || c.Kind != vigil.MessageStatus || c.UserID != 0 || c.DestType != "email" || c.DestAddress != "support@example.com" ||
		c.IncidentTitle != "Checkout down" || c.IncidentSeverity != vigil.SeverityCritical || c.IncidentStatus != vigil.IncidentTriggered ||
		c.ServiceName == "" || c.Body != "Rolling back" {
		t.Errorf("claimed %+v", c)
	}
	must(t, st.CompleteNotification(ctx, c.ID, "r1", vigil.Outcome{Sent: true, ProviderID: "msg-1"}))
	ups, err := st.FindStatusUpdates(ctx, inc.ID)
	if err != nil || len(ups) != 1 || len(ups[0].Messages) != 1 {
		t.Fatalf("updates %v (%v)", ups, err)
	}
	if m := ups[0].Messages[0]; m.Status != vigil.NotificationSent || m.SentAt == nil || m.Attempts != 1 || m.Group != "Support" {
		t.Errorf("after delivery %+v", m)
	}
	// The delivery is on the timeline like any message's.
	tl := e.timeline(inc.ID)
	if last := tl[len(tl)-1]; last.Kind != vigil.EntryNotification || !strings.Contains(last.Message, "support@example.com") {
		t.Errorf("last entry %+v", last)
	}
}
