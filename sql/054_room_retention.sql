-- A room's own message retention (see docs/DECISIONS.md, "Message retention"), set by site admins:
-- NULL, the default, follows the site's; -1 keeps the room's messages for ever; else that many days.
-- The key lets each sweep find the few rooms that have one without reading every room.
ALTER TABLE rooms ADD COLUMN message_retention_days INT NULL, ADD KEY rooms_retention (message_retention_days);
