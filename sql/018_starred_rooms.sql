-- Starred rooms (see docs/DECISIONS.md, "Starred rooms"): a member's own mark, listed first by
-- their clients. NULL: not starred.
ALTER TABLE room_members ADD COLUMN starred_at DATETIME(3) NULL;
