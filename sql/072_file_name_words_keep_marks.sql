-- File-name search finds names whose words hold combining marks (see docs/DECISIONS.md, "Search"):
-- `files.name_words` (sql/033) made every character that is not a letter or digit a space, marks
-- included, so a name in Hindi, Thai or Tamil (or with an accent written apart, as macOS writes
-- names) was indexed in pieces and never found. The server now keeps marks, as message text does
-- (sql/070); the names already shared are split again the same way.
UPDATE files SET name_words = REGEXP_REPLACE(name, '[^\\p{L}\\p{N}\\p{M}]+', ' ');
