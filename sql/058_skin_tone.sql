-- The skin tone a user gives the emoji that take one (see docs/DECISIONS.md, "Skin tones"): 0 for
-- none (the emoji's own yellow), 1–5 for the five Fitzpatrick modifiers U+1F3FB–U+1F3FF. A display
-- setting kept with the account, as Slack's is, so that every device picks in the same tone.
ALTER TABLE users ADD COLUMN skin_tone TINYINT UNSIGNED NOT NULL DEFAULT 0,
    ADD CONSTRAINT users_skin_tone CHECK (skin_tone <= 5);
