-- Mapping rules of an integration key (a JSON array of vigil.MappingRule,
-- NULL for none). rules_revision goes up with every change, so a process
-- can keep compiled rules until the revision it sees moves.
ALTER TABLE integration_keys ADD COLUMN rules TEXT;
ALTER TABLE integration_keys ADD COLUMN rules_revision BIGINT NOT NULL DEFAULT 0;
