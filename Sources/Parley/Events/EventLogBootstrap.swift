import Foundation
import Logging
import MariaDB

/// Reads where the log stands and who belonged where, in one consistent snapshot, to start the
/// allocator, hub and tailer from.
enum EventLogBootstrap {
    static func load(pool: MariaDBPool) async throws -> (position: Int64, prunedThrough: Int64, memberships: [(user: Int64, room: Int64, from: Int64, to: Int64?)]) {
        try await pool.withConnection { c in
            try c.executeText("START TRANSACTION WITH CONSISTENT SNAPSHOT")
            defer { try? c.executeText("COMMIT") }
            let position = try c.query("SELECT COALESCE(MAX(id), 0) AS position FROM events")[0].decode("position", as: Int64.self)
            let pruned = try c.query("SELECT pruned_through FROM event_log_state WHERE id = 1").first?.decode("pruned_through", as: Int64.self) ?? 0
            let rows = try c.query(
                "SELECT user_id, room_id, from_event, to_event FROM membership_log WHERE to_event IS NULL OR to_event > ? ORDER BY id", [pruned])
            let memberships = try rows.map { row in
                (
                    user: try row.decode("user_id", as: Int64.self), room: try row.decode("room_id", as: Int64.self),
                    from: try row.decode("from_event", as: Int64.self), to: try row.decode("to_event", as: Int64?.self)
                )
            }
            return (position, pruned, memberships)
        }
    }
}

/// Deletes events older than the retention period, or than the shortest message retention (the
/// site's or a room's) if that is shorter (an event must not keep a message's text after the
/// message is gone). Cursors at or below the pruned point get a `resync` event, so the mark moves
/// before the rows go.
struct EventPruner: Sendable {
    let pool: MariaDBPool
    let hub: EventHub
    let retention: Duration

    func prune() async throws {
        var seconds = Int(retention.components.seconds)
        if let days = try await SiteSettings.load(pool).messageRetentionDays { seconds = min(seconds, days * 86_400) }
        for (_, days) in try await MessageRetention.roomPeriods(pool) where days > 0 { seconds = min(seconds, days * 86_400) }
        guard
            let cutoff = try await pool.query(
                "SELECT MAX(id) AS cutoff FROM events WHERE created_at < NOW(3) - INTERVAL ? SECOND", [seconds]
            ).first?.decode("cutoff", as: Int64?.self)
        else { return }
        try await pool.execute("UPDATE event_log_state SET pruned_through = GREATEST(pruned_through, ?) WHERE id = 1", [cutoff])
        hub.setPrunedThrough(cutoff)
        while try await pool.execute("DELETE FROM events WHERE id <= ? LIMIT 5000", [cutoff]).affectedRows > 0 {}
        try await pool.execute("DELETE FROM membership_log WHERE to_event IS NOT NULL AND to_event <= ?", [cutoff])
    }

    /// Typing events matter for seconds and presence events for minutes; they leave the log early.
    /// (A replay then simply lacks them: the client reloads presence with the member list.)
    func pruneEphemeral() async throws {
        try await pool.execute("DELETE FROM events WHERE type = 'typing' AND created_at < NOW(3) - INTERVAL 60 SECOND LIMIT 10000")
        try await pool.execute("DELETE FROM events WHERE type = 'presence' AND created_at < NOW(3) - INTERVAL 600 SECOND LIMIT 10000")
    }
}
