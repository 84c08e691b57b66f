-- What each user has seen of their notifications (see docs/DECISIONS.md, "Signals"): the newest
-- notification id they marked seen, on any of their devices, so every client shows the same "new".
ALTER TABLE users ADD COLUMN notifications_seen_id BIGINT NOT NULL DEFAULT 0;
