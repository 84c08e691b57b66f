-- Group DMs (see docs/DECISIONS.md, "Rooms"): a DM of three to nine people, as Slack's multi-person
-- DMs, Mattermost's group messages and Zulip's group DMs. Its key is its members' ids, ascending,
-- joined by ':' as a two-person DM's always was; nine ids need more than 64 characters.
ALTER TABLE rooms MODIFY dm_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL;
