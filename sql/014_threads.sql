-- Threads (see docs/DECISIONS.md, "Threads"): a message counts its replies that are not deleted,
-- and the index lists a message's replies in order.
ALTER TABLE messages ADD COLUMN reply_count INT NOT NULL DEFAULT 0, ADD KEY messages_replies (reply_to, id);

UPDATE messages m
JOIN (SELECT reply_to, COUNT(*) AS replies FROM messages WHERE reply_to IS NOT NULL AND deleted_at IS NULL GROUP BY reply_to) r
    ON r.reply_to = m.id
SET m.reply_count = r.replies;
