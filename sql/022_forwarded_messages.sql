-- Forwarded messages (see docs/DECISIONS.md, "Forwarding"): a message forwarded into a room keeps
-- what it quotes as it was then (JSON: message_id, room_id, sender, text, created_at), like the
-- file summary: every read carries it without a join. NULL for a message that forwards nothing.
ALTER TABLE messages ADD COLUMN forward_summary TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
