-- Slow mode's turns outlive membership (see docs/DECISIONS.md, "Slow mode"): leaving a slowed room
-- and joining again must not buy a new turn, so the time of a member's last post there is kept in
-- a table of its own rather than on their `room_members` row, which leaving deletes. A room's rows
-- go when its slow mode is turned off, or with the room.
CREATE TABLE slow_mode_turns (
    room_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    last_posted_at DATETIME(3) NOT NULL,
    PRIMARY KEY (room_id, user_id),
    CONSTRAINT slow_mode_turns_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT slow_mode_turns_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

INSERT INTO slow_mode_turns (room_id, user_id, last_posted_at)
SELECT m.room_id, m.user_id, m.last_posted_at FROM room_members m JOIN rooms r ON r.id = m.room_id
WHERE m.last_posted_at IS NOT NULL AND r.slow_mode_seconds > 0;

ALTER TABLE room_members DROP COLUMN last_posted_at;
