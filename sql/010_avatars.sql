-- Avatars (see docs/DECISIONS.md, "Profiles"). One picture per user, replaced whole; at most
-- 1 MiB, so it is one row and never chunked. `users.avatar` is the picture's version (the first 16
-- hex digits of its SHA-256), NULL without one: every user summary carries it, as the URL
-- /api/users/{id}/avatar?v={version}, without a join.
CREATE TABLE avatars (
    user_id BIGINT NOT NULL PRIMARY KEY,
    content_type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    data MEDIUMBLOB NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    CONSTRAINT avatars_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

ALTER TABLE users ADD COLUMN avatar CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL;
