import Foundation
import Hummingbird
import MariaDB

/// Password reset links: Parley sends no mail, so a site admin makes a link for someone who forgot
/// their password and hands it over (`createPasswordReset`); whoever opens it sees whose password
/// it sets (`previewPasswordReset`) and sets a new one (`usePasswordReset`), which ends every
/// session of that account.
struct PasswordResetController {
    let accounts: AccountService
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/admin/users/:user/password-reset", use: create)
        router.get("/api/password-resets/:code", use: preview)
        router.post("/api/password-resets/:code", use: use)
    }

    static let notFound = ParleyError(
        .notFound, "reset_not_found", "This password reset link is not valid: it may have expired, been used, or been replaced by a newer one.")
    /// How long a link works: one day.
    static let lifetimeSeconds = 24 * 3600

    struct Reset: Encodable {
        /// Only in the answer to the site admin who made it.
        let code: String?
        let user: UserSummary
        let expiresAt: Date

        enum CodingKeys: String, CodingKey { case code, user, expiresAt }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(code, forKey: .code)
            try c.encode(user, forKey: .user)
            try c.encode(expiresAt, forKey: .expiresAt)
        }
    }

    struct ResetAnswer: ResponseEncodable {
        let reset: Reset
    }

    /// [createPasswordReset] A new link for the user (replacing any earlier one), valid for a day;
    /// 201 with the code, shown this once.
    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<ResetAnswer> {
        let session = try AdminController.requireSiteAdmin(context)
        let userID = try RoomController.id(context, "user")
        let code = SessionService.randomHex(bytes: 16)
        let reset = try await accounts.users.pool.transaction { c in
            // The admins' rows before the account's, as a deactivation takes them: the other way
            // round, the link's row (which names its maker) waited for a deactivating admin who
            // waited for this account (a deadlock, a hunt: 3 of 20). A demoted admin makes none.
            try AdminController.lockActiveAdmins(c, actor: session.user.id)
            guard let row = try c.query("SELECT id, username, display_name, avatar FROM users WHERE id = ? FOR UPDATE", [userID]).first else {
                throw ParleyError.notFound("user_not_found", "No user has id \(userID).")
            }
            // One link per user: a new one replaces the last.
            try c.execute("DELETE FROM password_resets WHERE user_id = ?", [userID])
            let id = try c.execute(
                """
                INSERT INTO password_resets (user_id, code_hash, created_by, created_at, expires_at)
                VALUES (?, ?, ?, NOW(3), NOW(3) + INTERVAL ? SECOND)
                """, [userID, SessionService.hash(code), session.user.id, Self.lifetimeSeconds]
            ).lastInsertID
            try ModerationService.record(c, room: nil, actor: session.user.id, action: "create_password_reset", user: userID)
            let expiresAt: Date = try c.query("SELECT expires_at FROM password_resets WHERE id = ?", [id])[0].decode("expires_at")
            return Reset(code: code, user: try UserSummary(row: row), expiresAt: expiresAt)
        }
        return EditedResponse(status: .created, headers: WebMiddleware.noStore, response: ResetAnswer(reset: reset))
    }

    /// The link's row for a code still usable (locked when `forUpdate`), or `reset_not_found`.
    /// A link works only while its maker is an active site admin (as a webhook posts only while its
    /// maker manages the room): an admin demoted or deactivated for abuse kept a way into every
    /// account they had made a link for, other admins' included, for a day (a hunt). Nor does it set
    /// the password of a deactivated account, which a reactivation would then open to whoever held it.
    private static func usable(_ c: MariaDBConnection, code: String, forUpdate: Bool = false) throws -> MariaDBRow {
        // Anything but a code's shape cannot be one (and is not hashed and looked up).
        guard SessionService.isCode(code) else { throw notFound }
        guard
            let row = try c.query(
                """
                SELECT r.id AS reset_id, r.expires_at, r.created_by, u.id, u.username, u.display_name, u.avatar
                FROM password_resets r JOIN users u ON u.id = r.user_id
                WHERE r.code_hash = ? AND r.expires_at > NOW(3) AND u.deactivated_at IS NULL\(forUpdate ? " FOR UPDATE" : "")
                """, [SessionService.hash(code)]
            ).first
        else { throw notFound }
        // (Read apart, without a lock: locking the maker's row too, the use could deadlock with a
        // deactivation, which takes every active admin's row first.)
        let maker: Int64 = try row.decode("created_by")
        guard try !c.query("SELECT 1 FROM users WHERE id = ? AND site_role = 'admin' AND deactivated_at IS NULL", [maker]).isEmpty else { throw notFound }
        return row
    }

    /// [previewPasswordReset] Whose password the link sets, and until when it works. No session needed.
    func preview(request: Request, context: AppRequestContext) async throws -> ResetAnswer {
        let code = context.parameters.get("code") ?? ""
        let row = try await accounts.users.pool.withConnection { c in try Self.usable(c, code: code) }
        return ResetAnswer(reset: Reset(code: nil, user: try UserSummary(row: row), expiresAt: try row.decode("expires_at")))
    }

    struct UseBody: Decodable {
        let password: String
    }

    /// [usePasswordReset] Sets the account's new password and uses up the link; every session of
    /// the account ends (log in again with the new password). Rate limited per address like a login.
    func use(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let code = context.parameters.get("code") ?? ""
        let body = try await request.decodeJSON(as: UseBody.self, context: context, limit: maxBodyBytes)
        // A link that cannot work is told before the password is judged or hashed; the hashing is
        // what the rate limit spares.
        _ = try await accounts.users.pool.withConnection { c in try Self.usable(c, code: code) }
        try accounts.limits.loginPerIP.consume(context.clientAddress ?? "unknown")
        try AccountRules.validatePassword(body.password)
        let hash = try await accounts.hasher.hash(body.password)
        let userID = try await accounts.users.pool.transaction { c in
            let row = try Self.usable(c, code: code, forUpdate: true)
            let userID: Int64 = try row.decode("id")
            try c.execute("DELETE FROM password_resets WHERE id = ?", [try row.decode("reset_id", as: Int64.self)])
            try c.execute("UPDATE users SET password_hash = ? WHERE id = ?", [hash, userID])
            try c.execute("DELETE FROM sessions WHERE user_id = ?", [userID])
            try ModerationService.record(c, room: nil, actor: userID, action: "reset_password", user: userID)
            return userID
        }
        await accounts.sessions.endAll(userID: userID)
        return .noContent
    }
}
