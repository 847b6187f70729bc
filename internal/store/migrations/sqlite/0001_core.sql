-- Times are unix microseconds (UTC) in INTEGER columns on both databases:
-- one SQL text for range filters and ordering, exact round trips.

CREATE TABLE services (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    grouping_rule TEXT    NOT NULL, -- JSON vigil.GroupingRule
    auto_resolve  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX services_name ON services (name);

CREATE TABLE integration_keys (
    id          INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    prefix      TEXT    NOT NULL,
    secret_hash TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE UNIQUE INDEX integration_keys_secret_hash ON integration_keys (secret_hash);
CREATE INDEX integration_keys_service ON integration_keys (service_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE UNIQUE INDEX api_tokens_secret_hash ON api_tokens (secret_hash);

CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    service_id      INTEGER NOT NULL REFERENCES services (id),
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    severity        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    group_key       TEXT    NOT NULL DEFAULT '',
    alert_count     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT    NOT NULL DEFAULT '',
    resolved_at     INTEGER,
    resolved_by     TEXT    NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL
);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_service ON incidents (service_id, id);
CREATE INDEX incidents_created ON incidents (created_at);
-- Grouping looks only at open incidents of one service.
CREATE INDEX incidents_open ON incidents (service_id, group_key, id) WHERE status <> 'resolved';

-- Title search (title LIKE '%...%') without a scan: an FTS5 trigram index
-- over the titles, kept in step by triggers. The trigram tokenizer answers
-- LIKE itself, case-insensitively, for patterns of three or more characters.
CREATE VIRTUAL TABLE incidents_fts USING fts5 (
    title, content = 'incidents', content_rowid = 'id', tokenize = 'trigram case_sensitive 0'
);
CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incidents_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF title ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO incidents_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;

-- alerts.service_id has no foreign key on purpose: incident_id already ties
-- an alert to its service, and ingest is the hot path.
CREATE TABLE alerts (
    id                 INTEGER PRIMARY KEY,
    service_id         INTEGER NOT NULL,
    incident_id        INTEGER NOT NULL REFERENCES incidents (id),
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
    occurrences        INTEGER NOT NULL DEFAULT 1
);
-- At most one firing alert per (service, dedup key); a resolved one may repeat.
CREATE UNIQUE INDEX alerts_firing ON alerts (service_id, dedup_key) WHERE status = 'firing';
CREATE INDEX alerts_incident ON alerts (incident_id, status);
CREATE INDEX alerts_service ON alerts (service_id, id);

-- Append-only.
CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    data        TEXT
);
CREATE INDEX timeline_incident ON timeline (incident_id, id);
