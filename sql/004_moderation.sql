-- Room moderation (bans, mutes, pins, an audit log, word filters) and site administration.
ALTER TABLE users
    ADD COLUMN site_role ENUM('user', 'admin') NOT NULL DEFAULT 'user',
    ADD COLUMN deactivated_at DATETIME(3) NULL;

CREATE TABLE room_bans (
    room_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    banned_by BIGINT NULL,
    reason VARCHAR(1024) NULL,
    created_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NULL,
    PRIMARY KEY (room_id, user_id),
    KEY room_bans_expiry (expires_at),
    CONSTRAINT room_bans_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT room_bans_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE room_mutes (
    room_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    muted_by BIGINT NULL,
    reason VARCHAR(1024) NULL,
    created_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NULL,
    PRIMARY KEY (room_id, user_id),
    KEY room_mutes_expiry (expires_at),
    CONSTRAINT room_mutes_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT room_mutes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE pins (
    room_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    pinned_by BIGINT NOT NULL,
    pinned_at DATETIME(3) NOT NULL,
    PRIMARY KEY (room_id, message_id),
    KEY pins_order (room_id, pinned_at),
    CONSTRAINT pins_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT pins_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE moderation_log (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT NULL,
    actor_id BIGINT NULL,
    action VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    target_user_id BIGINT NULL,
    target_message_id BIGINT NULL,
    reason VARCHAR(1024) NULL,
    expires_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL,
    KEY moderation_log_room (room_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE word_filters (
    room_id BIGINT NOT NULL PRIMARY KEY,
    words TEXT NOT NULL,
    mode ENUM('reject', 'mask') NOT NULL,
    CONSTRAINT word_filters_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
