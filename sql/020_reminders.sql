-- Reminders (see docs/DECISIONS.md, "Reminders"): "remind me about this message" at a time; when
-- it comes, the reminder becomes a notification (reason `reminder`) and is deleted.
CREATE TABLE reminders (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    remind_at DATETIME(3) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    KEY reminders_due (remind_at),
    KEY reminders_user (user_id, remind_at),
    CONSTRAINT reminders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT reminders_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB;

ALTER TABLE notifications MODIFY reason ENUM('dm', 'mention', 'room_mention', 'all', 'reply', 'reminder') NOT NULL;
