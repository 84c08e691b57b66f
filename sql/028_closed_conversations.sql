-- Closing a DM (see docs/DECISIONS.md, "Rooms"): the member's list hides the conversation while
-- its newest message is the one it had when they closed it (`closed_up_to`, 0 for an empty DM);
-- a newer message shows it again. NULL: not closed.
ALTER TABLE room_members ADD COLUMN closed_up_to BIGINT NULL;
