-- Limits are counted in characters as people see them (a letter with its accent written apart is
-- one), columns in code points: a webhook name of 64 such letters (128 code points) or a bio of
-- 500 (up to 2,000, as the check allows) did not fit and answered 500. Room names already had this
-- room (64 characters, at most 255 code points).
ALTER TABLE webhooks MODIFY name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL;
ALTER TABLE users MODIFY bio VARCHAR(2000) NULL;
