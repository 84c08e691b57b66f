-- Polls (see docs/DECISIONS.md, "Polls"): a poll is a message whose text is its question. Its
-- options, whether it takes several choices, whether it is closed, and its counts (with each
-- option's first 100 voters) are its summary (JSON), rewritten with every vote, like the reaction
-- summary: every read carries it without a join. The votes are rows, one per chosen option.
ALTER TABLE messages ADD COLUMN poll_summary TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;

CREATE TABLE poll_votes (
    message_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    option_index TINYINT UNSIGNED NOT NULL,
    voted_at DATETIME(3) NOT NULL,
    PRIMARY KEY (message_id, user_id, option_index),
    KEY poll_votes_user (user_id),
    CONSTRAINT poll_votes_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE,
    CONSTRAINT poll_votes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
