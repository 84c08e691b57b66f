import Foundation
import MariaDB

/// The account rules: registration, login, password changes and session management.
struct AccountService: Sendable {
    let users: UserStore
    let rooms: RoomStore
    let log: EventLog
    let sessions: SessionService
    let hasher: PasswordHasher
    let limits: AccountRateLimits
    /// A real bcrypt hash of a random password: logins for unknown users verify against it, so they
    /// take as long as a wrong password and do not reveal which usernames exist.
    let decoyHash: String

    struct AccountRateLimits: Sendable {
        let loginPerIP: RateLimiter
        let loginPerUser: RateLimiter
        let registerPerIP: RateLimiter
        let registerPerUser: RateLimiter
    }

    /// A new account, unless the site's registration is closed. `createdBy`, a site admin making the
    /// account (`adminCreateUser`): also while registration is closed, without the registration rate
    /// limits, and recorded in the site log as `create_user`.
    func register(username: String, password: String, displayName: String?, ip: String?, createdBy admin: Int64? = nil) async throws -> User {
        if admin == nil {
            try limits.registerPerIP.consume(ip ?? "unknown")
            try limits.registerPerUser.consume(username.lowercased())
            // Before the password's hash is paid for; checked again under a lock below.
            guard try await SiteSettings.load(log.pool).registration == .open else { throw SiteSettings.registrationClosed }
        }
        try AccountRules.validateUsername(username)
        try AccountRules.validatePassword(password)
        let name = try AccountRules.normalizeDisplayName(displayName ?? username)
        let hash = try await hasher.hash(password)
        let users = self.users
        let rooms = self.rooms
        do {
            // Every new account joins `main`, announced in the same transaction.
            return try await log.transaction { c, events in
                // A shared lock of the settings' row, taken by every sign-up (`UserGroupController.lockNames`).
                let settings = try SiteSettings.load(c, lock: true)
                if admin == nil, settings.registration != .open { throw SiteSettings.registrationClosed }
                if try Self.isGroupName(c, username) { throw Self.usernameTaken(username) }
                let user = try users.insert(c, username: username, displayName: name, passwordHash: hash)
                try RoomService.joinMain(rooms, c, events, user: user)
                if let admin { try ModerationService.record(c, room: nil, actor: admin, action: "create_user", user: user.id) }
                return user
            }
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw Self.usernameTaken(username)
        }
    }

    /// Whether a user group has this name (taken for a username too: `@name` must mean one thing).
    /// A locking read, so a group being made with this name at the same moment is waited for and
    /// seen (a plain read would miss it and both would commit); `makeUserGroup` locks `users` the
    /// same way.
    static func isGroupName(_ c: MariaDBConnection, _ name: String) throws -> Bool {
        try !c.query("SELECT id FROM user_groups WHERE name = ? FOR UPDATE", [name]).isEmpty
    }

    static func usernameTaken(_ username: String) -> ParleyError {
        ParleyError(.conflict, "username_taken", "The username \(username) is taken.")
    }

    /// A session for the username and password, and, for an account with two-factor authentication,
    /// a `code` from its authenticator (or a recovery code).
    func login(username: String, password: String, code: String? = nil, userAgent: String?, ip: String?) async throws -> (
        token: String, session: SessionStore.Row
    ) {
        try limits.loginPerIP.consume(ip ?? "unknown")
        try limits.loginPerUser.consume(username.lowercased())
        let invalid = ParleyError(.unauthorized, "invalid_credentials", "Wrong username or password.")
        // Unknown users and unusable passwords still cost one bcrypt verification, so timing reveals nothing.
        // Only a username's own shape is looked up: the column's collation would also find the
        // account under `name  `, `ñame` or a full-width `ｎame`, each a spelling with its own
        // count above, multiplying the guesses at a password or a two-factor code.
        let credentials = AccountRules.isMentionName(username) ? try await users.credentials(username: username) : nil
        let usable = password.utf8.count <= PasswordHasher.maxPasswordBytes && !password.utf8.contains(0)
        let matches = try await hasher.verify(usable ? password : "-", against: credentials?.passwordHash ?? decoyHash)
        guard let credentials, usable, matches else { throw invalid }
        guard !credentials.deactivated else {
            throw ParleyError(.forbidden, "account_deactivated", "This account has been deactivated.")
        }
        try await TwoFactor.checkLogin(users.pool, userID: credentials.user.id, code: code)
        // The password changed (or the account was deactivated) while it was checked: the old one no longer logs in.
        guard let made = try await sessions.create(userID: credentials.user.id, passwordHash: credentials.passwordHash, userAgent: userAgent, ip: ip)
        else { throw invalid }
        return made
    }

    /// The caller's password asked again (to change it, deactivate, or change two-factor
    /// authentication): rate limited like a login; `wrong_password` with `wrong` when it is not theirs.
    /// Returns the hash it verified.
    @discardableResult
    func checkPassword(session: AuthenticatedSession, _ password: String, wrong: String = "The password is wrong.") async throws -> String {
        try limits.loginPerUser.consume(session.user.username.lowercased())
        guard let hash = try await users.passwordHash(userID: session.user.id) else { throw ParleyError.unauthenticated }
        guard password.utf8.count <= PasswordHasher.maxPasswordBytes, try await hasher.verify(password, against: hash) else {
            throw ParleyError(.forbidden, "wrong_password", wrong)
        }
        return hash
    }

