-- Message search finds words inside `snake_case` and other joined text (see docs/DECISIONS.md,
-- "Search"): the full-text parser keeps `_` inside a word, so "snake_case_identifier" was one
-- indexed word that neither "case" nor the whole of it (split by the query's words) found, while the
-- API promises that words are runs of letters and digits. As files' names (sql/033), the index is now
-- on the text's words: a stored column where every run of characters that are not letters, digits or
-- combining marks is one space. The column is computed by the server on every insert and edit (the
-- posting procedure is unchanged); a deleted message's text is NULL and so are its words. One
-- statement: the table is rebuilt once. (Since sql/073 the column is MEDIUMTEXT and also splits Chinese and
-- Japanese into pairs of characters: a database made since gets that definition here, and 073 leaves it as it is,
-- so a new database builds the full-text index once rather than twice. One made before got the first definition,
-- which 073 replaces.)
ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS text_words MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
        AS (REGEXP_REPLACE(REGEXP_REPLACE(text, '[^\\p{L}\\p{N}\\p{M}]+', ' '),
            '([\\x{3005}\\x{3007}\\x{3041}-\\x{30FF}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}\\x{FF66}-\\x{FF9F}])(?=([\\x{3005}\\x{3007}\\x{3041}-\\x{30FF}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}\\x{FF66}-\\x{FF9F}])?)',
            ' \\1\\2 ')) STORED,
    DROP INDEX IF EXISTS messages_text,
    ADD FULLTEXT INDEX IF NOT EXISTS messages_text_words (text_words);
