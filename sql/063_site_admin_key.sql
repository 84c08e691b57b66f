-- Every change of who administers the site (a demotion, a deactivation by an admin or of oneself)
-- locks the active admins' rows first. Without a key that read scanned, and so locked, every row of
-- `users` until the change committed, holding back each post (its foreign key reads its sender).
ALTER TABLE users ADD KEY users_site_role (site_role, deactivated_at);
