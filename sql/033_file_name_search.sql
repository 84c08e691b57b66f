-- Search finds files by name too (see docs/DECISIONS.md, "Search"). The full-text parser keeps
-- `_` and some other punctuation inside a word ("q3_report" would be one word, not found by
-- "report"), so the index is on the name's words: every run of characters that are not letters or
-- digits becomes one space, here for the files there are and on each insert after. A deleted
-- message has no file row, so its file's name is not found either.
-- (TEXT since sql/073, which widened it in databases made before: a database made since gets it here.)
ALTER TABLE files ADD COLUMN name_words TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '';
UPDATE files SET name_words = REGEXP_REPLACE(name, '[^\\p{L}\\p{N}]+', ' ');
ALTER TABLE files ADD FULLTEXT INDEX files_name_words (name_words);
