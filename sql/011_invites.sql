-- Invite links to private groups (see docs/DECISIONS.md, "Rooms"). The code is a bearer secret:
-- only its SHA-256 is stored, and the first four characters to tell links apart.
CREATE TABLE room_invites (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT NOT NULL,
    code_hash BINARY(32) NOT NULL,
    hint CHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_by BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NULL,
    max_uses INT NULL,
    uses INT NOT NULL DEFAULT 0,
    UNIQUE KEY room_invites_code (code_hash),
    KEY room_invites_room (room_id),
    CONSTRAINT room_invites_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT room_invites_creator_fk FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
