-- Stakeholder groups: who hears status updates about incidents (customer
-- support, executives, ...), never pages. channels is a JSON list of
-- vigil.StakeholderChannel, read and written whole and checked in Go.
-- name_key is the name as vigil.StakeholderGroupKey folds it (SQLite's
-- lower() folds ASCII only), so a name is unique regardless of case alike
-- on both databases. min_severity is '' for a group that hears only when
-- it is named.
CREATE TABLE stakeholder_groups (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    channels     TEXT    NOT NULL DEFAULT '[]',
    min_severity TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX stakeholder_groups_name ON stakeholder_groups (name_key);

-- A status update is a timeline entry (kind 'status_update') and one
-- notification per channel; an incident's updates are read from the few
-- entries of that kind, not from its whole timeline.
CREATE INDEX timeline_status_updates ON timeline (incident_id, id) WHERE kind = 'status_update';
