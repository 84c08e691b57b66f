-- Link previews (see docs/DECISIONS.md, "Link previews"): the title, description and site name of
-- the web pages a message links to, fetched by the server after the message is posted and kept
-- with the message as JSON, like its file, poll and webhook summaries.
ALTER TABLE messages ADD COLUMN preview_summary TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
