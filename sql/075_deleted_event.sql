-- The id of a message's `message.deleted` event (NULL: not deleted, or deleted before this column).
-- A `read_marker`'s unread count takes in the messages before it in the log as they stood at the
-- marker: a deletion whose event comes after the marker is counted as not yet made (clients subtract
-- it when its event comes). Its transaction's snapshot, taken once every lower id was final, also
-- held deletions that had a higher id but committed first, and clients following events subtracted
-- those twice (a hunt: 5 of 119 markers one low). Deletions made before this read as made long ago.
ALTER TABLE messages ADD COLUMN deleted_event BIGINT NULL;
