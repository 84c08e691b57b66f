-- A post checks, under the room's lock, what moderation may have changed a moment before (see
-- docs/DECISIONS.md, "Races between requests"): `post_message` as in sql/068, inserting nothing
-- when the room is archived, when only moderators and up post there and the sender is not one, or
-- when the sender is muted there. The server checks these first in memory, but its copies change
-- after the change commits: a post checked just before a mute, an archive or a demotion committed
-- could be inserted after it (a black-box hunt saw 1-5 posts after `member.muted` in 8-12 runs of
-- 15). A mute, an archive, a policy change and a role change all hold the room's row, which the
-- insert's `SELECT` reads first, so it waits for them and then reads what they wrote. Nothing is
-- inserted: the server takes its full path, which reads the same under the same lock and refuses.
DROP PROCEDURE IF EXISTS post_message;

DELIMITER //
CREATE PROCEDURE post_message(
    IN p_event_id BIGINT,
    IN p_room_id BIGINT,
    IN p_sender_id BIGINT,
    IN p_text TEXT CHARACTER SET utf8mb4,
    IN p_client_id VARCHAR(64) CHARACTER SET ascii,
    IN p_at DATETIME(3),
    IN p_payload_head MEDIUMTEXT CHARACTER SET utf8mb4,
    IN p_payload_tail MEDIUMTEXT CHARACTER SET utf8mb4
)
MODIFIES SQL DATA
BEGIN
    DECLARE message_id BIGINT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    -- The room's row first, then the member's (both shared, as INSERT … SELECT reads them; the
    -- join's order is forced): the member's row first deadlocked with a role change, kick or ban,
    -- which hold the room's row and then want the member's. This way a post waits for them, or
    -- they for it.
    INSERT INTO messages (id, room_id, sender_id, text, reply_to, client_id, created_at, mention_ids, mentions_room)
        SELECT p_event_id, p_room_id, p_sender_id, p_text, NULL, p_client_id, p_at, '', 0
        FROM rooms r STRAIGHT_JOIN room_members m ON m.room_id = r.id AND m.user_id = p_sender_id
        WHERE r.id = p_room_id AND r.archived_at IS NULL
            AND (r.post_policy = 'everyone' OR m.role IN ('owner', 'admin', 'moderator'))
            AND NOT EXISTS (
                SELECT 1 FROM room_mutes u WHERE u.room_id = r.id AND u.user_id = p_sender_id AND (u.expires_at IS NULL OR u.expires_at > p_at));
    IF ROW_COUNT() = 1 THEN
        SET message_id = p_event_id;
        INSERT INTO events (id, type, room_id, user_id, subject_id, payload, created_at)
            VALUES (p_event_id, 'message.created', p_room_id, NULL, NULL, CONCAT(p_payload_head, message_id, p_payload_tail), p_at);
        COMMIT;
    ELSE
        ROLLBACK;
    END IF;
    SELECT message_id;
END //
DELIMITER ;
