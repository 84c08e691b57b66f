-- A status the person chose ("away", "busy") is the account's, not one browser's (see
-- docs/DECISIONS.md, "Signals"): NULL is automatic (each device reports online or away as its tab is
-- shown or hidden); a choice stands until the person chooses again, whatever a device reports.
ALTER TABLE users ADD COLUMN IF NOT EXISTS presence_choice VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL DEFAULT NULL;
