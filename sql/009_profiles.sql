-- Profiles: a short text about oneself, shown on one's profile (GET /api/users/{user}).
ALTER TABLE users ADD COLUMN bio VARCHAR(500) NULL;
