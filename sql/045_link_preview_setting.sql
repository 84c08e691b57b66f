-- Whether a user's clients show link previews (see docs/DECISIONS.md, "Link previews"): a display
-- setting kept with the account, as Mattermost's and Zulip's are, so that every device follows it.
ALTER TABLE users ADD COLUMN show_link_previews BOOLEAN NOT NULL DEFAULT TRUE;
