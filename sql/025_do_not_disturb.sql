-- Do not disturb (see docs/DECISIONS.md, "Signals"): until when the user paused notifications, on
-- every device; NULL when they did not (a time past counts as none).
ALTER TABLE users ADD COLUMN dnd_until DATETIME(3) NULL;
