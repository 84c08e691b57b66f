-- The time zone a user shows on their profile (see docs/DECISIONS.md, "Local time"): an IANA name
-- such as Europe/Berlin, so that others see the time it is for them; NULL shows none.
ALTER TABLE users ADD COLUMN time_zone VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;
