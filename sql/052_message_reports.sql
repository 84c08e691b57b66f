-- Reports of messages (see docs/DECISIONS.md, "Reports"): a member tells the room's moderators and
-- the site admins about a message, once per message. A report stays open until a moderator
-- dismisses it or the message is deleted; then every open report of that message is resolved.
CREATE TABLE message_reports (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    message_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    reporter_id BIGINT NOT NULL,
    reason ENUM('spam', 'harassment', 'inappropriate', 'other') NOT NULL,
    comment VARCHAR(1000) NULL,
    created_at DATETIME(3) NOT NULL,
    resolved_at DATETIME(3) NULL,
    resolved_by BIGINT NULL,
    resolution ENUM('dismissed', 'message_deleted') NULL,
    UNIQUE KEY message_reports_once (message_id, reporter_id),
    KEY message_reports_room (room_id, resolved_at),
    KEY message_reports_open (resolved_at, id),
    CONSTRAINT message_reports_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE,
    CONSTRAINT message_reports_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT message_reports_reporter_fk FOREIGN KEY (reporter_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT message_reports_resolver_fk FOREIGN KEY (resolved_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
