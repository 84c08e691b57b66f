-- Archived rooms (see docs/DECISIONS.md, "Archived rooms"): an owner or admin freezes a room or
-- group as it is. Its members still read, search and leave it; nothing new is posted, edited,
-- reacted to, voted on, pinned or joined until it is unarchived. NULL: not archived.
ALTER TABLE rooms ADD COLUMN archived_at DATETIME(3) NULL;
