-- A report keeps the message's text as it was when reported (see docs/DECISIONS.md, "Reports"), so
-- the people who act on it see what was reported even when the sender has edited it since. Null for
-- a report of a person or of a message without text, and once the message is deleted: nothing of a
-- deleted message's text stays, here as in its edit history.
ALTER TABLE reports ADD COLUMN message_text TEXT NULL AFTER comment;

-- The reports made before: the text the message had then, from its edit history when it has been
-- edited since (the first text replaced after the report), else its text now.
UPDATE reports r JOIN messages m ON m.id = r.message_id
SET r.message_text = COALESCE(
    (SELECT e.text FROM message_edits e WHERE e.message_id = r.message_id AND e.replaced_at > r.created_at ORDER BY e.id LIMIT 1),
    m.text)
WHERE m.deleted_at IS NULL;
