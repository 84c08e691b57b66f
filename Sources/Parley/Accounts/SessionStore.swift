import Foundation
import MariaDB

/// The `sessions` table. Only a token's SHA-256 is stored.
struct SessionStore: Sendable {
    let pool: MariaDBPool

    struct Row: Sendable {
        let id: Int64
        let user: User
        let csrfToken: String
        let expiresAt: Date
        let lastUsedAt: Date
        /// A personal access token (a session with a name): bearer only, never a cookie.
        let isToken: Bool
    }

    /// A new session of the user, made only while the account still has `passwordHash` (the one the
    /// login checked) and is not deactivated: nil when a password change, reset or deactivation
    /// committed since (the sessions it ended would not include this one). The insert reads the
    /// user's row as it stands and locks it, so such a change waits for it and then ends it too.
    func create(userID: Int64, passwordHash: String, tokenHash: [UInt8], csrfToken: String, ttl: Duration, userAgent: String?, ip: String?)
        async throws -> Row?
    {
        let seconds = Int(ttl.components.seconds)
        return try await pool.transaction { connection in
            let inserted = try connection.execute(
                """
                INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, last_used_at, expires_at, user_agent, ip)
                SELECT id, ?, ?, NOW(3), NOW(3), NOW(3) + INTERVAL ? SECOND, ?, ? FROM users
                WHERE id = ? AND password_hash = ? AND deactivated_at IS NULL
                """, [tokenHash, csrfToken, seconds, userAgent, ip, userID, passwordHash])
            guard inserted.affectedRows == 1 else { return nil }
            return try connection.query(Self.selectByID, [inserted.lastInsertID]).first.map(Self.decode)
        }
    }

    private static let selectByID = """
        SELECT s.id AS session_id, s.csrf_token, s.expires_at, s.last_used_at, s.name IS NOT NULL AS is_token, u.id, u.username, u.display_name, u.site_role, u.created_at, u.avatar
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ?
        """

    /// The live session for a token hash, or nil when unknown or expired.
    func find(tokenHash: [UInt8]) async throws -> Row? {
        let rows = try await pool.query(
            """
            SELECT s.id AS session_id, s.csrf_token, s.expires_at, s.last_used_at, s.name IS NOT NULL AS is_token, u.id, u.username, u.display_name, u.site_role, u.created_at, u.avatar
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = ? AND s.expires_at > NOW(3) AND u.deactivated_at IS NULL
            """, [tokenHash])
        return try rows.first.map(Self.decode)
    }

    /// Records a use and slides the expiry forward from now (an access token's stays); returns the expiry.
    func touch(sessionID: Int64, ttl: Duration) async throws -> Date? {
        try await pool.transaction { connection in
            try connection.execute(
                """
                UPDATE sessions SET last_used_at = NOW(3), expires_at = IF(name IS NULL, NOW(3) + INTERVAL ? SECOND, expires_at)
                WHERE id = ?
                """, [Int(ttl.components.seconds), sessionID])
            return try connection.query("SELECT expires_at FROM sessions WHERE id = ?", [sessionID]).first?.decode("expires_at")
        }
    }

    /// Deletes one session of the user, only a login session with `token` false and only an access
    /// token with true; false when it does not exist, is someone else's or is of the other kind.
    func delete(sessionID: Int64, userID: Int64, token: Bool? = nil) async throws -> Bool {
        try await pool.execute(
            "DELETE FROM sessions WHERE id = ? AND user_id = ? AND (? IS NULL OR (name IS NOT NULL) = ?)", [sessionID, userID, token, token]
        ).affectedRows == 1
    }

    /// The user's live sessions (not their access tokens), newest first.
    func list(userID: Int64) async throws -> [MariaDBRow] {
        try await pool.query(
            """
            SELECT id, created_at, last_used_at, expires_at, user_agent, ip
            FROM sessions WHERE user_id = ? AND name IS NULL AND expires_at > NOW(3)
            ORDER BY created_at DESC, id DESC
            """, [userID])
    }

    /// A new access token's row, its expiry `days` from now or never (nil); nil when the user has
    /// `limit` live tokens already. Counted under a lock on the user's row, so two at once cannot
    /// both pass the limit.
    func createToken(
        userID: Int64, session: Int64, passwordHash: String, name: String, tokenHash: [UInt8], csrfToken: String, days: Int?, limit: Int
    ) async throws -> MariaDBRow? {
        try await pool.transaction { c in
            // Made only while the account still has the password the request gave, is active, and
            // the session asking is live, read under the user's row (which a password change, reset
            // or deactivation updates first): one of them racing in either committed before, and
            // this is 401, or waits and then ends the new token with the rest. A token minted a
            // moment after a password change, with the old password, outlived it (a hunt).
            guard let user = try c.query("SELECT password_hash, deactivated_at IS NOT NULL AS deactivated FROM users WHERE id = ? FOR UPDATE", [userID]).first,
                try user.decode("password_hash", as: String.self) == passwordHash, !(try user.decode("deactivated", as: Bool.self)),
                !(try c.query("SELECT id FROM sessions WHERE id = ? AND expires_at > NOW(3) LOCK IN SHARE MODE", [session]).isEmpty)
            else { throw ParleyError.unauthenticated }
            let live: Int64 = try c.query(
                "SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND name IS NOT NULL AND expires_at > NOW(3)", [userID]
            )[0].decode("n")
            guard live < limit else { return nil }
            let id = try c.execute(
                """
                INSERT INTO sessions (user_id, name, token_hash, csrf_token, created_at, last_used_at, expires_at)
                VALUES (?, ?, ?, ?, NOW(3), TIMESTAMP'1970-01-01 00:00:00',
                        IF(? IS NULL, TIMESTAMP'9999-12-31 00:00:00', NOW(3) + INTERVAL ? DAY))
                """, [userID, name, tokenHash, csrfToken, days, days]
            ).lastInsertID
            return try c.query(Self.selectTokens + " AND id = ?", [userID, id]).first
        }
    }

    /// The user's live access tokens, newest first.
    func tokens(userID: Int64) async throws -> [MariaDBRow] {
        try await pool.query(Self.selectTokens + " ORDER BY created_at DESC, id DESC", [userID])
    }

    private static let selectTokens = """
        SELECT id, name, created_at, last_used_at, expires_at FROM sessions
        WHERE user_id = ? AND name IS NOT NULL AND expires_at > NOW(3)
        """

    /// Which of these sessions are live: not expired, not deleted, their user not deactivated.
    func live(among ids: [Int64]) async throws -> Set<Int64> {
        var live: Set<Int64> = []
        for start in stride(from: 0, to: ids.count, by: 1024) {
            let chunk = Array(ids[start..<min(ids.count, start + 1024)]).paddedToPowerOfTwo
            let rows = try await pool.query(
                """
                SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.id IN (\(chunk.placeholders)) AND s.expires_at > NOW(3) AND u.deactivated_at IS NULL
                """, chunk)
            for row in rows { live.insert(try row.decode("id")) }
        }
        return live
    }

    /// Removes expired sessions (run periodically).
    func deleteExpired() async throws -> UInt64 {
        try await pool.execute("DELETE FROM sessions WHERE expires_at <= NOW(3) LIMIT 10000").affectedRows
    }

    private static func decode(_ row: MariaDBRow) throws -> Row {
        Row(
            id: try row.decode("session_id"), user: try User(row: row), csrfToken: try row.decode("csrf_token"),
            expiresAt: try row.decode("expires_at"), lastUsedAt: try row.decode("last_used_at"),
            isToken: try row.decode("is_token"))
    }
}
