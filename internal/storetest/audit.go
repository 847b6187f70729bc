package storetest

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// auditLog follows the audit log through a test: each step says which one
// entry the change before it must have written.
type auditLog struct {
	e    *env
	seen int64 // the newest entry id checked
}

// one fails unless exactly one entry was written since the last check,
// by the operator, with this action and object, and returns it.
func (l *auditLog) one(action, objectType string, objectID int64) *vigil.AuditEntry {
	l.e.t.Helper()
	got := l.since()
	if len(got) != 1 {
		var actions []string
		for _, g := range got {
			actions = append(actions, g.Action)
		}
		l.e.t.Fatalf("after %s: %d new audit entries %v, want 1", action, len(got), actions)
	}
	a := got[0]
	if a.Action != action || a.ObjectType != objectType || (objectID != 0 && a.ObjectID != objectID) {
		l.e.t.Errorf("audit entry %s %s %d, want %s %s %d", a.Action, a.ObjectType, a.ObjectID, action, objectType, objectID)
	}
	if a.Actor != cliActor {
		l.e.t.Errorf("%s: actor %+v, want %+v", action, a.Actor, cliActor)
	}
	if !a.At.Equal(l.e.clock.Now()) {
		l.e.t.Errorf("%s: at %v, want %v", action, a.At, l.e.clock.Now())
	}
	return a
}

// none fails when anything was written since the last check.
func (l *auditLog) none(what string) {
	l.e.t.Helper()
	if got := l.since(); len(got) != 0 {
		l.e.t.Errorf("%s wrote %d audit entries (first %s), want none", what, len(got), got[0].Action)
	}
}

func (l *auditLog) since() []*vigil.AuditEntry {
	l.e.t.Helper()
	list, _, err := l.e.st.FindAuditEntries(l.e.ctx, vigil.AuditFilter{Limit: vigil.MaxPageSize})
	if err != nil {
		l.e.t.Fatalf("FindAuditEntries: %v", err)
	}
	var out []*vigil.AuditEntry
	for _, a := range list {
		if a.ID > l.seen {
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		l.seen = out[0].ID // newest first
	}
	return out
}

// field reads one top-level field of a before or after document.
func field(t *testing.T, doc json.RawMessage, name string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("audit document %s: %v", doc, err)
	}
	return m[name]
}

