-- A reply notifies the sender of the message it answers (see docs/DECISIONS.md, "Threads").
ALTER TABLE notifications MODIFY reason ENUM('dm', 'mention', 'room_mention', 'all', 'reply') NOT NULL;
