import Foundation
import MariaDB

/// The site's message retention (`message_retention_days` in the site settings), as Zulip's,
/// Mattermost's and Slack's retention policies have it: messages older than that many days are
/// deleted for good, in every room, group and DM, with what hangs on them (files and their bytes,
/// reactions, pins, bookmarks, edits, mentions, notifications, poll votes, reminders, thread
/// follows: the schema's cascades, and `FileStore.unshare` for the files). Each room hears
/// `messages.expired` with the highest id that went, so clients drop what they show up to it.
/// The event log keeps events no longer than the messages (`EventPruner`).
struct MessageRetention: Sendable {
    let log: EventLog
    /// Messages deleted per transaction: short transactions, so posting never waits long behind one.
    static let batch = 256

    struct ExpiredEvent: Encodable, Sendable {
        let roomId: Int64
        /// Every message of the room up to this id is gone.
        let upTo: Int64
        let count: Int
    }

    /// Deletes the messages older than the site's retention, if it has one; returns how many.
    @discardableResult
    func sweep(now: Date = Date()) async throws -> Int {
        guard let days = try await SiteSettings.load(log.pool).messageRetentionDays else { return 0 }
        let threshold = now.addingTimeInterval(-Double(days) * 86_400)
        guard let cutoff = try await log.pool.withConnection({ c in try MessageStore.split(c, roomID: nil, at: threshold).before }) else { return 0 }
        var total = 0
        while true {
            let deleted = try await log.transaction { c, events in try Self.deleteBatch(c, events, upTo: cutoff) }
            total += deleted
            if deleted < Self.batch { return total }
        }
    }

    /// Deletes the oldest messages up to `cutoff`, at most `batch`; `messages.expired` to each room.
    private static func deleteBatch(_ c: MariaDBConnection, _ events: EventAppender, upTo cutoff: Int64) throws -> Int {
        let rows = try c.query("SELECT id, room_id FROM messages WHERE id <= ? ORDER BY id LIMIT \(batch) FOR UPDATE", [cutoff])
        guard !rows.isEmpty else { return 0 }
        var ids: [Int64] = []
        var rooms: [Int64: (upTo: Int64, count: Int)] = [:]
        for row in rows {
            let id: Int64 = try row.decode("id")
            let room: Int64 = try row.decode("room_id")
            ids.append(id)
            // The rows come in id order: a room's latest is the one seen last.
            rooms[room] = (id, (rooms[room]?.count ?? 0) + 1)
        }
        let list = ids.paddedToPowerOfTwo
        for row in try c.query("SELECT DISTINCT message_id FROM files WHERE message_id IN (\(list.placeholders))", list) {
            try FileStore.unshare(c, messageID: try row.decode("message_id"))
        }
        try c.execute("DELETE FROM messages WHERE id IN (\(list.placeholders))", list)
        for (room, expired) in rooms.sorted(by: { $0.key < $1.key }) {
            try events.append(EventType.messagesExpired, roomID: room, payload: ExpiredEvent(roomId: room, upTo: expired.upTo, count: expired.count))
        }
        return rows.count
    }
}
