-- Maintenance windows. service_ids and matchers are JSON lists, read and
-- written whole and checked in Go (triage.CompileMaintenance); service_ids
-- has no foreign key on purpose: a deleted service simply matches no more
-- alerts, where a cascade could leave a window without services that would
-- then cover every alert. A one-off window is open from starts_at to
-- ends_at; a recurring one (recurrence: JSON vigil.WeeklyRecurrence) opens
-- on its weekdays in time_zone, its occurrences beginning at or after
-- starts_at and, when ends_at is set, before it. Times are unix micros.
CREATE TABLE maintenance_windows (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    service_ids TEXT    NOT NULL DEFAULT '[]',
    matchers    TEXT    NOT NULL DEFAULT '[]',
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER,
    recurrence  TEXT,
    time_zone   TEXT    NOT NULL,
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX maintenance_windows_name ON maintenance_windows (name);

-- Inhibition rules (Alertmanager's inhibit_rules): JSON lists of matchers
-- and of the equal label names.
CREATE TABLE inhibit_rules (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    source_matchers TEXT    NOT NULL,
    target_matchers TEXT    NOT NULL,
    equal           TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX inhibit_rules_name ON inhibit_rules (name);

-- One row whose version goes up with every change of a window or a rule,
-- in the same transaction, as silence_state does for silences: ingest
-- keeps both compiled in memory and reloads them only when the version
-- moved. changed_at is when the rules last changed: for a while after,
-- the housekeeping job re-checks which firing alerts are inhibition
-- sources (see alerts.inhibit_source), catching an alert that another
-- replica stored against the rules of just before.
CREATE TABLE hold_state (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL,
    changed_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO hold_state (id, version, changed_at) VALUES (1, 0, 0);

-- Why a firing alert without an incident is held, besides silenced_by (at
-- most one of the three kinds is set): held_by_window names the open
-- maintenance window, inhibited_by_rule and inhibited_by_alert the rule
-- and the firing alert that mute it. held_until is when the hold is to be
-- checked again: the window's close, or now when its window or rule
-- changed. inhibit_source marks firing alerts that match some rule's
-- source matchers, so ingest reads only those when it looks for what
-- mutes a new alert.
ALTER TABLE alerts ADD COLUMN held_by_window INTEGER;
ALTER TABLE alerts ADD COLUMN held_until INTEGER;
ALTER TABLE alerts ADD COLUMN inhibited_by_rule INTEGER;
ALTER TABLE alerts ADD COLUMN inhibited_by_alert INTEGER;
ALTER TABLE alerts ADD COLUMN inhibit_source INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alerts_inhibit_sources ON alerts (id) WHERE status = 'firing' AND inhibit_source;
