-- People a user has blocked (see docs/DECISIONS.md, "Blocking"): no new DM between the two, no
-- posting in their DM, and no notification of the blocked person's messages.
CREATE TABLE user_blocks (
    user_id BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    created_at DATETIME(3) NOT NULL,
    PRIMARY KEY (user_id, blocked_id),
    KEY user_blocks_blocked (blocked_id),
    CONSTRAINT user_blocks_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_blocks_blocked_fk FOREIGN KEY (blocked_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
