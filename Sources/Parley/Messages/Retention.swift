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
            total += try await deleteOlder(days: days, now: now, room: room, except: [])
        }
        if let days = try await SiteSettings.load(log.pool).messageRetentionDays {
            total += try await deleteOlder(days: days, now: now, room: nil, except: own.map(\.room))
        }
        return total
    }

    /// Deletes the messages sent more than `days` before `now` in one room, or (with nil) in every
    /// room but `except`, in batches that go on from the last id each one saw, while the period
    /// that chose them holds (a batch that finds it changed ends the sweep: the next one follows
    /// the new period). The site's sweep (`room` nil) starts at its mark when that still holds, and
    /// moves it on when it got to the end.
    private func deleteOlder(days: Int, now: Date, room: Int64?, except: [Int64]) async throws -> Int {
        let threshold = now.addingTimeInterval(-Double(days) * 86_400)
        guard let cutoff = try await log.pool.withConnection({ c in try MessageStore.split(c, roomID: room, at: threshold).before }) else { return 0 }
        let kept = Set(except)
        let mark = room == nil ? siteMark.withLockedValue { $0 }.flatMap { $0.except.isSubset(of: kept) ? $0.upTo : nil } : nil
        var total = 0
        var after = mark ?? 0
        while after < cutoff {
            let batch = try await log.transaction { [after] c, events in
                try Self.deleteBatch(c, events, after: after, upTo: cutoff, days: days, room: room, except: except)
            }
            guard let (deleted, last) = batch else { return total }
            total += deleted
            guard deleted == Self.batch, let last else { break }
            after = last
        }
        if room == nil { siteMark.withLockedValue { $0 = SiteMark(except: kept, upTo: max(cutoff, mark ?? 0)) } }
        return total
    }

    /// Deletes the oldest messages after `after` up to `cutoff` (of `room`, or of any room but
    /// `except`), at most `batch`; `messages.expired` to each room. Returns how many and the last
    /// id, or nil when the period is no longer `days`: the room's own, or the site's for rooms that
    /// still have none. Those are read under a shared lock, so a change waits for the batch or the
    /// batch sees it: a room set to keep its messages mid-sweep loses none after that.
    private static func deleteBatch(
        _ c: MariaDBConnection, _ events: EventAppender, after: Int64, upTo cutoff: Int64, days: Int, room: Int64?, except: [Int64]
    ) throws -> (deleted: Int, last: Int64?)? {
        if let room {
            let period = try c.query("SELECT message_retention_days FROM rooms WHERE id = ? LOCK IN SHARE MODE", [room]).first
            guard try period?.decode("message_retention_days", as: Int?.self) == days else { return nil }
        } else {
            guard try SiteSettings.load(c, lock: true).messageRetentionDays == days else { return nil }
        }
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
        if room == nil {
            // A room of the batch given a period of its own since the sweep began is no longer the
            // site's to sweep. Every room of the batch is locked, whatever its period (a filter in
            // the query would leave the rows it passes over unlocked at read committed).
            let batchRooms = Array(rooms.keys).paddedToPowerOfTwo
            for row in try c.query("SELECT message_retention_days FROM rooms WHERE id IN (\(batchRooms.placeholders)) LOCK IN SHARE MODE", batchRooms) {
                guard try row.decode("message_retention_days", as: Int?.self) == nil else { return nil }
            }
        }
        let list = ids.paddedToPowerOfTwo
        for row in try c.query("SELECT DISTINCT message_id FROM files WHERE message_id IN (\(list.placeholders))", list) {
            try FileStore.unshare(c, messageID: try row.decode("message_id"))
        }
        try Reminders.removeAll(c, events, where: "m.id IN (\(list.placeholders))", list)
        try c.execute("DELETE FROM messages WHERE id IN (\(list.placeholders))", list)
        // Drafts in the threads of those messages go too (`thread_id` has no foreign key: 0 is a
        // room's own box), and their owners' clients hear it.
        let drafts = try c.query("SELECT user_id, room_id, thread_id FROM drafts WHERE thread_id IN (\(list.placeholders)) FOR UPDATE", list)
        if !drafts.isEmpty {
            try c.execute("DELETE FROM drafts WHERE thread_id IN (\(list.placeholders))", list)
            for row in drafts {
                try events.append(
                    EventType.draftRemoved, userID: try row.decode("user_id"),
                    payload: DraftController.RemovedEvent(roomId: try row.decode("room_id"), threadId: try row.decode("thread_id")))
            }
        }
        for (room, expired) in rooms.sorted(by: { $0.key < $1.key }) {
            try events.append(EventType.messagesExpired, roomID: room, payload: ExpiredEvent(roomId: room, upTo: expired.upTo, count: expired.count))
        }
        return (rows.count, ids.last)
    }
}
