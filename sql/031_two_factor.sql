-- Two-factor authentication with time-based one-time codes (RFC 6238; see docs/DECISIONS.md,
-- "Two-factor authentication"). One key per user: set up (`confirmed_at` NULL) until a code from the
-- authenticator confirms it, then asked for at every login. `last_step` is the last 30-second step
-- whose code was accepted: a code works once. Recovery codes are kept as SHA-256 hashes (they are
-- random, 50 bits each) and each works once.
CREATE TABLE two_factor (
    user_id BIGINT NOT NULL PRIMARY KEY,
    secret VARBINARY(20) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    confirmed_at DATETIME(3) NULL,
    last_step BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT two_factor_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE two_factor_recovery (
    user_id BIGINT NOT NULL,
    code_hash BINARY(32) NOT NULL,
    PRIMARY KEY (user_id, code_hash),
    CONSTRAINT two_factor_recovery_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
