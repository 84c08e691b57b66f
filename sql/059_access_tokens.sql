-- Personal access tokens (see docs/DECISIONS.md, "Access tokens"): a session with a name, made by
-- its user for a script or a bot and used as a bearer token. Its expiry is fixed when it is made
-- (9999-12-31 for one that never expires) and does not slide; it ends as every session does
-- (revoked, the password changed or reset, the account deactivated). A token never used has a
-- last_used_at before its created_at (1970-01-01), so its first use is recorded at once.
ALTER TABLE sessions ADD COLUMN name VARCHAR(64) NULL AFTER user_id;
