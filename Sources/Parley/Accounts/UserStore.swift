import Foundation
import MariaDB

/// The `users` table.
struct UserStore: Sendable {
    let pool: MariaDBPool

    /// Inserts a user inside the caller's transaction; a taken name surfaces as a duplicate-key error.
    /// The first account of a new server is its site admin. (A plain read decides that: an
    /// INSERT … SELECT over `users` would lock and deadlock concurrent registrations; two accounts
    /// registered in the same instant on an empty server may both become admins.)
    func insert(_ connection: MariaDBConnection, username: String, displayName: String, passwordHash: String, siteRole: SiteRole? = nil) throws -> User {
        var role = siteRole
        if role == nil {
            let anyone = try connection.query("SELECT EXISTS(SELECT 1 FROM users) AS anyone")[0].decode("anyone", as: Bool.self)
            role = anyone ? .user : .admin
        }
        let id = try connection.execute(
            """
            INSERT INTO users (username, display_name, password_hash, created_at, site_role)
            VALUES (?, ?, ?, NOW(3), ?)
            """, [username, displayName, passwordHash, role!.rawValue]
        ).lastInsertID
        return try User(row: try connection.query("SELECT \(User.columns) FROM users WHERE id = ?", [id])[0])
    }

    /// The user and password hash for a username, matched without regard to case.
    func credentials(username: String) async throws -> (user: User, passwordHash: String, deactivated: Bool)? {
        let rows = try await pool.query(
            """
            SELECT id, username, display_name, site_role, created_at, avatar, password_hash, deactivated_at
            FROM users WHERE username = ?
            """, [username])
        guard let row = rows.first else { return nil }
        return (try User(row: row), try row.decode("password_hash"), try row.decode("deactivated_at", as: Date?.self) != nil)
    }

    func passwordHash(userID: Int64) async throws -> String? {
        try await pool.query("SELECT password_hash FROM users WHERE id = ?", [userID]).first?.decode("password_hash")
    }

    /// Sets a new password hash and ends every other session of the user, in one transaction.
    /// Replaces the hash `oldHash` (the one the current password was checked against) and ends every
    /// other session; false, changing nothing, when the hash is no longer `oldHash`.
    func changePassword(userID: Int64, from oldHash: String, to newHash: String, keepingSession sessionID: Int64) async throws -> Bool {
        try await pool.transaction { connection in
            guard try connection.execute("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?", [newHash, userID, oldHash]).affectedRows == 1
            else { return false }
            try connection.execute("DELETE FROM sessions WHERE user_id = ? AND id <> ?", [userID, sessionID])
            // A reset link made before would set the password again over this one: a password is
            // changed after a leak, and the link may be part of it.
            try connection.execute("DELETE FROM password_resets WHERE user_id = ?", [userID])
            return true
        }
    }
}
