-- Link previews' pictures (see docs/DECISIONS.md, "Link previews"): a page's `og:image` made at
-- most 400 pixels a side as WebP by the server, kept once by the SHA-256 of those bytes and served
-- by Parley, so that readers' browsers never fetch from the linked site.
CREATE TABLE preview_images (
    hash BINARY(32) NOT NULL PRIMARY KEY,
    data MEDIUMBLOB NOT NULL,
    width INT NOT NULL,
    height INT NOT NULL,
    created_at DATETIME(3) NOT NULL
) ENGINE=InnoDB;
