package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// keyMappingView is one active key's mapping panel on the service page:
// its rules as editable YAML and the payload test form.
type keyMappingView struct {
	Key       *vigil.IntegrationKey
	RulesYAML string
	// RulesError is a refused save, shown next to the textarea, which
	// then holds what was submitted.
	RulesError string
	RulesOpen  bool
	Test       payloadTest
}

// payloadTest is the "test a payload" form and, once posted, its result.
type payloadTest struct {
	Formats []option
	Payload string
	Open    bool
	// Result is set after a test; Error when the test itself failed.
	Result *mapping.Preview
	Error  string
}

func newPayloadTest(format, payload string) payloadTest {
	if format == "" {
		format = mapping.FormatNative
	}
	t := payloadTest{Payload: payload}
	for _, f := range mapping.Formats {
		t.Formats = append(t.Formats, option{Value: f, Label: f, Selected: f == format})
	}
	return t
}

// keyMappingViews builds the panels of a service's active keys.
func keyMappingViews(keys []*vigil.IntegrationKey) []keyMappingView {
	var out []keyMappingView
	for _, k := range keys {
		if k.RevokedAt != nil {
			continue
		}
		v := keyMappingView{Key: k, Test: newPayloadTest("", "")}
		if doc, err := mapping.FormatRules(k.Rules); err == nil {
			v.RulesYAML = string(doc)
		}
		out = append(out, v)
	}
	return out
}

// mappingView returns the panel of key keyID in m, or nil.
func (m *serviceShowPage) mappingView(keyID int64) *keyMappingView {
	for i := range m.Mappings {
		if m.Mappings[i].Key.ID == keyID {
			return &m.Mappings[i]
		}
	}
	return nil
}

// serviceKey returns the live key keyID of service id: CodeNotFound for
// another service's key or a revoked one.
func (u *UI) serviceKey(ctx context.Context, id, keyID int64) (*vigil.IntegrationKey, error) {
	k, err := u.store.FindIntegrationKeyByID(ctx, keyID)
	if err == nil && (k.ServiceID != id || k.RevokedAt != nil) {
		err = vigil.Errorf(vigil.CodeNotFound, "integration key %d not found", keyID)
	}
	return k, err
}

// integrationKeyRules answers POST /services/{id}/integration-keys/{key}/rules:
// it checks the YAML rules like the API does and saves them, or shows the
// page again with the error next to the rules.
func (u *UI) integrationKeyRules(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	keyID, ok2 := pathID(r, "key")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	if _, err := u.serviceKey(ctx, id, keyID); err != nil {
		u.fail(w, r, err)
		return
	}
	doc := r.PostFormValue("rules")
	rules, err := mapping.ParseRules([]byte(doc))
	if err == nil {
		err = mapping.Check(rules, func(name string) (bool, error) {
			sid, err := u.lookupService(ctx, name)
			return sid != 0, err
		})
	}
	if err == nil {
		_, err = u.store.SetMappingRules(ctx, keyID, rules)
	}
	if code := vigil.ErrorCode(err); code != "" && code != vigil.CodeInvalid {
		u.fail(w, r, err)
		return
	}
	if err == nil {
		msg := fmt.Sprintf("Saved %d mapping rules.", len(rules))
		switch len(rules) {
		case 0:
			msg = "Mapping rules removed."
		case 1:
			msg = "Saved 1 mapping rule."
		}
		u.redirectFlash(w, r, fmt.Sprintf("/services/%d#key-%d", id, keyID), "ok", msg)
		return
	}
	m, merr := u.serviceShowModel(w, r, id)
	if merr != nil {
		u.fail(w, r, merr)
		return
	}
	if v := m.mappingView(keyID); v != nil {
		v.RulesYAML, v.RulesOpen = doc, true
		v.RulesError = vigil.ErrorMessage(err)
		if f := vigil.ErrorField(err); f != "" && f != "rules" {
			v.RulesError = f + ": " + v.RulesError
		}
	}
	u.render(w, r, http.StatusUnprocessableEntity, "service_show.html", m)
}

// lookupService returns the ID of the service named name, or 0.
func (u *UI) lookupService(ctx context.Context, name string) (int64, error) {
	list, _, err := u.store.FindServices(ctx, vigil.ServiceFilter{Name: &name, Limit: 1})
	if err != nil || len(list) == 0 {
		return 0, err
	}
	return list[0].ID, nil
}
