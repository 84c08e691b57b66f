-- Drafts of thread replies (see docs/DECISIONS.md, "Drafts"): what a user left unsent in a
-- thread's reply box, kept like the room box's draft so that it follows them to their other
-- devices, as Slack and Mattermost keep them. `thread_id` is the message the thread answers, or 0
-- for the room's own box; a message is never deleted but with its room, whose deletion takes the
-- drafts with it, so no foreign key is needed.
ALTER TABLE drafts
    ADD COLUMN thread_id BIGINT NOT NULL DEFAULT 0 AFTER room_id,
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (user_id, room_id, thread_id);
