-- Incoming webhooks (see docs/DECISIONS.md, "Webhooks"): a room's secret URL that posts into it as
-- the webhook's maker. The token is a bearer secret: only its SHA-256 is stored, and its first four
-- characters to tell webhooks apart. A message a webhook posted keeps its id and name as they were
-- (JSON: id, name), like the file and forward summaries: every read carries it without a join.
CREATE TABLE webhooks (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT NOT NULL,
    name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
    token_hash BINARY(32) NOT NULL,
    hint CHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_by BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    last_used_at DATETIME(3) NULL,
    UNIQUE KEY webhooks_token (token_hash),
    KEY webhooks_room (room_id),
    CONSTRAINT webhooks_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT webhooks_creator_fk FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

ALTER TABLE messages ADD COLUMN webhook_summary TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
