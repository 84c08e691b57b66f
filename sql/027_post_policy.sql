-- Who may post in a room (see docs/DECISIONS.md, "Rooms"): everyone, or only its moderators,
-- admins and owner (an announcement room). Members of a `moderators` room still read, react and
-- vote in polls.
ALTER TABLE rooms ADD COLUMN post_policy ENUM('everyone', 'moderators') NOT NULL DEFAULT 'everyone';
