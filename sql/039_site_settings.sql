-- Site settings (see docs/DECISIONS.md, "Site settings"), changed by site admins: whether anyone
-- may create an account or only site admins make them (`registration`), who creates public rooms
-- (`public_rooms`) and who adds custom emoji (`custom_emoji`). One row, read where each applies.
CREATE TABLE site_settings (
    id TINYINT NOT NULL PRIMARY KEY,
    registration ENUM('open', 'closed') NOT NULL DEFAULT 'open',
    public_rooms ENUM('everyone', 'admins') NOT NULL DEFAULT 'everyone',
    custom_emoji ENUM('everyone', 'admins') NOT NULL DEFAULT 'everyone',
    CONSTRAINT site_settings_one_row CHECK (id = 1)
) ENGINE=InnoDB;

INSERT INTO site_settings (id) VALUES (1);
