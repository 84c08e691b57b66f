-- Scheduled messages (see docs/DECISIONS.md, "Scheduled messages"): a message written now and
-- posted by the server at `send_at` through the normal posting path, with `client_id` (random,
-- made here) so that a send retried after a crash cannot post twice. `claimed_at` marks a send in
-- progress (a claim older than a minute is a crashed one and may be taken again); `failure_code`
-- and `failure_message` keep why a send was refused (the user left the room, was muted, …) until
-- the user reschedules or deletes it. They go with the user and the room.
CREATE TABLE scheduled_messages (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    text TEXT NOT NULL,
    reply_to BIGINT NULL,
    client_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    send_at DATETIME(3) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    claimed_at DATETIME(3) NULL,
    failure_code VARCHAR(64) NULL,
    failure_message VARCHAR(500) NULL,
    KEY scheduled_messages_due (send_at),
    KEY scheduled_messages_user (user_id, send_at),
    CONSTRAINT scheduled_messages_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT scheduled_messages_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT scheduled_messages_reply_fk FOREIGN KEY (reply_to) REFERENCES messages (id) ON DELETE SET NULL
) ENGINE=InnoDB;
