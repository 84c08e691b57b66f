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
        let directory = TestDatabase.temporaryDirectory("mig049")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let all = try Migrator.locate(configured: nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: all.path).filter { $0.hasSuffix(".sql") }.sorted()
        for file in files where file < "049" {
            try FileManager.default.copyItem(at: all.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        let pool = MariaDBPool(
            configuration: try MariaDBConfiguration(url: try await TestDatabase.freshDatabaseURL(prefix: "mig")), maxConnections: 2)
        _ = try await Migrator(directory: directory).migrate(pool)
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
        let migration = try #require(files.first { $0.hasPrefix("049") })
        try FileManager.default.copyItem(at: all.appendingPathComponent(migration), to: directory.appendingPathComponent(migration))
        #expect(try await Migrator(directory: directory).migrate(pool).count == 1)
        let rows = try await pool.query(
            "SELECT f.root_id, u.username, f.following FROM thread_follows f JOIN users u ON u.id = f.user_id ORDER BY u.username")
        #expect(try rows.map { [String(try $0.decode("root_id", as: Int64.self)), try $0.decode("username"), String(try $0.decode("following", as: Int64.self))] }
            == [[String(root), "ada", "1"], [String(root), "bo", "1"]])
        await pool.shutdown()
    }
}
