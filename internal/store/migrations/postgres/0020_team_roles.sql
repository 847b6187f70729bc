-- Roles per team: a member row is either a plain member (who acts with
-- their global role) or a manager of the team, who may edit the team's
-- services, schedules and policies and see its private incidents.
ALTER TABLE team_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
