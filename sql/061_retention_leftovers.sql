-- Retention deletes single messages (docs/DECISIONS.md, "Message retention"), not only a room's all
-- at once. A scheduled message keeps the id of the message it answers when that message goes, so
-- that its send is refused (`invalid_reply_to`, kept as its `failure`) rather than posted as no
-- reply at all; and a thread's drafts go with the thread's message, found by `thread_id`.
ALTER TABLE scheduled_messages DROP FOREIGN KEY scheduled_messages_reply_fk;
ALTER TABLE drafts ADD KEY drafts_thread (thread_id);
