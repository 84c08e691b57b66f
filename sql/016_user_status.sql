-- A user's status (see docs/DECISIONS.md, "Status"): a short text and/or one emoji, until an
-- optional time. No status: both NULL. The text is at most 100 characters as people see them (400 code
-- points, for combining marks and emoji sequences).
ALTER TABLE users
    ADD COLUMN status_text VARCHAR(400) NULL,
    ADD COLUMN status_emoji VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN status_expires_at DATETIME(3) NULL;
