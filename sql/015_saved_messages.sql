-- Saved messages (see docs/DECISIONS.md, "Saved messages"): each user's private bookmarks, newest
-- saved first by `id`. They go with the message's room (its messages go with it) and the user.
CREATE TABLE saved_messages (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    saved_at DATETIME(3) NOT NULL,
    UNIQUE KEY saved_messages_user (user_id, message_id),
    KEY saved_messages_message (message_id),
    CONSTRAINT saved_messages_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT saved_messages_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB;
