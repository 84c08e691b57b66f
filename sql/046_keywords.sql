-- Keywords that notify a user like a mention (see docs/DECISIONS.md, "Keywords"), as Slack's "My
-- keywords", Mattermost's "words that trigger mentions" and Zulip's alert words: private to the user.
CREATE TABLE user_keywords (
    user_id BIGINT NOT NULL,
    keyword VARCHAR(64) NOT NULL,
    -- The order the user gave them in.
    position INT NOT NULL,
    PRIMARY KEY (user_id, keyword),
    CONSTRAINT user_keywords_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A keyword's notification says so.
ALTER TABLE notifications MODIFY reason ENUM('dm', 'mention', 'room_mention', 'all', 'reply', 'reminder', 'here_mention', 'keyword') NOT NULL;
