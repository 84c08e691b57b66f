-- Typing, presence, receipts, unread counts, mentions and notifications.
ALTER TABLE users
    ADD COLUMN presence ENUM('online', 'away', 'busy') NOT NULL DEFAULT 'online',
    ADD COLUMN last_seen_at DATETIME(3) NULL,
    ADD COLUMN send_read_receipts TINYINT(1) NOT NULL DEFAULT 1;

ALTER TABLE room_members
    ADD COLUMN delivered_up_to BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN read_up_to BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN notify_level ENUM('all', 'mentions', 'none') NULL;

ALTER TABLE messages
    ADD COLUMN mentions_room TINYINT(1) NOT NULL DEFAULT 0,
    ADD COLUMN mention_ids VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';

ALTER TABLE room_members ADD KEY room_members_level (room_id, notify_level);

CREATE TABLE mentions (
    message_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id),
    KEY mentions_user_room (user_id, room_id, message_id),
    CONSTRAINT mentions_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE notifications (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    reason ENUM('dm', 'mention', 'room_mention', 'all') NOT NULL,
    created_at DATETIME(3) NOT NULL,
    KEY notifications_user (user_id, created_at),
    CONSTRAINT notifications_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT notifications_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Typing events are pruned after a minute; this index finds them.
ALTER TABLE events ADD KEY events_type_created (type, created_at);
