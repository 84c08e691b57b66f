-- Reports of rooms as well (see docs/DECISIONS.md, "Reports"): a public room or a private group as
-- such (its name, its topic, what it is for), to the site admins. A room's report has the room, no
-- message and no person (`user_id` is null: a room is not one person's doing). One open report of
-- the same room per reporter: `open_room_report` is 1 only for an open report of a room, and NULLs
-- do not collide in the unique key, so settled ones may repeat. A room's reports go with the room,
-- as its messages' do; whoever deletes it resolves them first, so their reporters hear of it.
ALTER TABLE reports DROP CONSTRAINT reports_subject;

ALTER TABLE reports
    MODIFY user_id BIGINT NULL,
    MODIFY resolution ENUM('dismissed', 'message_deleted', 'user_deactivated', 'room_deleted') NULL,
    ADD COLUMN open_room_report TINYINT AS (IF(message_id IS NULL AND room_id IS NOT NULL AND resolved_at IS NULL, 1, NULL)) PERSISTENT,
    ADD UNIQUE KEY reports_room_open (room_id, reporter_id, open_room_report),
    ADD CONSTRAINT reports_subject CHECK (
        IF(message_id IS NULL, (room_id IS NULL) <> (user_id IS NULL), room_id IS NOT NULL AND user_id IS NOT NULL));
