-- The common post in one round trip (see docs/DECISIONS.md, "Posting in one round trip"): the
-- message, inserted only if the sender is a member of the room, and its `message.created` event,
-- committed together. The server reserves the event id and renders the event's payload around the
-- message id, which only the insert learns. Returns the new message's id, or 0 when the sender is
-- not a member (nothing is written). An error rolls everything back and reaches the caller as is
-- (a repeated client_id is a duplicate key, as with a plain INSERT).
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
    INSERT INTO messages (room_id, sender_id, text, reply_to, client_id, created_at, mention_ids, mentions_room)
        SELECT p_room_id, p_sender_id, p_text, NULL, p_client_id, p_at, '', 0
        FROM room_members WHERE room_id = p_room_id AND user_id = p_sender_id;
    IF ROW_COUNT() = 1 THEN
        SET message_id = LAST_INSERT_ID();
        INSERT INTO events (id, type, room_id, user_id, subject_id, payload, created_at)
            VALUES (p_event_id, 'message.created', p_room_id, NULL, NULL, CONCAT(p_payload_head, message_id, p_payload_tail), p_at);
        COMMIT;
    ELSE
        ROLLBACK;
    END IF;
    SELECT message_id;
END //
DELIMITER ;
