-- Message search: a full-text index on the text (deleted messages have none). Adding the first
-- FULLTEXT index rebuilds the table once. The embedded server indexes words of two or more
-- characters and has no stop words (see MariaDBServerProcess); another server uses its own
-- settings (innodb_ft_min_token_size, innodb_ft_enable_stopword), and words shorter than its
-- minimum are left out of queries.
ALTER TABLE messages ADD FULLTEXT INDEX messages_text (text);
