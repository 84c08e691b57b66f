-- A thread_follows row that holds only a read mark makes no choice about following (see
-- docs/DECISIONS.md, "Threads"): reading a thread one does not follow kept `following` = 0, which
-- then read as "unfollowed it", so a later mention did not make them follow. NULL now says that no
-- choice was made; a mention or the root's sender's first reply makes such a row follow.
ALTER TABLE thread_follows MODIFY following TINYINT(1) NULL;