    /// Changes the password when `current` is still the password: of two changes at once (two
    /// devices), the second finds its `current` replaced and is refused `wrong_password`, rather than
    /// answering success for a password that no longer works and revoking the first one's session.
    func changePassword(session: AuthenticatedSession, current: String, new: String) async throws {
        let wrong = ParleyError(.forbidden, "wrong_password", "The current password is wrong.")
        let verified = try await checkPassword(session: session, current, wrong: wrong.message)
        try AccountRules.validatePassword(new)
        let newHash = try await hasher.hash(new)
        guard try await users.changePassword(userID: session.user.id, from: verified, to: newHash, keepingSession: session.id) else { throw wrong }
        sessions.ended(userID: session.user.id, keeping: session.id)
    }

    /// Deactivates the caller's own account, as a site admin would: every session ends, streams
    /// close after `account.deactivated`, logging in is refused; memberships and messages stay, and
    /// a site admin may reactivate it. The password is asked again (rate limited like a login). The
    /// last active site admin cannot leave the server without one.
    func deactivateSelf(session: AuthenticatedSession, password: String) async throws {
        try await checkPassword(session: session, password)
        let user = session.user
        try await log.transaction { c, events in
            if user.siteRole == .admin {
                // Locked, so two admins leaving at once cannot both pass.
                let admins = try AdminController.activeAdminsLocked(c)
                guard admins.count > 1 || !admins.contains(user.id) else {
                    throw ParleyError(
                        .conflict, "last_site_admin",
                        "You are the only site admin: make another one (parley admin create) before deactivating your account.")
                }
            }
            _ = try Self.deactivate(c, events, userID: user.id, actor: user.id, action: "deactivate_self")
        }
        await sessions.endAll(userID: user.id)
    }

    /// Marks an account deactivated, deletes its sessions, logs who did it, tells the user's
    /// streams (`account.deactivated`) and settles the open reports of them; false when it already was. After the commit, end its streams
    /// with `SessionService.endAll`.
    static func deactivate(_ c: MariaDBConnection, _ events: EventAppender, userID: Int64, actor: Int64, action: String) throws -> Bool {
        // Every read before the account's row is updated is a locking one: the transaction's
        // snapshot is taken at its first plain read, and one taken before waiting for another
        // deactivation (the admins' rows, the account's row that a hand-over to it holds) missed
        // that one's changes. A hunt saw a room handed to B as B was deactivated stay B's, and two
        // members of a user group deactivated at once each send the group with the other still in.
        try UserGroupController.lockGroups(c, of: userID)
        // A post in one of their DMs that passed its check (`Blocks.checkDM`) holds the room's row
        // (shared) until it commits: waiting for it here puts it before `user.updated`, and a later
        // one reads the deactivation. As a block does, and for the same race.
        for row in try c.query(
            """
            SELECT m.room_id FROM room_members m JOIN rooms r ON r.id = m.room_id AND r.kind = 'dm' WHERE m.user_id = ? ORDER BY m.room_id
            LOCK IN SHARE MODE
            """, [userID])
        {
            _ = try c.query("SELECT id FROM rooms WHERE id = ? FOR UPDATE", [try row.decode("room_id", as: Int64.self)])
        }
        if actor != userID {
            // A site admin's act: every active admin locked, and the actor still among them, so two
            // admins deactivating (or demoting) each other at once cannot leave the server without one.
            try AdminController.lockActiveAdmins(c, actor: actor)
        }
        guard try c.execute("UPDATE users SET deactivated_at = NOW(3) WHERE id = ? AND deactivated_at IS NULL", [userID]).affectedRows == 1 else {
            return false
        }
        try c.execute("DELETE FROM sessions WHERE user_id = ?", [userID])
        // Their scheduled messages go (as openapi says), not only those that come due meanwhile: a
        // reactivated account would otherwise post what was queued before. No event: their streams end.
        // (Before the rooms are handed over: the sender of a due one holds its row, then the room's.)
        try c.execute("DELETE FROM scheduled_messages WHERE user_id = ?", [userID])
        try ModerationService.record(c, room: nil, actor: actor, action: action, user: userID)
        try events.append(EventType.accountDeactivated, userID: userID, payload: AdminController.DeactivatedEvent(userId: userID))
        // The people who share a room with them: member lists and a DM's composer change.
        try SignalController.UserUpdatedEvent.append(c, events, userID: userID, deactivated: true)
        try UserGroupController.memberChanged(c, events, userID: userID)
        // However it happens, reports of the person as such are settled by it.
        try ReportController.resolveAll(c, events, .user(userID), by: actor, as: .userDeactivated)
        try RoomService.handOverRooms(c, events, of: userID, by: actor)
        return true
    }
}
