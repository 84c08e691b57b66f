-- Edit history (see docs/DECISIONS.md, "Edit history"): each text a message had before an edit,
-- with when it was replaced. Deleting the message deletes its history.
CREATE TABLE message_edits (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    message_id BIGINT NOT NULL,
    text TEXT NOT NULL,
    replaced_at DATETIME(3) NOT NULL,
    KEY message_edits_message (message_id, id),
    CONSTRAINT message_edits_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
