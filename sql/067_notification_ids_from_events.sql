-- A notification's id is the id of its `notification` event (see docs/DECISIONS.md,
-- "Notifications"), as a message's is its `message.created` event's: ids then grow in the order
-- the log delivers them, so "seen up to" (`users.notifications_seen_id`) cannot pass over a
-- notification that was still committing when a higher one was shown. The event sequence first
-- moves past every notification id there is, so new notifications come after the old ones (and
-- after every mark).
SET @top_notification = (SELECT COALESCE(MAX(id), 0) FROM notifications);
SET @move_events = CONCAT('SELECT SETVAL(event_ids, ', @top_notification, ')');
PREPARE move_events FROM @move_events;
EXECUTE move_events;
DEALLOCATE PREPARE move_events;
