-- A user's status (see docs/DECISIONS.md, "Status"): a short text and/or one emoji, until an
-- optional time. No status: both NULL.
ALTER TABLE users
    ADD COLUMN status_text VARCHAR(100) NULL,
    ADD COLUMN status_emoji VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN status_expires_at DATETIME(3) NULL;
