-- Per-service triage settings and the auto-pause hold.
-- services.flap_policy: the service's flap control as JSON
-- ({"changes":4,"window":"10m","quiet":"15m"}; changes 0 is off), NULL for
-- the server's default. services.auto_pause: unix micros a new alert is
-- held before it may page (0: off). alerts.paused_until: when a paused
-- alert pages if it still fires; kept after a resolve while paused (a
-- transient alert), cleared when the alert joins an incident.
ALTER TABLE services ADD COLUMN flap_policy TEXT;
ALTER TABLE services ADD COLUMN auto_pause BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN paused_until BIGINT;
