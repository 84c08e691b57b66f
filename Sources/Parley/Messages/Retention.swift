import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// Message retention, as Zulip's, Mattermost's and Slack's retention policies have it: messages
/// older than the site's period (`message_retention_days` in the site settings), or than their
/// room's own (`rooms.message_retention_days`, set by site admins: longer or shorter than the
/// site's, or for ever), are deleted for good, with what hangs on them (files and their bytes,
/// reactions, pins, bookmarks, edits, mentions, notifications, poll votes, reminders, thread
/// follows: the schema's cascades, and `FileStore.unshare` for the files). Each room hears
/// `messages.expired` with the highest id that went, so clients drop what they show up to it.
/// The event log keeps events no longer than the shortest period (`EventPruner`).
struct MessageRetention: Sendable {
    let log: EventLog
    /// Messages deleted per transaction: short transactions, so posting never waits long behind one.
    static let batch = 256

    /// How far the site's sweep got: every message up to `upTo` of the rooms outside `except` (those
    /// with a period of their own at the time) is gone. The next sweep starts there rather than read
    /// (and lock, under `FOR UPDATE`) again every old message the longer-kept rooms keep, each minute.
    /// It holds while no room has come back to the site's period (`except` only grew); else the sweep
    /// starts from the first message again. In memory: a restart reads them once more.
    struct SiteMark: Equatable, Sendable {
        let except: Set<Int64>
        let upTo: Int64
    }
    let siteMark = NIOLockedValueBox<SiteMark?>(nil)

    struct ExpiredEvent: Encodable, Sendable {
        let roomId: Int64
        /// Every message of the room up to this id is gone.
        let upTo: Int64
        let count: Int
    }

    /// The rooms with a period of their own, in days (-1: for ever).
    static func roomPeriods(_ pool: MariaDBPool) async throws -> [(room: Int64, days: Int)] {
        try await pool.query("SELECT id, message_retention_days FROM rooms WHERE message_retention_days IS NOT NULL ORDER BY id").map {
            (try $0.decode("id"), try $0.decode("message_retention_days"))
        }
    }

    /// Deletes the messages past their room's period or, for the other rooms, the site's; returns how many.
    @discardableResult
    func sweep(now: Date = Date()) async throws -> Int {
        let own = try await Self.roomPeriods(log.pool)
        var total = 0
        for (room, days) in own where days > 0 {
            total += try await deleteOlder(than: now.addingTimeInterval(-Double(days) * 86_400), room: room, except: [])
        }
        if let days = try await SiteSettings.load(log.pool).messageRetentionDays {
            total += try await deleteOlder(than: now.addingTimeInterval(-Double(days) * 86_400), room: nil, except: own.map(\.room))
        }
        return total
    }

    /// Deletes the messages sent before `threshold` in one room, or (with nil) in every room but
    /// `except`, in batches that go on from the last id each one saw.
    /// The site's sweep (`room` nil) starts at its mark when that still holds, and moves it on.
    private func deleteOlder(than threshold: Date, room: Int64?, except: [Int64]) async throws -> Int {
        guard let cutoff = try await log.pool.withConnection({ c in try MessageStore.split(c, roomID: room, at: threshold).before }) else { return 0 }
        let kept = Set(except)
        let mark = room == nil ? siteMark.withLockedValue { $0 }.flatMap { $0.except.isSubset(of: kept) ? $0.upTo : nil } : nil
        var total = 0
        var after = mark ?? 0
        while after < cutoff {
            let (deleted, last) = try await log.transaction { [after] c, events in
                try Self.deleteBatch(c, events, after: after, upTo: cutoff, room: room, except: except)
            }
            total += deleted
            guard deleted == Self.batch, let last else { break }
            after = last
        }
        if room == nil { siteMark.withLockedValue { $0 = SiteMark(except: kept, upTo: max(cutoff, mark ?? 0)) } }
        return total
    }

    /// Deletes the oldest messages after `after` up to `cutoff` (of `room`, or of any room but
    /// `except`), at most `batch`; `messages.expired` to each room. Returns how many and the last id.
    private static func deleteBatch(
        _ c: MariaDBConnection, _ events: EventAppender, after: Int64, upTo cutoff: Int64, room: Int64?, except: [Int64]
    ) throws -> (deleted: Int, last: Int64?) {
        var condition = "id > ? AND id <= ?"
        var values: [any MariaDBEncodable] = [after, cutoff]
        if let room {
            condition = "room_id = ? AND " + condition
            values.insert(room, at: 0)
        } else if !except.isEmpty {
            let kept = except.paddedToPowerOfTwo
            condition += " AND room_id NOT IN (\(kept.placeholders))"
            values += kept as [any MariaDBEncodable]
        }
        let rows = try c.query("SELECT id, room_id FROM messages WHERE \(condition) ORDER BY id LIMIT \(batch) FOR UPDATE", values)
        guard !rows.isEmpty else { return (0, nil) }
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
        return (rows.count, ids.last)
    }
}
