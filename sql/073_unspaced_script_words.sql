-- Message and file-name search finds words of Chinese and Japanese (see docs/DECISIONS.md, "Search"):
-- those scripts are written without spaces, so a whole run of Han and kana was one indexed word and
-- only its start was found ("会议" in "明天的会议取消" never was). As MySQL's ngram parser does (MariaDB
-- has none), each such character now starts an indexed word of itself and the next one, so a run is
-- indexed as its overlapping pairs ("明天 天的 的会 会议 议取 取消 消"); a query's run becomes the
-- phrase of its pairs (`MessageService`'s `SearchQuery`). The characters: the iteration marks 々 and
-- 〇, hiragana and katakana (with ー), the CJK ideograph blocks of the first plane and half-width
-- katakana. Both columns are rebuilt once: `messages.text_words` is a stored column (its FULLTEXT index is
-- rebuilt with it), `files.name_words` is written by the server on every share. A character becomes about
-- four (" 会议 "), so both columns grow: a message's words to MEDIUMTEXT (4,000 characters may be 16,000
-- code points, eight bytes each here, past TEXT's 64 KiB), a file name's to TEXT (past VARCHAR(255) at 63
-- characters of Han). A database made since has both definitions from sql/033 and sql/070 already, and is not
-- rebuilt again: each rebuild of a full-text index is slow, and a test run makes hundreds of databases at once.
DELIMITER //
BEGIN NOT ATOMIC
    IF (SELECT DATA_TYPE FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'files' AND COLUMN_NAME = 'name_words') <> 'text' THEN
        ALTER TABLE files MODIFY COLUMN name_words TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT '';
    END IF;
    IF (SELECT DATA_TYPE FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'messages' AND COLUMN_NAME = 'text_words') <> 'mediumtext' THEN
        ALTER TABLE messages
            MODIFY COLUMN text_words MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
                AS (REGEXP_REPLACE(REGEXP_REPLACE(text, '[^\\p{L}\\p{N}\\p{M}]+', ' '),
                    '([\\x{3005}\\x{3007}\\x{3041}-\\x{30FF}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}\\x{FF66}-\\x{FF9F}])(?=([\\x{3005}\\x{3007}\\x{3041}-\\x{30FF}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}\\x{FF66}-\\x{FF9F}])?)',
                    ' \\1\\2 ')) STORED;
    END IF;
END//
DELIMITER ;

UPDATE files SET name_words = REGEXP_REPLACE(REGEXP_REPLACE(name, '[^\\p{L}\\p{N}\\p{M}]+', ' '),
    '([\\x{3005}\\x{3007}\\x{3041}-\\x{30FF}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}\\x{FF66}-\\x{FF9F}])(?=([\\x{3005}\\x{3007}\\x{3041}-\\x{30FF}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{F900}-\\x{FAFF}\\x{FF66}-\\x{FF9F}])?)',
    ' \\1\\2 ');
