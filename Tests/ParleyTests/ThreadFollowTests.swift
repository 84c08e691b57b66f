import Foundation
import MariaDB
import Testing
import TestSupport

@testable import Parley

/// Following threads: what sql/049 makes of the threads that existed before it (the rest is
/// `SignalTests.threadFollowersHearOfNewReplies`, over HTTP).
@Suite struct ThreadFollowTests {
    /// The threads that existed before following did: their messages' senders and repliers follow them.
    @Test func theMigrationMakesExistingThreadsFollowed() async throws {
        let migration = try await MigrationStep.before("049")
        defer { migration.remove() }
        let pool = migration.pool
        for name in ["ada", "bo", "cy"] {
            try await pool.execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, 'x', NOW(3))", [name, name])
        }
        func say(_ who: String, _ text: String, replyTo: Int64? = nil) async throws -> Int64 {
            Int64(
                try await pool.execute(
                    "INSERT INTO messages (room_id, sender_id, text, reply_to, created_at) VALUES (1, (SELECT id FROM users WHERE username = ?), ?, ?, NOW(3))",
                    [who, text, replyTo]
                ).lastInsertID)
        }
        let root = try await say("ada", "question")
        _ = try await say("bo", "answer", replyTo: root)
        _ = try await say("bo", "again", replyTo: root)
        _ = try await say("cy", "alone")
        #expect(try await migration.apply() == 1)
        let rows = try await pool.query(
            "SELECT f.root_id, u.username, f.following FROM thread_follows f JOIN users u ON u.id = f.user_id ORDER BY u.username")
        #expect(try rows.map { [String(try $0.decode("root_id", as: Int64.self)), try $0.decode("username"), String(try $0.decode("following", as: Int64.self))] }
            == [[String(root), "ada", "1"], [String(root), "bo", "1"]])
        await pool.shutdown()
    }
}
