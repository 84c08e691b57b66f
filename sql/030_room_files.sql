-- A room's files, newest first by the message that shares each (`roomFiles`, see docs/DECISIONS.md,
-- "Files"): a page is a backward range of this key.
ALTER TABLE files ADD KEY files_room_message (room_id, message_id);
