-- Message search finds words inside `snake_case` and other joined text (see docs/DECISIONS.md,
-- "Search"): the full-text parser keeps `_` inside a word, so "snake_case_identifier" was one
-- indexed word that neither "case" nor the whole of it (split by the query's words) found, while the
-- API promises that words are runs of letters and digits. As files' names (sql/033), the index is now
-- on the text's words: a stored column where every run of characters that are not letters, digits or
-- combining marks is one space. The column is computed by the server on every insert and edit (the
-- posting procedure is unchanged); a deleted message's text is NULL and so are its words. One
-- statement: the table is rebuilt once.
ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS text_words TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        AS (REGEXP_REPLACE(text, '[^\\p{L}\\p{N}\\p{M}]+', ' ')) STORED,
    DROP INDEX IF EXISTS messages_text,
    ADD FULLTEXT INDEX IF NOT EXISTS messages_text_words (text_words);