// RunAudit checks the audit log: every change writes one entry with the
// actor, the time and the object before and after; failed changes, reads
// and ingest write none; no secret reaches it; the filters select.
func RunAudit(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	log := &auditLog{e: e}

	svc := e.service("checkout", nil)
	a := log.one("service.create", "service", svc.ID)
	if a.Before != nil || field(t, a.After, "name") != "checkout" {
		t.Errorf("service.create before %s after %s", a.Before, a.After)
	}
	e.clock.Advance(time.Minute)
	name := "checkout-api"
	if _, err := st.UpdateService(ctx, svc.ID, vigil.ServiceUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	a = log.one("service.update", "service", svc.ID)
	if field(t, a.Before, "name") != "checkout" || field(t, a.After, "name") != "checkout-api" {
		t.Errorf("service.update before %s after %s", a.Before, a.After)
	}
	// A refused change records nothing: its transaction rolled back.
	if err := st.CreateService(ctx, &vigil.Service{Name: "checkout-api"}); vigil.ErrorCode(err) != vigil.CodeConflict {
		t.Fatalf("duplicate service: %v", err)
	}
	log.none("a refused change")

	key, err := st.CreateIntegrationKey(ctx, svc.ID, "prometheus")
	must(t, err)
	a = log.one("integration_key.create", "integration_key", key.ID)
	if field(t, a.After, "prefix") != key.Prefix || field(t, a.After, "secret") != nil {
		t.Errorf("integration_key.create after %s", a.After)
	}
	_, err = st.SetMappingRules(ctx, key.ID, []vigil.MappingRule{{Name: "env", When: `labels.env == "prod"`, Set: vigil.MappingSet{Severity: `"critical"`}}})
	must(t, err)
	a = log.one("integration_key.rules_update", "integration_key", key.ID)
	if !strings.Contains(string(a.After), `"env"`) || strings.Contains(string(a.Before), `"env"`) {
		t.Errorf("rules_update before %s after %s", a.Before, a.After)
	}
	const tokenSecret = "vgt_audit_secret_0123456789abcdef"
	tok, err := st.CreateAPIToken(ctx, "deploy-bot", "", tokenSecret)
	must(t, err)
	log.one("api_token.create", "api_token", tok.ID)

	// Ingest is not audited (the timeline records it), nor is a read.
	res := e.send(trigger(svc.ID, "cpu", "CPU high", vigil.SeverityError))
	if _, err := st.FindServiceByID(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	log.none("ingest and reads")

	inc := res[0].IncidentID
	_, err = st.AcknowledgeIncident(ctx, inc)
	must(t, err)
	a = log.one("incident.acknowledge", "incident", inc)
	if field(t, a.Before, "status") != vigil.IncidentTriggered || field(t, a.After, "status") != vigil.IncidentAcknowledged {
		t.Errorf("acknowledge before %s after %s", a.Before, a.After)
	}
	_, err = st.AcknowledgeIncident(ctx, inc)
	must(t, err)
	log.none("acknowledging again (no change)")
	sev := vigil.SeverityCritical
	_, err = st.UpdateIncident(ctx, inc, vigil.IncidentUpdate{Severity: &sev})
	must(t, err)
	a = log.one("incident.update", "incident", inc)
	if field(t, a.Before, "severity") != "error" || field(t, a.After, "severity") != "critical" {
		t.Errorf("incident.update before %s after %s", a.Before, a.After)
	}
	_, err = st.ResolveIncident(ctx, inc)
	must(t, err)
	log.one("incident.resolve", "incident", inc)
	_, err = st.ReopenIncident(ctx, inc)
	must(t, err)
	log.one("incident.reopen", "incident", inc)
	declared, err := st.DeclareIncident(ctx, vigil.IncidentDeclaration{ServiceID: svc.ID, Title: "Checkout down", Severity: vigil.SeverityCritical})
	must(t, err)
	log.one("incident.declare", "incident", declared.ID)
	_, err = st.SetIncidentFeedback(ctx, declared.ID, vigil.VerdictNoise)
	must(t, err)
	if a := log.one("incident.feedback", "incident", declared.ID); field(t, a.After, "verdict") != vigil.VerdictNoise {
		t.Errorf("incident.feedback after = %s", a.After)
	}

	ana := &vigil.User{Name: "Ana", Email: "ana@example.com"}
	must(t, st.CreateUser(ctx, ana))
	log.one("user.create", "user", ana.ID)
	ana.Name = "Ana Lima"
	must(t, st.UpdateUser(ctx, ana))
	a = log.one("user.update", "user", ana.ID)
	if field(t, a.Before, "name") != "Ana" || field(t, a.After, "name") != "Ana Lima" {
		t.Errorf("user.update before %s after %s", a.Before, a.After)
	}
	// Account changes say what changed, never the hash or the TOTP secret.
	const passwordHash, totpSecret = "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "JBSWY3DPEHPK3PXP"
	must(t, st.SetUserRole(ctx, ana.ID, vigil.RoleManager))
	if a := log.one("user.role", "user", ana.ID); field(t, a.Before, "role") != vigil.RoleResponder || field(t, a.After, "role") != vigil.RoleManager {
		t.Errorf("user.role before %s after %s", a.Before, a.After)
	}
	must(t, st.SetUserRole(ctx, ana.ID, vigil.RoleManager))
	log.none("setting the same role again")
	must(t, st.SetPassword(ctx, ana.ID, passwordHash, 0))
	log.one("user.password", "user", ana.ID)
	must(t, st.SetTOTP(ctx, ana.ID, totpSecret, 1))
	if a := log.one("user.totp", "user", ana.ID); field(t, a.After, "totp") != true {
		t.Errorf("user.totp after %s", a.After)
	}
	_, err = st.CreatePasswordReset(ctx, ana.ID, time.Hour)
	must(t, err)
	log.one("user.password-reset-link", "user", ana.ID)
	_, err = st.DeleteUserSessions(ctx, ana.ID)
	must(t, err)
	log.one("user.sign-out", "user", ana.ID)
	const hookSecret = "s3cr3t-path-token"
	hook := &vigil.ContactMethod{UserID: ana.ID, Name: "hook", Type: vigil.ContactWebhook, Address: "https://hooks.example.com/" + hookSecret}
	must(t, st.CreateContactMethod(ctx, hook))
	log.one("contact_method.create", "contact_method", hook.ID)
	hook.Disabled = true
	must(t, st.UpdateContactMethod(ctx, hook))
	a = log.one("contact_method.update", "contact_method", hook.ID)
	if field(t, a.Before, "disabled") != false || field(t, a.After, "disabled") != true {
		t.Errorf("contact_method.update before %s after %s", a.Before, a.After)
	}
	rule := &vigil.NotificationRule{UserID: ana.ID, ContactMethodID: hook.ID}
	must(t, st.CreateNotificationRule(ctx, rule))
	log.one("notification_rule.create", "notification_rule", rule.ID)
	must(t, st.DeleteNotificationRule(ctx, ana.ID, rule.ID))
	a = log.one("notification_rule.delete", "notification_rule", rule.ID)
	if a.After != nil || a.Before == nil {
		t.Errorf("delete before %s after %s", a.Before, a.After)
	}

	team := &vigil.Team{Name: "payments", Members: []int64{ana.ID}}
	must(t, st.CreateTeam(ctx, team))
	log.one("team.create", "team", team.ID)
	team.Members = nil
	must(t, st.UpdateTeam(ctx, team))
	a = log.one("team.update", "team", team.ID)
	if !strings.Contains(string(a.Before), `"members":[`+itoa(ana.ID)+`]`) {
		t.Errorf("team.update before %s", a.Before)
	}
	pol := &vigil.EscalationPolicy{Name: "p", Steps: []vigil.EscalationStep{{Targets: []vigil.Target{{Type: vigil.TargetUser, ID: ana.ID}}}}}
	must(t, st.CreateEscalationPolicy(ctx, pol))
	log.one("escalation_policy.create", "escalation_policy", pol.ID)
	pol.Description = "pages Ana"
	must(t, st.UpdateEscalationPolicy(ctx, pol))
	log.one("escalation_policy.update", "escalation_policy", pol.ID)
	must(t, st.DeleteEscalationPolicy(ctx, pol.ID))
	log.one("escalation_policy.delete", "escalation_policy", pol.ID)
	sched := &vigil.Schedule{Name: "primary", TimeZone: "UTC", Layers: []vigil.Layer{{Name: "week", Start: t0, TurnUnit: vigil.UnitWeek,
		TurnCount: 1, Members: []int64{ana.ID}}}}
	must(t, st.CreateSchedule(ctx, sched))
	log.one("schedule.create", "schedule", sched.ID)
	sched.Description = "the first line"
	must(t, st.UpdateSchedule(ctx, sched))
	log.one("schedule.update", "schedule", sched.ID)
	ov := &vigil.Override{ScheduleID: sched.ID, UserID: ana.ID, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}
	must(t, st.CreateOverride(ctx, ov))
	log.one("override.create", "override", ov.ID)
	must(t, st.DeleteOverride(ctx, sched.ID, ov.ID))
	log.one("override.delete", "override", ov.ID)
	must(t, st.DeleteSchedule(ctx, sched.ID))
	log.one("schedule.delete", "schedule", sched.ID)
	must(t, st.DeleteTeam(ctx, team.ID))
	log.one("team.delete", "team", team.ID)

	sil := e.silence(time.Hour, nil, eq("alertname", "DiskFull"))
	log.one("silence.create", "silence", sil.ID)
	_, err = st.ExpireSilence(ctx, sil.ID)
	must(t, err)
	log.one("silence.expire", "silence", sil.ID)
	win := &vigil.MaintenanceWindow{Name: "db upgrade", ServiceIDs: []int64{svc.ID}, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}
	must(t, st.CreateMaintenanceWindow(ctx, win))
	log.one("maintenance_window.create", "maintenance_window", win.ID)
	must(t, st.DeleteMaintenanceWindow(ctx, win.ID))
	log.one("maintenance_window.delete", "maintenance_window", win.ID)
	inh := &vigil.InhibitRule{Name: "down mutes slow", Source: []string{"alertname=Down"}, Target: []string{"alertname=Slow"}}
	must(t, st.CreateInhibitRule(ctx, inh))
	log.one("inhibit_rule.create", "inhibit_rule", inh.ID)
	inh.Equal = []string{"cluster"}
	must(t, st.UpdateInhibitRule(ctx, inh))
	log.one("inhibit_rule.update", "inhibit_rule", inh.ID)
	must(t, st.DeleteInhibitRule(ctx, inh.ID))
	log.one("inhibit_rule.delete", "inhibit_rule", inh.ID)
	grp := &vigil.StakeholderGroup{Name: "execs", Channels: []vigil.StakeholderChannel{hookCh("https://hooks.example.com/" + hookSecret)}}
	must(t, st.CreateStakeholderGroup(ctx, grp))
	log.one("stakeholder_group.create", "stakeholder_group", grp.ID)
	must(t, st.DeleteStakeholderGroup(ctx, grp.ID))
	log.one("stakeholder_group.delete", "stakeholder_group", grp.ID)
	hb := &vigil.Heartbeat{ServiceID: svc.ID, Name: "backup", Interval: 1, IntervalUnit: vigil.IntervalDays, Enabled: true}
	must(t, st.CreateHeartbeat(ctx, hb))
	log.one("heartbeat.create", "heartbeat", hb.ID)
	must(t, st.DeleteHeartbeat(ctx, hb.ID))
	log.one("heartbeat.delete", "heartbeat", hb.ID)
	must(t, st.RotateSigningKey(ctx, "action-links"))
	a = log.one("signing_key.rotate", "signing_key", 0)
	if field(t, a.After, "purpose") != "action-links" {
		t.Errorf("signing_key.rotate after %s", a.After)
	}
	must(t, st.RevokeIntegrationKey(ctx, svc.ID, key.ID))
	a = log.one("integration_key.revoke", "integration_key", key.ID)
	if field(t, a.Before, "revoked_at") != nil || field(t, a.After, "revoked_at") == nil {
		t.Errorf("revoke before %s after %s", a.Before, a.After)
	}
	must(t, st.RevokeIntegrationKey(ctx, svc.ID, key.ID))
	log.none("revoking again")
	must(t, st.DeleteContactMethod(ctx, ana.ID, hook.ID))
	log.one("contact_method.delete", "contact_method", hook.ID)
	must(t, st.DeleteUser(ctx, ana.ID))
	log.one("user.delete", "user", ana.ID)

	// No secret reaches the log: not the key's, not the token's, not the
	// path of a webhook URL.
	all, total, err := st.FindAuditEntries(ctx, vigil.AuditFilter{Limit: vigil.MaxPageSize})
	must(t, err)
	if total != len(all) || total < 40 {
		t.Errorf("total %d, listed %d", total, len(all))
	}
	for _, a := range all {
		doc := string(a.Before) + string(a.After)
		for _, secret := range []string{key.Secret, tokenSecret, hookSecret, vigil.HashSecret(key.Secret), vigil.HashSecret(tokenSecret), passwordHash, totpSecret} {
			if strings.Contains(doc, secret) {
				t.Errorf("entry %d (%s) holds a secret: %s", a.ID, a.Action, doc)
			}
		}
	}

	// The filters.
	count := func(f vigil.AuditFilter) int {
		t.Helper()
		list, total, err := st.FindAuditEntries(ctx, f)
		must(t, err)
		if f.Limit == 0 && total != len(list) {
			t.Errorf("%+v: total %d, listed %d", f, total, len(list))
		}
		return total
	}
	id := svc.ID
	for _, c := range []struct {
		name string
		f    vigil.AuditFilter
		want int
	}{
		{"action prefix", vigil.AuditFilter{Action: "incident."}, 6},
		{"action exact", vigil.AuditFilter{Action: "incident.resolve"}, 1},
		{"action with a wildcard taken literally", vigil.AuditFilter{Action: "incident_"}, 0},
		{"object", vigil.AuditFilter{ObjectType: "service", ObjectID: &id}, 2},
		{"actor", vigil.AuditFilter{Actor: cliActor.Name}, len(all)},
		{"other actor", vigil.AuditFilter{Actor: "nobody"}, 0},
		{"search, any case", vigil.AuditFilter{Search: "ANA LIMA"}, 2},
		{"since", vigil.AuditFilter{Since: ptr(t0.Add(time.Minute))}, len(all) - 1},
		{"until", vigil.AuditFilter{Until: ptr(t0.Add(time.Minute))}, 1},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d entries, want %d", c.name, got, c.want)
		}
	}
	page, total, err := st.FindAuditEntries(ctx, vigil.AuditFilter{Offset: 1, Limit: 2})
	must(t, err)
	if len(page) != 2 || total != len(all) || page[0].ID != all[1].ID || page[1].ID >= page[0].ID {
		t.Errorf("page: %d entries, total %d", len(page), total)
	}
	wantCode(t, firstErr(st.FindAuditEntries(ctx, vigil.AuditFilter{Since: ptr(t0), Until: ptr(t0)})), vigil.CodeInvalid, "until")
	wantCode(t, firstErr(st.FindAuditEntries(ctx, vigil.AuditFilter{Search: "a\x00b"})), vigil.CodeInvalid, "search")
}

func ptr[T any](v T) *T { return &v }

func firstErr[A, B any](_ A, _ B, err error) error { return err }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
