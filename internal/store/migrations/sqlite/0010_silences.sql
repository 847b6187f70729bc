-- Silences (Alertmanager's, on its API and Vigil's). Matchers are a JSON
-- list of vigil.SilenceMatcher, read and written whole and checked in Go.
-- Times are unix micros; a silence is active while starts_at <= now <
-- ends_at. uuid is the id Alertmanager's API shows (amtool, Grafana).
-- service_id limits a silence to one service's alerts (NULL: every
-- service); deleting the service deletes its silences.
CREATE TABLE silences (
    id                INTEGER PRIMARY KEY,
    uuid              TEXT    NOT NULL,
    service_id        INTEGER REFERENCES services (id) ON DELETE CASCADE,
    matchers          TEXT    NOT NULL,
    starts_at         INTEGER NOT NULL,
    ends_at           INTEGER NOT NULL,
    created_by        TEXT    NOT NULL,
    comment           TEXT    NOT NULL DEFAULT '',
    annotations       TEXT    NOT NULL DEFAULT '{}',
    expire_on_resolve INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_matched_at   INTEGER
);
CREATE UNIQUE INDEX silences_uuid ON silences (uuid);
-- Ingest loads the silences that have not ended.
CREATE INDEX silences_ends ON silences (ends_at);

-- One row whose version goes up with every change of a silence, in the
-- same transaction: ingest keeps the silences in memory and reloads them
-- only when the version it reads differs (one primary-key read per batch).
CREATE TABLE silence_state (
    id      INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO silence_state (id, version) VALUES (1, 0);

-- A silenced alert is stored without an incident: incident_id becomes
-- nullable, silenced_by names the silence holding it, and group_key keeps
-- the sender's grouping key (Alertmanager's groupKey) so the alert finds
-- the right incident when the silence ends. SQLite cannot drop NOT NULL in
-- place: the table is rebuilt with the same columns, keys and indexes.
-- (No table references alerts, and alerts.service_id has no foreign key
-- on purpose, as in 0001.)
CREATE TABLE alerts_new (
    id                 INTEGER PRIMARY KEY,
    service_id         INTEGER NOT NULL,
    incident_id        INTEGER REFERENCES incidents (id),
    integration_key_id INTEGER,
    dedup_key          TEXT    NOT NULL,
    summary            TEXT    NOT NULL,
    details            TEXT,
    labels             TEXT    NOT NULL DEFAULT '{}',
    links              TEXT    NOT NULL DEFAULT '[]',
    severity           TEXT    NOT NULL,
    source             TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL,
    first_seen         INTEGER NOT NULL,
    last_seen          INTEGER NOT NULL,
    resolved_at        INTEGER,
    occurrences        INTEGER NOT NULL DEFAULT 1,
    ends_at            INTEGER,
    silenced_by        INTEGER,
    group_key          TEXT    NOT NULL DEFAULT ''
);
INSERT INTO alerts_new (id, service_id, incident_id, integration_key_id, dedup_key, summary, details, labels, links,
    severity, source, status, first_seen, last_seen, resolved_at, occurrences, ends_at)
SELECT id, service_id, incident_id, integration_key_id, dedup_key, summary, details, labels, links,
    severity, source, status, first_seen, last_seen, resolved_at, occurrences, ends_at
FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE UNIQUE INDEX alerts_firing ON alerts (service_id, dedup_key) WHERE status = 'firing';
CREATE INDEX alerts_incident ON alerts (incident_id, status);
CREATE INDEX alerts_service ON alerts (service_id, id);
CREATE INDEX alerts_expiry ON alerts (ends_at) WHERE status = 'firing' AND ends_at IS NOT NULL;
-- The alerts silences hold: released when their silence ends.
CREATE INDEX alerts_held ON alerts (silenced_by) WHERE status = 'firing' AND incident_id IS NULL;
