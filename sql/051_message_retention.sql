-- Message retention (see docs/DECISIONS.md, "Message retention"): a site admin may have messages
-- deleted for good once they are this many days old (NULL: kept for ever, the default).
ALTER TABLE site_settings ADD COLUMN message_retention_days INT NULL;
