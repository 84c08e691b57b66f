-- Custom emoji (see docs/DECISIONS.md, "Custom emoji"): a picture with a short name, used as
-- `:name:` in messages and as a reaction. The picture is stored as sent when it is small enough
-- (an animated GIF keeps moving), else shrunk to fit 128 pixels, as WebP; `version` (16 hex digits
-- of its SHA-256) makes its URL cacheable for good. Everyone sees every custom emoji of the site.
CREATE TABLE custom_emoji (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    content_type VARCHAR(32) NOT NULL,
    data MEDIUMBLOB NOT NULL,
    version CHAR(16) NOT NULL,
    created_by BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    UNIQUE KEY custom_emoji_name (name),
    KEY custom_emoji_creator (created_by),
    CONSTRAINT custom_emoji_creator_fk FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
