-- ends_at: when a firing alert resolves on its own unless triggered again
-- (Alertmanager's endsAt and resolve timeout); NULL for alerts that fire
-- until resolved. Unix micros.
ALTER TABLE alerts ADD COLUMN ends_at BIGINT;
CREATE INDEX alerts_expiry ON alerts (ends_at) WHERE status = 'firing' AND ends_at IS NOT NULL;
