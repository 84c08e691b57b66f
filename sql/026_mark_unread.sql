-- Mark as unread (see docs/DECISIONS.md, "Signals"): `read_up_to` is the member's own read mark,
-- which drives unread counts and may move back when they mark a message unread; `seen_up_to` is
-- the furthest they have ever read, which read receipts show and which never moves back.
ALTER TABLE room_members ADD COLUMN seen_up_to BIGINT NOT NULL DEFAULT 0;
UPDATE room_members SET seen_up_to = read_up_to;
