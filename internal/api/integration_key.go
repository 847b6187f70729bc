package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// IntegrationKeyCreate is the body of POST .../integration-keys.
type IntegrationKeyCreate struct {
	Name string `json:"name"`
}

// Items is an unpaged list answer.
type Items[T any] struct {
	Items []T `json:"items"`
}

func (a *API) createIntegrationKey(w http.ResponseWriter, r *http.Request) error {
	sid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in IntegrationKeyCreate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return vigil.FieldError("name", "is required")
	}
	if len(in.Name) > vigil.MaxNameLen {
		return vigil.FieldError("name", "must be at most %d bytes", vigil.MaxNameLen)
	}
	k, err := a.store.CreateIntegrationKey(r.Context(), sid, in.Name)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, k)
	return nil
}

func (a *API) listIntegrationKeys(w http.ResponseWriter, r *http.Request) error {
	sid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// A service without keys and a missing service both list nothing;
	// only the second is a 404.
	if _, err := a.store.FindServiceByID(r.Context(), sid); err != nil {
		return err
	}
	keys, err := a.store.FindIntegrationKeys(r.Context(), sid)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []*vigil.IntegrationKey{}
	}
	for _, k := range keys {
		k.Secret = "" // shown once, at creation; never again
	}
	WriteJSON(w, http.StatusOK, Items[*vigil.IntegrationKey]{Items: keys})
	return nil
}

func (a *API) revokeIntegrationKey(w http.ResponseWriter, r *http.Request) error {
	sid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	kid, err := pathID(r, "key_id")
	if err != nil {
		return err
	}
	if err := a.store.RevokeIntegrationKey(r.Context(), sid, kid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// MappingRules are an integration key's mapping rules.
type MappingRules struct {
	IntegrationKeyID int64               `json:"integration_key_id"`
	Rules            []vigil.MappingRule `json:"rules"`
}

// MappingRulesUpdate is the body of PUT /api/v1/integration-keys/{id}/rules.
type MappingRulesUpdate struct {
	// Rules replace the key's rules; an empty list removes them.
	Rules []vigil.MappingRule `json:"rules"`
}

func (a *API) getMappingRules(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	k, err := a.store.FindIntegrationKeyByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeRules(w, k)
	return nil
}

// setMappingRules checks the rules (shape, expressions, that the services
// they name exist) before storing them, so ingest only meets rules that
// compiled.
func (a *API) setMappingRules(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in MappingRulesUpdate
	if err := decodeStrict(w, r, &in); err != nil {
		return err
	}
	if in.Rules == nil {
		return vigil.FieldError("rules", "is required (an empty list removes the rules)")
	}
	ctx := r.Context()
	if _, err := a.store.FindIntegrationKeyByID(ctx, id); err != nil {
		return err
	}
	err = mapping.Check(in.Rules, func(name string) (bool, error) {
		sid, err := a.lookupService(ctx, name)
		return sid != 0, err
	})
	if err != nil {
		return err
	}
	k, err := a.store.SetMappingRules(ctx, id, in.Rules)
	if err != nil {
		return err
	}
	writeRules(w, k)
	return nil
}

func writeRules(w http.ResponseWriter, k *vigil.IntegrationKey) {
	out := MappingRules{IntegrationKeyID: k.ID, Rules: k.Rules}
	if out.Rules == nil {
		out.Rules = []vigil.MappingRule{}
	}
	WriteJSON(w, http.StatusOK, out)
}

type integrationKeyCtx struct{}

// IntegrationKeyFrom returns the integration key IntegrationAuth put in
// ctx, or nil.
func IntegrationKeyFrom(ctx context.Context) *vigil.IntegrationKey {
	k, _ := ctx.Value(integrationKeyCtx{}).(*vigil.IntegrationKey)
	return k
}

// IntegrationAuth authenticates a sender by the integration key in
// "Authorization: Bearer <key>" and puts the key and its actor in the
// context. Unknown or revoked keys get 401 and count as unauthorized
// events of the route's wire format.
func (a *API) IntegrationAuth(format string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := integrationSecret(r)
		if secret == "" {
			a.metrics.CountIngest(format, IngestUnauthorized, 1)
			a.writeError(w, r, vigil.Errorf(vigil.CodeUnauthorized, "an integration key is required (Authorization: Bearer <key>)"))
			return
		}
		key, err := a.store.AuthenticateIntegrationKey(r.Context(), secret)
		if err != nil {
			a.metrics.CountIngest(format, ingestResult(err), 1)
			a.writeError(w, r, err)
			return
		}
		if err := a.limiter.admit(key.ID, a.clock.Now()); err != nil {
			a.metrics.CountIngest(format, IngestRateLimited, 1)
			a.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), integrationKeyCtx{}, key)
		ctx = vigil.WithActor(ctx, vigil.Actor{Kind: vigil.ActorIntegration, ID: key.ID, Name: key.Name, Source: vigil.SourceIntegration})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// integrationSecret is the integration key as senders send it: a bearer
// token, or the password of basic auth (Alertmanager's and Prometheus'
// http_config can send either).
func integrationSecret(r *http.Request) string {
	if s := auth.BearerToken(r); s != "" {
		return s
	}
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	return ""
}

// ingestResult is the metrics result of a failed ingest request.
func ingestResult(err error) string {
	switch vigil.ErrorCode(classify(err)) {
	case vigil.CodeUnauthorized, vigil.CodeForbidden:
		return IngestUnauthorized
	case vigil.CodeUnavailable:
		return IngestUnavailable
	case vigil.CodeInternal:
		return IngestError
	}
	return IngestInvalid
}
