-- Slow mode (see docs/DECISIONS.md, "Slow mode"): in a room with `slow_mode_seconds` > 0, a member
-- below moderator posts at most once in that many seconds. `last_posted_at` is the time of their
-- last post there, written (only in such rooms) by the statement that also checks it.
ALTER TABLE rooms ADD COLUMN slow_mode_seconds INT NOT NULL DEFAULT 0;
ALTER TABLE room_members ADD COLUMN last_posted_at DATETIME(3) NULL;
