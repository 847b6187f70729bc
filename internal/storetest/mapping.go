package storetest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Mapping rules are kept per key, come back with the key from every
// lookup (authentication included, at once on this process), and bump the
// key's revision on every change.
func testMappingRules(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	k, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "prometheus")
	must(t, err)
	other, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "grafana")
	must(t, err)

	got, err := e.st.FindIntegrationKeyByID(e.ctx, k.ID)
	must(t, err)
	if got.ID != k.ID || got.ServiceID != s.ID || got.Name != "prometheus" || got.Secret != "" || len(got.Rules) != 0 {
		t.Fatalf("FindIntegrationKeyByID = %+v", got)
	}
	_, err = e.st.FindIntegrationKeyByID(e.ctx, 999999)
	wantCode(t, err, vigil.CodeNotFound)

	// Authenticate first, so the key sits in the authentication cache.
	if a, err := e.st.AuthenticateIntegrationKey(e.ctx, k.Secret); err != nil || len(a.Rules) != 0 {
		t.Fatalf("AuthenticateIntegrationKey = %+v, %v", a, err)
	}
	rules := []vigil.MappingRule{
		{Name: "database team", When: `labels.team == "db"`, Stop: true,
			Set: vigil.MappingSet{Service: "database", Severity: "critical", Labels: map[string]string{"routed": `"yes"`, "tag:ünï": `"ok"`}}},
		{Name: "prefix", Set: vigil.MappingSet{Summary: `"[" + format + "] " + summary`}},
	}
	set, err := e.st.SetMappingRules(e.ctx, k.ID, rules)
	must(t, err)
	if d := cmp.Diff(rules, set.Rules); d != "" || set.RulesRevision <= got.RulesRevision {
		t.Fatalf("SetMappingRules: revision %d after %d; rules (-want +got):\n%s", set.RulesRevision, got.RulesRevision, d)
	}
	for name, find := range map[string]func() (*vigil.IntegrationKey, error){
		"FindIntegrationKeyByID":     func() (*vigil.IntegrationKey, error) { return e.st.FindIntegrationKeyByID(e.ctx, k.ID) },
		"AuthenticateIntegrationKey": func() (*vigil.IntegrationKey, error) { return e.st.AuthenticateIntegrationKey(e.ctx, k.Secret) },
		"FindIntegrationKeys": func() (*vigil.IntegrationKey, error) {
			keys, err := e.st.FindIntegrationKeys(e.ctx, s.ID)
			if err != nil || len(keys) != 2 {
				t.Fatalf("FindIntegrationKeys = %v, %v", keys, err)
			}
			if len(keys[1].Rules) != 0 {
				t.Errorf("the other key got rules: %+v", keys[1].Rules)
			}
			return keys[0], nil
		},
	} {
		k2, err := find()
		must(t, err)
		if d := cmp.Diff(rules, k2.Rules); d != "" || k2.RulesRevision != set.RulesRevision {
			t.Errorf("%s: revision %d, want %d; rules (-want +got):\n%s", name, k2.RulesRevision, set.RulesRevision, d)
		}
	}

	// Bad shapes are refused with the field named; nothing changes.
	for _, bad := range []struct {
		rules []vigil.MappingRule
		field string
	}{
		{[]vigil.MappingRule{{Set: vigil.MappingSet{Severity: "info"}}}, "rules[0].name"},
		{[]vigil.MappingRule{rules[1], {Name: "x", Set: vigil.MappingSet{Labels: map[string]string{"two words": `"v"`}}}}, "rules[1].set.labels"},
		{[]vigil.MappingRule{{Name: "x", When: strings.Repeat("t", vigil.MaxRuleExprLen+1), Set: vigil.MappingSet{Severity: "info"}}}, "rules[0].when"},
		{make([]vigil.MappingRule, vigil.MaxMappingRules+1), "rules"},
	} {
		_, err := e.st.SetMappingRules(e.ctx, k.ID, bad.rules)
		wantCode(t, err, vigil.CodeInvalid, bad.field)
	}
	_, err = e.st.SetMappingRules(e.ctx, 999999, rules)
	wantCode(t, err, vigil.CodeNotFound)
	if a, err := e.st.AuthenticateIntegrationKey(e.ctx, k.Secret); err != nil || a.RulesRevision != set.RulesRevision {
		t.Fatalf("after refused changes: %+v, %v", a, err)
	}

	// An empty list removes the rules; the revision still moves on.
	cleared, err := e.st.SetMappingRules(e.ctx, k.ID, nil)
	must(t, err)
	if len(cleared.Rules) != 0 || cleared.RulesRevision <= set.RulesRevision {
		t.Fatalf("cleared = %+v", cleared)
	}
	if a, err := e.st.AuthenticateIntegrationKey(e.ctx, k.Secret); err != nil || len(a.Rules) != 0 || a.RulesRevision != cleared.RulesRevision {
		t.Fatalf("after clearing, AuthenticateIntegrationKey = %+v, %v", a, err)
	}

	// A revoked key keeps its rules and can still be looked up by ID.
	_, err = e.st.SetMappingRules(e.ctx, other.ID, rules[1:])
	must(t, err)
	must(t, e.st.RevokeIntegrationKey(e.ctx, s.ID, other.ID))
	r, err := e.st.FindIntegrationKeyByID(e.ctx, other.ID)
	must(t, err)
	if r.RevokedAt == nil || len(r.Rules) != 1 {
		t.Errorf("revoked key = %+v", r)
	}
}
