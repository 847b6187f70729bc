-- Classification and routing rules: one ordered, global list, stored whole
-- as JSON (a list of vigil.ClassificationRule, checked and compiled in Go)
-- in one row whose version goes up with every save. Ingest keeps the
-- compiled rules in memory and recompiles only when the version it reads
-- differs; saving also serializes rule changes across replicas. time_zone
-- is where the rules' time facts (hour, weekday, business hours) are read.
CREATE TABLE classification_rules (
    id         BIGINT  PRIMARY KEY,
    rules      TEXT    NOT NULL DEFAULT '[]',
    version    BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL DEFAULT 0,
    updated_by TEXT    NOT NULL DEFAULT '',
    time_zone  TEXT    NOT NULL DEFAULT 'UTC'
);
INSERT INTO classification_rules (id, rules, version) VALUES (1, '[]', 0);

-- A rule that failed on an alert is skipped; its last failure is kept per
-- rule name (for the rule list to show it broken) and logged once per
-- rule set version.
CREATE TABLE classification_failures (
    rule    TEXT    PRIMARY KEY,
    version BIGINT  NOT NULL,
    error   TEXT    NOT NULL,
    count   BIGINT  NOT NULL DEFAULT 0,
    last_at BIGINT  NOT NULL
);

-- What the rules decided for an incident (from the alert that opened it).
-- '' means no decision: sev_level SEV1..SEV4, priority P1..P5,
-- incident_type outage/degradation/security/data/other, urgency high/low
-- ('' pages as high). A private incident is seen only by its responders,
-- its team's managers, the security group and admins.
ALTER TABLE incidents ADD COLUMN sev_level TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN priority TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN incident_type TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN urgency TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN private BOOLEAN NOT NULL DEFAULT FALSE;

-- The rules that applied to the alert that opened an incident (the noise
-- report counts per rule) and the stakeholder groups they chose.
CREATE TABLE incident_rules (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    rule        TEXT    NOT NULL,
    PRIMARY KEY (incident_id, rule)
);
CREATE INDEX incident_rules_rule ON incident_rules (rule, incident_id);
CREATE TABLE incident_groups (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    group_id    BIGINT  NOT NULL REFERENCES stakeholder_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, group_id)
);

-- An alert a rule suppressed is stored without an incident and never pages;
-- suppressed_by names the rule.
ALTER TABLE alerts ADD COLUMN suppressed_by TEXT;

-- Storm protection counts a service's incidents of the last minutes.
CREATE INDEX incidents_service_created ON incidents (service_id, created_at);
