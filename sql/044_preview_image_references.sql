-- Which messages show which link-preview pictures (see docs/DECISIONS.md, "Link previews"), so that
-- a picture no message shows any more can be swept. A row goes with its message's previews: an
-- edit that changes the links, their removal, the message's deletion, or its room's.
CREATE TABLE message_preview_images (
    message_id BIGINT NOT NULL,
    hash BINARY(32) NOT NULL,
    PRIMARY KEY (message_id, hash),
    KEY message_preview_images_hash (hash),
    CONSTRAINT message_preview_images_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- The pictures shown so far.
INSERT IGNORE INTO message_preview_images (message_id, hash)
SELECT m.id, UNHEX(SUBSTRING(p.image_url, 22, 64))
FROM messages m, JSON_TABLE(m.preview_summary, '$[*]' COLUMNS (image_url VARCHAR(255) PATH '$.image_url')) p
WHERE m.preview_summary IS NOT NULL AND p.image_url LIKE '/api/previews/images/%';

-- When a picture was last stored: one read again (the same bytes) is young again, so the sweep
-- never takes a picture that a preview being written is about to name.
ALTER TABLE preview_images RENAME COLUMN created_at TO touched_at;
ALTER TABLE preview_images ADD KEY preview_images_touched (touched_at);
