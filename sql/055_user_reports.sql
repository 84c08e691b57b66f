-- Reports of people as well as of messages (see docs/DECISIONS.md, "Reports"). The table is now
-- `reports`, and `user_id` is the person reported: a message's sender (filled in below for the
-- reports made before), or the person themselves in a report of a user, which has no message and
-- no room. One open report of the same person per reporter: `open_user_report` is 1 only for an
-- open report of a person, and NULLs do not collide in the unique key, so settled ones may repeat.
RENAME TABLE message_reports TO reports;

ALTER TABLE reports
    ADD COLUMN user_id BIGINT NULL AFTER room_id,
    MODIFY message_id BIGINT NULL,
    MODIFY room_id BIGINT NULL,
    MODIFY resolution ENUM('dismissed', 'message_deleted', 'user_deactivated') NULL;

UPDATE reports r JOIN messages m ON m.id = r.message_id SET r.user_id = m.sender_id;

ALTER TABLE reports
    MODIFY user_id BIGINT NOT NULL,
    ADD COLUMN open_user_report TINYINT AS (IF(message_id IS NULL AND resolved_at IS NULL, 1, NULL)) PERSISTENT,
    ADD UNIQUE KEY reports_user_open (user_id, reporter_id, open_user_report),
    ADD KEY reports_user (user_id, resolved_at),
    ADD CONSTRAINT reports_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT reports_subject CHECK (message_id IS NOT NULL OR room_id IS NULL);
