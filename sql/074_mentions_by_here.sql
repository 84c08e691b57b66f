-- Whom a message's `@here` reached (see docs/DECISIONS.md, "Signals": mention flags through edits). An
-- edit drops the "mentioned" flag of those it no longer names and whose keywords it no longer holds,
-- but not of those `@here` reached when it was posted: that stays as it was. Without knowing which flag
-- `@here` gave, an edit of a message holding it dropped nobody's, so a person named while offline kept
-- the flag of a name the edit took away, and a keyword's flag outlived the keyword (a hunt). The flags
-- of messages posted before this keep that rule: they count as `@here`'s when the message holds it.
ALTER TABLE mentions ADD COLUMN by_here BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE mentions n JOIN messages m ON m.id = n.message_id SET n.by_here = TRUE WHERE m.mentions_here = 1;
