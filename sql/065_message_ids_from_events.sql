-- A message's id is the id of its `message.created` event (see docs/DECISIONS.md, "Message ids
-- follow the event log"): handed out by the server in increasing order, and known to be in flight
-- until the transaction ends, so a reader of `after=` is never shown a message while one with a
-- lower id may still commit. The event sequence first moves past every message id there is, so
-- new messages keep coming after the old ones.
SET @top_message = (SELECT COALESCE(MAX(id), 0) FROM messages);
SET @move_events = CONCAT('SELECT SETVAL(event_ids, ', @top_message, ')');
PREPARE move_events FROM @move_events;
EXECUTE move_events;
DEALLOCATE PREPARE move_events;

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
    INSERT INTO messages (id, room_id, sender_id, text, reply_to, client_id, created_at, mention_ids, mentions_room)
        SELECT p_event_id, p_room_id, p_sender_id, p_text, NULL, p_client_id, p_at, '', 0
        FROM room_members WHERE room_id = p_room_id AND user_id = p_sender_id;
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
