-- Rooms, membership, messages and the event log.
CREATE TABLE rooms (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind ENUM('public', 'group', 'dm') NOT NULL,
    name VARCHAR(255) NOT NULL,
    topic VARCHAR(1024) NOT NULL DEFAULT '',
    password_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
    -- Public room names are unique without regard to case; other kinds may repeat names.
    public_name VARCHAR(255) AS (IF(kind = 'public', name, NULL)) PERSISTENT,
    -- "smaller-id:larger-id" for a DM, so that opening one twice finds the same room.
    dm_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    created_by BIGINT NULL,
    created_at DATETIME(3) NOT NULL,
    UNIQUE KEY rooms_public_name (public_name),
    UNIQUE KEY rooms_dm_key (dm_key),
    KEY rooms_kind (kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE room_members (
    room_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    role ENUM('owner', 'admin', 'moderator', 'member') NOT NULL DEFAULT 'member',
    joined_at DATETIME(3) NOT NULL,
    PRIMARY KEY (room_id, user_id),
    KEY room_members_user (user_id),
    CONSTRAINT room_members_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT room_members_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- When each user belonged to each room, in event ids: an event of a room reaches exactly the users
-- whose interval holds its id, live or replayed.
CREATE TABLE membership_log (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    from_event BIGINT NOT NULL,
    to_event BIGINT NULL,
    KEY membership_log_user (user_id, room_id),
    KEY membership_log_room (room_id)
) ENGINE=InnoDB;

CREATE TABLE messages (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT NOT NULL,
    sender_id BIGINT NOT NULL,
    text TEXT NULL,
    reply_to BIGINT NULL,
    client_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    created_at DATETIME(3) NOT NULL,
    edited_at DATETIME(3) NULL,
    deleted_at DATETIME(3) NULL,
    KEY messages_room (room_id, id),
    UNIQUE KEY messages_client_id (sender_id, client_id),
    CONSTRAINT messages_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT messages_sender_fk FOREIGN KEY (sender_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Event ids are drawn in blocks of 1000 and handed out by the server itself (see docs/DESIGN.md).
CREATE SEQUENCE event_ids START WITH 1 INCREMENT BY 1000 NOCACHE;

CREATE TABLE events (
    id BIGINT NOT NULL PRIMARY KEY,
    type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    room_id BIGINT NULL,
    user_id BIGINT NULL,
    -- The user whose membership of room_id this event starts or ends (member.* events).
    subject_id BIGINT NULL,
    payload MEDIUMTEXT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    KEY events_room (room_id, id),
    KEY events_user (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What the log no longer holds: a cursor below pruned_through must resync.
CREATE TABLE event_log_state (
    id TINYINT NOT NULL PRIMARY KEY,
    pruned_through BIGINT NOT NULL
) ENGINE=InnoDB;

INSERT INTO event_log_state (id, pruned_through) VALUES (1, 0);

-- The default public room every new account joins.
INSERT INTO rooms (id, kind, name, topic, created_at) VALUES (1, 'public', 'main', 'Everyone is here.', NOW(3));
