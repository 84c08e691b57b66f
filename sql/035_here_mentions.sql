-- `@here` (see docs/DECISIONS.md, "@here"): a message that mentions the members who are online
-- and available when it is posted. `mentions_here` says that it counted; the members it reached
-- get a `mentions` row each (their unread "mentioned" flag) and a `here_mention` notification.
ALTER TABLE messages ADD COLUMN mentions_here TINYINT(1) NOT NULL DEFAULT 0;
ALTER TABLE notifications MODIFY reason ENUM('dm', 'mention', 'room_mention', 'all', 'reply', 'reminder', 'here_mention') NOT NULL;
