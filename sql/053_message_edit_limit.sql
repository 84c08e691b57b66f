-- How long after sending a message its sender may edit it (see docs/DECISIONS.md, "Site settings"):
-- NULL, the default, at any time; 0 never; else that many minutes.
ALTER TABLE site_settings ADD COLUMN message_edit_minutes INT NULL;
