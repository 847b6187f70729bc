-- Heartbeats (Opsgenie's Heartbeat API): a job pings its heartbeat at
-- least once per interval; an enabled heartbeat not pinged by due_at
-- expires and raises an alert on its service. Times are unix micros.
-- due_at is the end of the current countdown (creation, ping, enable,
-- rename or new interval plus the interval); expired flips false -> true
-- in one conditional UPDATE, so one replica raises the alert.
CREATE TABLE heartbeats (
    id              INTEGER PRIMARY KEY,
    service_id      INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    interval_length INTEGER NOT NULL,
    interval_unit   TEXT    NOT NULL,
    enabled         INTEGER NOT NULL,
    expired         INTEGER NOT NULL DEFAULT 0,
    alert_message   TEXT    NOT NULL DEFAULT '',
    alert_tags      TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    alert_priority  TEXT    NOT NULL DEFAULT 'P3',
    last_ping_at    INTEGER,
    due_at          INTEGER NOT NULL,
    expired_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX heartbeats_service_name ON heartbeats (service_id, name);
-- The expiry sweep looks only at heartbeats that can expire.
CREATE INDEX heartbeats_due ON heartbeats (due_at) WHERE enabled AND NOT expired;
