-- Reactions: one row per (message, emoji, user). `messages.reaction_summary` holds the message's
-- reactions as clients see them (a JSON array of {count, emoji, user_ids}, in the order each emoji
-- was first used), rewritten in the same transaction as every change to its rows, so every read
-- of a message carries its reactions without another query. NULL when there are none.
CREATE TABLE reactions (
    message_id BIGINT NOT NULL,
    emoji VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    user_id BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id),
    KEY reactions_user (user_id),
    CONSTRAINT reactions_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE,
    CONSTRAINT reactions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

ALTER TABLE messages ADD COLUMN reaction_summary TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
