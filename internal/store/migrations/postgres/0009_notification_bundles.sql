-- Throttling and bundling (catalog E8). A page to an SMS or voice contact
-- method that had a page within its throttle window waits for the window
-- to end; when it is claimed, every other due page to the same contact
-- method rides along in one message. The riders get status 'bundled' and
-- bundled_into = the carrying notification; they become sent or failed
-- with it.
ALTER TABLE notifications ADD COLUMN bundled_into BIGINT;
CREATE INDEX notifications_bundled ON notifications (bundled_into) WHERE bundled_into IS NOT NULL;
-- The throttle looks up the latest page to a contact method.
CREATE INDEX notifications_destination ON notifications (contact_method_id, sent_at);
