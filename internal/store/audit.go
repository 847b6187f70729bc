package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The audit log (migration 0018) records every change to configuration,
// credentials and incidents. Each mutating method of the store calls
// db.audit inside its own transaction, so a change and its record commit
// or roll back together. The table refuses UPDATE and DELETE by trigger.

// Object types of the audit log.
const (
	auditService           = "service"
	auditIntegrationKey    = "integration_key"
	auditAPIToken          = "api_token"
	auditEscalationPolicy  = "escalation_policy"
	auditSchedule          = "schedule"
	auditOverride          = "override"
	auditUser              = "user"
	auditContactMethod     = "contact_method"
	auditNotificationRule  = "notification_rule"
	auditTeam              = "team"
	auditSilence           = "silence"
	auditMaintenanceWindow = "maintenance_window"
	auditInhibitRule       = "inhibit_rule"
	auditStakeholderGroup  = "stakeholder_group"
	auditHeartbeat         = "heartbeat"
	auditSigningKey        = "signing_key"
	auditIncident          = "incident"
)

const sqlInsertAudit = `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, source, action, object_type, object_id,
	before_json, after_json, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// audit appends one entry for a change made in the transaction q: the actor
// and address come from ctx, now is the transaction's. before and
// after are the object as it was and as it is (nil for the side that did
// not exist); callers pass them through safe, which keeps secrets out.
func (db *DB) audit(ctx context.Context, q querier, now time.Time, action, objectType string, objectID int64, before, after any) error {
	b, err := auditJSON(before)
	if err != nil {
		return err
	}
	a, err := auditJSON(after)
	if err != nil {
		return err
	}
	actor := vigil.ActorFromContext(ctx)
	_, err = q.exec(ctx, sqlInsertAudit, micros(now), actor.Kind, actor.ID, actor.Name, actor.Source,
		action, objectType, objectID, b, a, vigil.AddressFromContext(ctx))
	return err
}

func auditJSON(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	out, err := plainJSON(safe(v))
	if err != nil || out == "null" {
		return nil, err
	}
	return out, nil
}

// plainJSON encodes v without HTML escaping, so a search for "<" finds
// it: the log is data, and every page escapes what it shows.
func plainJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// safe returns what of v may be written to the audit log: integration keys
// lose their secret, contact methods and stakeholder groups their secret
// addresses (Teams and webhook URLs are credentials), masked as answers
// mask them.
func safe(v any) any {
	switch o := v.(type) {
	case *vigil.IntegrationKey:
		if o == nil {
			return nil
		}
		c := *o
		c.Secret = ""
		return &c
	case *vigil.ContactMethod:
		if o == nil {
			return nil
		}
		c := *o
		c.Address = vigil.MaskAddress(c.Type, c.Address)
		return &c
	case *vigil.StakeholderGroup:
		if o == nil {
			return nil
		}
		return o.Masked()
	}
	return v
}

// snapshot reads an object as it stands in the transaction, for the
// before or after of an entry: nil when there is no such row.
func snapshot[T any](ctx context.Context, q querier, scan func(row) (T, error), query string, args ...any) (any, error) {
	v, err := scan(q.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// auditRow records a change whose after is read back from the database
// (query by id, scanned by scan), so before and after have one shape.
func auditRow[T any](ctx context.Context, db *DB, q querier, now time.Time, action, objectType string, id int64, before any,
	scan func(row) (T, error), query string) error {
	after, err := snapshot(ctx, q, scan, query, id)
	if err != nil {
		return err
	}
	return db.audit(ctx, q, now, action, objectType, id, before, after)
}

// deleteAudited runs query, a DELETE of one row RETURNING the columns scan
// reads, and records the deleted object. CodeNotFound when no row matched.
func deleteAudited[T any](ctx context.Context, db *DB, what, objectType string, id int64, scan func(row) (T, error), query string, args ...any) error {
	return db.write(ctx, func(q querier, now time.Time) error {
		before, err := scan(q.queryRow(ctx, query, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(what, id)
		}
		if err != nil {
			return err
		}
		return db.audit(ctx, q, now, objectType+".delete", objectType, id, before, nil)
	})
}

// teamSnapshot is a team with its members, read in the transaction.
func teamSnapshot(ctx context.Context, q querier, id int64) (any, error) {
	t, err := scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return t, loadMembers(ctx, q, []*vigil.Team{t})
}

// classificationState is what the audit log keeps of the classification
// rules: the whole list, its time zone and version.
type classificationState struct {
	Rules    json.RawMessage `json:"rules"`
	TimeZone string          `json:"time_zone"`
	Version  int64           `json:"version"`
}

func classificationSnapshot(ctx context.Context, q querier) (*classificationState, error) {
	var (
		s     classificationState
		rules string
	)
	if err := q.queryRow(ctx, "SELECT rules, time_zone, version FROM classification_rules WHERE id = 1").Scan(&rules, &s.TimeZone, &s.Version); err != nil {
		return nil, err
	}
	s.Rules = json.RawMessage(rules)
	return &s, nil
}

// auditClassification records a save of the classification rules.
func auditClassification(ctx context.Context, db *DB, q querier, now time.Time, before *classificationState) error {
	after, err := classificationSnapshot(ctx, q)
	if err != nil {
		return err
	}
	return db.audit(ctx, q, now, "classification_rules.update", "classification_rules", 1, before, after)
}

// incidentState is what the audit log keeps of an incident: the fields
// people change. Alerts and the timeline have their own records.
type incidentState struct {
	Status   string         `json:"status"`
	Title    string         `json:"title"`
	Severity vigil.Severity `json:"severity"`
	Private  bool           `json:"private,omitempty"`
}

func stateOf(inc *vigil.Incident) incidentState {
	return incidentState{Status: inc.Status, Title: inc.Title, Severity: inc.Severity, Private: inc.Private}
}

// FindAuditEntries lists entries newest first with the total matching
// count (capped). CodeInvalid.
func (db *DB) FindAuditEntries(ctx context.Context, f vigil.AuditFilter) ([]*vigil.AuditEntry, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	var w where
	if f.Actor != "" {
		w.add("actor_name = ?", f.Actor)
	}
	if f.Action != "" {
		w.add(`action LIKE ? ESCAPE '\'`, strings.TrimPrefix(likeContains(f.Action), "%"))
	}
	if f.ObjectType != "" {
		w.add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != nil {
		w.add("object_id = ?", *f.ObjectID)
	}
	if f.Since != nil {
		w.add("at >= ?", micros(*f.Since))
	}
	if f.Until != nil {
		w.add("at < ?", micros(*f.Until))
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		s = jsonText(s) // the documents hold text JSON-escaped: a " is \"
		// SQLite's LIKE folds ASCII case itself; PostgreSQL folds both
		// sides with lower().
		col, pat := "COALESCE(before_json, '') || ' ' || COALESCE(after_json, '')", likeContains(s)
		if db.dialect == postgresDialect {
			col, pat = "lower("+col+")", likeContains(strings.ToLower(s))
		}
		w.add(col+` LIKE ? ESCAPE '\'`, pat)
	}
	var (
		total int
		list  []*vigil.AuditEntry
	)
	err := db.read(ctx, func(q querier) error {
		if err := q.queryRow(ctx, countCapped("audit_log"+w.sql()), w.args...).Scan(&total); err != nil {
			return err
		}
		var err error
		list, err = queryAll(ctx, q, scanAudit, `SELECT id, at, actor_kind, actor_id, actor_name, source, action, object_type, object_id,
			before_json, after_json, address FROM audit_log`+w.sql()+" ORDER BY id DESC"+w.page(f.Offset, f.Limit), w.args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// jsonText is s as it appears inside a JSON string of the documents.
func jsonText(s string) string {
	out, err := plainJSON(s)
	if err != nil {
		return s
	}
	return out[1 : len(out)-1]
}

func scanAudit(r row) (*vigil.AuditEntry, error) {
	var (
		e             vigil.AuditEntry
		at            int64
		before, after sql.NullString
	)
	if err := r.Scan(&e.ID, &at, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name, &e.Actor.Source, &e.Action, &e.ObjectType, &e.ObjectID,
		&before, &after, &e.Address); err != nil {
		return nil, err
	}
	e.At = fromMicros(at)
	if before.Valid {
		e.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		e.After = json.RawMessage(after.String)
	}
	return &e, nil
}
