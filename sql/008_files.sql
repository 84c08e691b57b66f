-- Files shared in rooms (see docs/DECISIONS.md, "Files"). A file's bytes are stored in chunks of
-- at most 1 MiB, each keyed by its SHA-256, so identical chunks (and identical files) are stored
-- once. Chunks are written as an upload streams in; the file row, its chunk list and the message
-- that shares it are written together when the upload is complete. A chunk no file refers to is
-- removed by a sweeper once it has been unreferenced for an hour (an upload in progress renews
-- its chunks' `touched_at`).
CREATE TABLE file_chunks (
    sha256 BINARY(32) NOT NULL PRIMARY KEY,
    size INT NOT NULL,
    data MEDIUMBLOB NOT NULL,
    touched_at DATETIME(3) NOT NULL,
    KEY file_chunks_touched (touched_at)
) ENGINE=InnoDB;

CREATE TABLE files (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT NOT NULL,
    uploader_id BIGINT NOT NULL,
    message_id BIGINT NULL,
    name VARCHAR(255) NOT NULL,
    content_type VARCHAR(255) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    size BIGINT NOT NULL,
    sha256 BINARY(32) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    KEY files_room (room_id),
    UNIQUE KEY files_message (message_id),
    CONSTRAINT files_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT files_uploader_fk FOREIGN KEY (uploader_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT files_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE file_parts (
    file_id BIGINT NOT NULL,
    seq INT NOT NULL,
    chunk_sha256 BINARY(32) NOT NULL,
    byte_offset BIGINT NOT NULL,
    size INT NOT NULL,
    PRIMARY KEY (file_id, seq),
    KEY file_parts_chunk (chunk_sha256),
    CONSTRAINT file_parts_file_fk FOREIGN KEY (file_id) REFERENCES files (id) ON DELETE CASCADE,
    CONSTRAINT file_parts_chunk_fk FOREIGN KEY (chunk_sha256) REFERENCES file_chunks (sha256)
) ENGINE=InnoDB;

-- The shared file as clients see it (JSON: id, name, size, content_type, url), like the reaction
-- summary: every read of a message carries it without a join. NULL for a message without one.
ALTER TABLE messages ADD COLUMN file_summary TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
