-- Password reset links that site admins make for users (Parley sends no mail; see
-- docs/DECISIONS.md, "Sessions"). The code is a bearer secret: only its SHA-256 is stored. One
-- link per user at a time; a used link is deleted.
CREATE TABLE password_resets (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    code_hash BINARY(32) NOT NULL,
    created_by BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    UNIQUE KEY password_resets_code (code_hash),
    UNIQUE KEY password_resets_user (user_id),
    CONSTRAINT password_resets_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT password_resets_creator_fk FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
