-- A thread's read mark (see docs/DECISIONS.md, "Threads"): the latest reply the user read in it
-- (`markThreadRead`, or by replying). A reply is unread to a follower until this mark or their
-- room's `read_up_to` passes it: replies show in the room too, so reading the room reads them.
-- 0 for the rows that exist: the room's mark decides for them.
ALTER TABLE thread_follows ADD COLUMN read_up_to BIGINT NOT NULL DEFAULT 0;
