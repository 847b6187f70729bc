-- On-call: people, teams, schedules, escalation policies and the
-- notification outbox. Times are unix micros. Schedule layers and policy
-- steps are JSON documents (vigil.Layer, vigil.EscalationStep): they are
-- read and written whole, and validated in Go.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    time_zone  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE contact_methods (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX contact_methods_user ON contact_methods (user_id, id);

CREATE TABLE notification_rules (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    contact_method_id INTEGER NOT NULL REFERENCES contact_methods (id) ON DELETE CASCADE,
    delay_micros      INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX notification_rules_user ON notification_rules (user_id, delay_micros);
CREATE INDEX notification_rules_method ON notification_rules (contact_method_id);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (name);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    time_zone   TEXT    NOT NULL,
    team_id     INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    layers      TEXT    NOT NULL, -- JSON []vigil.Layer
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX schedules_name ON schedules (name);

CREATE TABLE schedule_overrides (
    id          INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    start_at    INTEGER NOT NULL,
    end_at      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides (schedule_id, end_at);

CREATE TABLE escalation_policies (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    team_id     INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    repeat_count INTEGER NOT NULL DEFAULT 0,
    steps       TEXT    NOT NULL, -- JSON []vigil.EscalationStep
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX escalation_policies_name ON escalation_policies (name);

ALTER TABLE services ADD COLUMN team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL;
ALTER TABLE services ADD COLUMN escalation_policy_id INTEGER REFERENCES escalation_policies (id);

-- An incident's escalation: the next step to fire, the pass it is in and
-- when it is due. esc_next_at is NULL when nothing is due (no policy,
-- acknowledged, resolved, or the policy ran out); it is the durable timer
-- the engine claims.
ALTER TABLE incidents ADD COLUMN esc_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN esc_loop INTEGER NOT NULL DEFAULT 0;
-- esc_run counts escalations of the incident (a reopen starts a new one),
-- so the pages of a new run are not mistaken for repeats of the old.
ALTER TABLE incidents ADD COLUMN esc_run INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN esc_next_at INTEGER;
CREATE INDEX incidents_escalation_due ON incidents (esc_next_at) WHERE esc_next_at IS NOT NULL;

-- The outbox: one row per message to one destination. A state change
-- inserts its rows in its own transaction; the engine claims due rows
-- (pending, next_attempt_at passed), sends, and records the outcome.
-- dedup_key makes a page unique per (incident, run, pass, step, user,
-- contact method, rule), so a decision made twice still sends once.
CREATE TABLE notifications (
    id                INTEGER PRIMARY KEY,
    incident_id       INTEGER,
    kind              TEXT    NOT NULL,
    user_id           INTEGER,
    contact_method_id INTEGER,
    dest_type         TEXT    NOT NULL,
    dest_address      TEXT    NOT NULL,
    esc_step          INTEGER,
    esc_loop          INTEGER,
    dedup_key         TEXT,
    priority          INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    title             TEXT    NOT NULL DEFAULT '',
    body              TEXT    NOT NULL DEFAULT '',
    due_at            INTEGER NOT NULL,
    next_attempt_at   INTEGER NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    claimed_by        TEXT    NOT NULL DEFAULT '',
    lease_until       INTEGER,
    last_error        TEXT    NOT NULL DEFAULT '',
    provider_id       TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    sent_at           INTEGER
);
CREATE UNIQUE INDEX notifications_dedup ON notifications (dedup_key);
CREATE INDEX notifications_incident ON notifications (incident_id, id);
CREATE INDEX notifications_due ON notifications (priority, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX notifications_lease ON notifications (lease_until) WHERE status = 'sending';

-- Every send attempt, for the per-incident message log.
CREATE TABLE notification_attempts (
    id              INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    outcome         TEXT    NOT NULL, -- sent, retry, failed
    error           TEXT    NOT NULL DEFAULT '',
    replica         TEXT    NOT NULL DEFAULT '',
    duration_micros INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);
