-- Pictures among shared files (see docs/DECISIONS.md, "Files"): their size in pixels as shown,
-- read from the header at upload, and a thumbnail (WebP, at most 800 pixels a side) made then.
-- Files shared before this migration are `examined` by the server in the background after it
-- starts (it reads their first bytes, and makes the thumbnail of a picture); later ones at upload.
ALTER TABLE files ADD COLUMN width INT NULL, ADD COLUMN height INT NULL, ADD COLUMN examined BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE files ALTER COLUMN examined SET DEFAULT TRUE, ADD KEY files_unexamined (examined, id);

CREATE TABLE file_thumbnails (
    file_id BIGINT NOT NULL PRIMARY KEY,
    content_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    width INT NOT NULL,
    height INT NOT NULL,
    data MEDIUMBLOB NOT NULL,
    CONSTRAINT file_thumbnails_file_fk FOREIGN KEY (file_id) REFERENCES files (id) ON DELETE CASCADE
) ENGINE=InnoDB;
