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

    func register(username: String, password: String, displayName: String?, ip: String?) async throws -> User {
        try limits.registerPerIP.consume(ip ?? "unknown")
        try limits.registerPerUser.consume(username.lowercased())
        try AccountRules.validateUsername(username)
        try AccountRules.validatePassword(password)
        let name = try AccountRules.normalizeDisplayName(displayName ?? username)
        let hash = try await hasher.hash(password)
        let users = self.users
        let rooms = self.rooms
        do {
            // Every new account joins `main`, announced in the same transaction.
            return try await log.transaction { c, events in
                let user = try users.insert(c, username: username, displayName: name, passwordHash: hash)
                try RoomService.joinMain(rooms, c, events, user: user)
                return user
            }
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw ParleyError(.conflict, "username_taken", "The username \(username) is taken.")
        }
    }

    func login(username: String, password: String, userAgent: String?, ip: String?) async throws -> (token: String, session: SessionStore.Row) {
        try limits.loginPerIP.consume(ip ?? "unknown")
        try limits.loginPerUser.consume(username.lowercased())
        let invalid = ParleyError(.unauthorized, "invalid_credentials", "Wrong username or password.")
        // Unknown users and unusable passwords still cost one bcrypt verification, so timing reveals nothing.
        let credentials = username.utf8.count <= 32 ? try await users.credentials(username: username) : nil
        let usable = password.utf8.count <= PasswordHasher.maxPasswordBytes && !password.utf8.contains(0)
        let matches = try await hasher.verify(usable ? password : "-", against: credentials?.passwordHash ?? decoyHash)
        guard let credentials, usable, matches else { throw invalid }
        guard !credentials.deactivated else {
            throw ParleyError(.forbidden, "account_deactivated", "This account has been deactivated by a site admin.")
        }
        return try await sessions.create(userID: credentials.user.id, userAgent: userAgent, ip: ip)
    }

    func changePassword(session: AuthenticatedSession, current: String, new: String) async throws {
        try limits.loginPerUser.consume(session.user.username.lowercased())
        guard let hash = try await users.passwordHash(userID: session.user.id) else { throw ParleyError.unauthenticated }
        guard current.utf8.count <= PasswordHasher.maxPasswordBytes, try await hasher.verify(current, against: hash) else {
            throw ParleyError(.forbidden, "wrong_password", "The current password is wrong.")
        }
        try AccountRules.validatePassword(new)
        let newHash = try await hasher.hash(new)
        try await users.changePassword(userID: session.user.id, newHash: newHash, keepingSession: session.id)
        sessions.ended(userID: session.user.id, keeping: session.id)
    }
}
