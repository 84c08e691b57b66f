-- Drafts (see docs/DECISIONS.md, "Drafts"): what a user left unsent in a room's message box, kept
-- on the server so that it follows them to their other devices, as Slack, Mattermost and Zulip
-- sync drafts. One per user and room; listed only while they are a member.
CREATE TABLE drafts (
    user_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    text TEXT NOT NULL,
    reply_to BIGINT NULL,
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (user_id, room_id),
    KEY drafts_room (room_id),
    KEY drafts_reply (reply_to),
    CONSTRAINT drafts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT drafts_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT drafts_reply_fk FOREIGN KEY (reply_to) REFERENCES messages (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
