-- A post takes its room's row before its member's row (see docs/DECISIONS.md, "Races between
-- requests"): `post_message` as in sql/065, with a shared lock on the room first. Moderation (a
-- role change, a kick, a ban, leaving) locks the room's row and then the member's; the post's
-- insert held the member's row (INSERT … SELECT) and then wanted the room's (its foreign key), and
-- a black-box hunt saw role changes fail with 503 after three deadlocks in a row.
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
        FROM rooms r STRAIGHT_JOIN room_members m ON m.room_id = r.id AND m.user_id = p_sender_id WHERE r.id = p_room_id;
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
