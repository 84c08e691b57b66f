-- User groups (see docs/DECISIONS.md, "User groups"): named sets of people that one `@name`
-- mentions at once, as Slack's user groups, Mattermost's custom groups and Zulip's user groups. A
-- group's name follows the username rules and shares their namespace (the server checks both ways),
-- so `@name` means one thing. Anyone makes a group and joins or leaves one; its maker and site
-- admins rename it, add and remove others, and delete it.
CREATE TABLE user_groups (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- ASCII only (checked by the server), so utf8mb4_unicode_ci makes uniqueness case-insensitive, as for usernames.
    name VARCHAR(32) NOT NULL,
    description VARCHAR(800) NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    UNIQUE KEY user_groups_name (name),
    KEY user_groups_creator (created_by),
    CONSTRAINT user_groups_creator_fk FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE user_group_members (
    group_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    added_at DATETIME(3) NOT NULL,
    PRIMARY KEY (group_id, user_id),
    KEY user_group_members_user (user_id),
    CONSTRAINT user_group_members_group_fk FOREIGN KEY (group_id) REFERENCES user_groups (id) ON DELETE CASCADE,
    CONSTRAINT user_group_members_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- A group's mention names each of its members in the room, so a message may name many more people
-- than the 50 `@username`s it could before.
ALTER TABLE messages MODIFY mention_ids MEDIUMTEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';
