-- Following threads (see docs/DECISIONS.md, "Threads"): who hears of a thread's new replies, as
-- Slack's and Mattermost's followed threads. A message's sender follows its thread, and so does
-- everyone who replies in it, until they unfollow it (`following` = 0 keeps that choice). A message
-- goes only with its room, which takes the rows with it.
CREATE TABLE thread_follows (
    root_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    following TINYINT(1) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (root_id, user_id),
    KEY thread_follows_user (user_id),
    CONSTRAINT thread_follows_root_fk FOREIGN KEY (root_id) REFERENCES messages (id) ON DELETE CASCADE,
    CONSTRAINT thread_follows_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The threads that exist: their messages' senders and everyone who replied follow them.
INSERT IGNORE INTO thread_follows (root_id, user_id, following, updated_at)
SELECT DISTINCT r.id, r.sender_id, 1, NOW(3) FROM messages r JOIN messages m ON m.reply_to = r.id;
INSERT IGNORE INTO thread_follows (root_id, user_id, following, updated_at)
SELECT DISTINCT m.reply_to, m.sender_id, 1, NOW(3) FROM messages m WHERE m.reply_to IS NOT NULL AND m.webhook_summary IS NULL;

-- A reply in a followed thread notifies its followers.
ALTER TABLE notifications MODIFY reason ENUM('dm', 'mention', 'room_mention', 'all', 'reply', 'reminder', 'here_mention', 'keyword', 'thread') NOT NULL;
