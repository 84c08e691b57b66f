import Foundation
import Hummingbird
import MariaDB
import NIOConcurrencyHelpers

/// Delivered and read marks per member ("up to message id"), unread counts and `receipt` events.
/// Delivered marks are gathered in memory as events reach clients and written once a second;
/// read marks are written when the client sends them. Marks only move forward, except the read
/// mark that counts unread messages, which `markUnread` moves back; receipts show what was seen
/// (`seen_up_to`), which never moves back.
struct ReceiptService: Sendable {
    let log: EventLog
    let pool: MariaDBPool
    let hub: EventHub
    /// Rooms larger than this store marks but send no `receipt` events (they would swamp everyone).
    static let receiptEventMaxMembers = 100
    private let pendingDelivered = NIOLockedValueBox<[Key: Int64]>([:])

    struct Key: Hashable, Sendable {
        let room: Int64
        let user: Int64
    }

    init(log: EventLog, pool: MariaDBPool, hub: EventHub) {
        self.log = log
        self.pool = pool
        self.hub = hub
    }

    struct ReceiptEvent: Encodable {
        let roomId: Int64
        let user: UserSummary
        let deliveredUpTo: Int64
        /// nil when the user does not share read receipts.
        let readUpTo: Int64?

        enum CodingKeys: String, CodingKey { case roomId, user, deliveredUpTo, readUpTo }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(user, forKey: .user)
            try c.encode(deliveredUpTo, forKey: .deliveredUpTo)
            try c.encode(readUpTo, forKey: .readUpTo)
        }
    }

    /// A user began or stopped sharing read receipts: each room of theirs small enough for receipt
    /// events hears their marks as others now see them (`read_up_to` null while private), so a read
    /// mark they asked to hide does not stay on others' screens.
    static func announceSharing(_ c: MariaDBConnection, _ events: EventAppender, userID: Int64) throws {
        guard
            let user = try c.query("SELECT id, username, display_name, avatar, send_read_receipts FROM users WHERE id = ?", [userID]).first
        else { return }
        let shares: Bool = try user.decode("send_read_receipts")
        let summary = try UserSummary(row: user)
        let rooms = try c.query(
            """
            SELECT m.room_id, m.delivered_up_to, m.seen_up_to FROM room_members m
            WHERE m.user_id = ? AND (SELECT COUNT(*) FROM room_members x WHERE x.room_id = m.room_id) <= ?
            ORDER BY m.room_id
            """, [userID, receiptEventMaxMembers])
        for room in rooms {
            let roomID: Int64 = try room.decode("room_id")
            try events.append(
                EventType.receipt, roomID: roomID,
                payload: ReceiptEvent(
                    roomId: roomID, user: summary, deliveredUpTo: try room.decode("delivered_up_to"),
                    readUpTo: shares ? try room.decode("seen_up_to", as: Int64.self) : nil))
        }
    }

    struct ReadMarkerEvent: ResponseEncodable {
        let roomId: Int64
        let readUpTo: Int64
        let unreadCount: Int
        let mentioned: Bool
    }

    /// Notes that `events` reached one of `userID`'s clients.
    func delivered(userID: Int64, events: [LoggedEvent]) {
        var marks: [Int64: Int64] = [:]
        for event in events {
            guard let room = event.roomID, let message = event.message, message.sender != userID else { continue }
            marks[room] = max(marks[room] ?? 0, message.id)
        }
        guard !marks.isEmpty else { return }
        pendingDelivered.withLockedValue { pending in
            for (room, id) in marks {
                let key = Key(room: room, user: userID)
                pending[key] = max(pending[key] ?? 0, id)
            }
        }
    }

    /// Notes that `room`'s messages up to `id` reached one of `userID`'s clients by a read rather than
    /// the stream: a page of history, or the room list's last message. A client that starts its
    /// stream at the head (a new tab, a phone waking) gets what came meanwhile that way, and its
    /// "delivered" had waited for the read, which told the sender when someone who keeps read
    /// receipts private read it (a hunt). `id` is the newest message not sent by the user.
    func delivered(userID: Int64, room: Int64, upTo id: Int64) {
        guard id > 0 else { return }
        pendingDelivered.withLockedValue { pending in
            let key = Key(room: room, user: userID)
            pending[key] = max(pending[key] ?? 0, id)
        }
    }

    /// Writes gathered delivered marks and announces the ones that moved (run every second): up to
    /// `deliveredBatch` marks per transaction, so a busy second costs a few commits, not one per
    /// member. Rows are taken in key order, so two batches never wait on each other in a cycle.
    func flushDelivered() async throws {
        let batch = pendingDelivered.withLockedValue { pending -> [(Key, Int64)] in
            defer { pending = [:] }
            return pending.sorted { ($0.key.room, $0.key.user) < ($1.key.room, $1.key.user) }.map { ($0.key, $0.value) }
        }
        let hub = self.hub
        for start in stride(from: 0, to: batch.count, by: Self.deliveredBatch) {
            let chunk = Array(batch[start..<min(batch.count, start + Self.deliveredBatch)])
            let memberCounts = Dictionary(chunk.map { ($0.0.room, hub.members(of: $0.0.room).count) }, uniquingKeysWith: { a, _ in a })
            try await log.transaction { c, events in
                for (key, id) in chunk {
                    try Self.advanceDelivered(c, events, room: key.room, user: key.user, delivered: id, memberCount: memberCounts[key.room] ?? 0)
                }
            }
        }
    }

    static let deliveredBatch = 100

    /// [markRead] Moves the read mark forward to `messageID` (a message of the room).
    func markRead(userID: Int64, roomID: Int64, messageID: Int64, rooms: RoomStore) async throws -> ReadMarkerEvent {
        try await pool.withConnection { c in
            guard try RoomService.role(rooms, c, roomID: roomID, userID: userID) != nil else { throw RoomService.notAMember }
            guard try c.query("SELECT id FROM messages WHERE id = ? AND room_id = ?", [messageID, roomID]).first != nil else {
                throw ParleyError.invalid("invalid_message", "message_id must be a message of this room.")
            }
        }
        if let moved = try await advance(room: roomID, user: userID, delivered: messageID, read: messageID) { return moved }
        return try await Self.unread(pool: pool, userID: userID, roomID: roomID)
    }

    /// [markUnread] Moves the read mark back to just before `messageID` (a message of the room), so
    /// that it and everything after it count as unread again; a mark already before it stays.
    /// Only the user's own devices learn it (`read_marker`): receipts keep showing what was seen.
    func markUnread(userID: Int64, roomID: Int64, messageID: Int64, rooms: RoomStore) async throws -> ReadMarkerEvent {
        try await log.transaction(settled: true) { c, events in
            guard try RoomService.role(rooms, c, roomID: roomID, userID: userID) != nil else { throw RoomService.notAMember }
            guard try c.query("SELECT id FROM messages WHERE id = ? AND room_id = ?", [messageID, roomID]).first != nil else {
                throw ParleyError.invalid("invalid_message", "message_id must be a message of this room.")
            }
            let moved = try c.execute(
                "UPDATE room_members FORCE INDEX (PRIMARY) SET read_up_to = ? WHERE room_id = ? AND user_id = ? AND read_up_to > ?",
                [messageID - 1, roomID, userID, messageID - 1]
            ).affectedRows == 1
            let marker = try Self.unread(c, userID: userID, roomID: roomID, before: events.settledID ?? .max)
            if moved { try events.append(EventType.readMarker, userID: userID, payload: marker, id: events.settledID) }
            return marker
        }
    }

    /// [markAllRead] Moves the read mark of every room of the user with unread messages to its
    /// newest message, a room at a time (each with its events, as `markRead`); the rooms that moved.
    func markAllRead(userID: Int64) async throws -> [ReadMarkerEvent] {
        let rows = try await pool.query(
            """
            SELECT m.room_id, m.read_up_to, (SELECT MAX(x.id) FROM messages x WHERE x.room_id = m.room_id) AS newest
            FROM room_members m WHERE m.user_id = ? ORDER BY m.room_id
            """, [userID])
        var moved: [ReadMarkerEvent] = []
        for row in rows {
            guard let newest = try row.decode("newest", as: Int64?.self), newest > (try row.decode("read_up_to", as: Int64.self)) else { continue }
            if let marker = try await advance(room: try row.decode("room_id"), user: userID, delivered: newest, read: newest) { moved.append(marker) }
        }
        return moved
    }

    /// Moves marks forward (never back) and sends the events; nil when nothing moved.
    @discardableResult
    private func advance(room: Int64, user: Int64, delivered: Int64, read: Int64?) async throws -> ReadMarkerEvent? {
        let memberCount = hub.members(of: room).count
        // Settled: the read marker's unread count takes in every message before it in the log.
        return try await log.transaction(settled: read != nil) { c, events in
            try Self.advance(c, events, room: room, user: user, delivered: delivered, read: read, memberCount: memberCount)
        }
    }

    /// Moves one member's delivered mark forward inside the caller's transaction. Only the member's
    /// row is locked (not their user row, which every post of theirs checks), and a room too large
    /// for receipt events costs one statement.
    private static func advanceDelivered(_ c: MariaDBConnection, _ events: EventAppender, room: Int64, user: Int64, delivered: Int64, memberCount: Int) throws {
        let moved = try c.execute(
            "UPDATE room_members FORCE INDEX (PRIMARY) SET delivered_up_to = ? WHERE room_id = ? AND user_id = ? AND delivered_up_to < ?", [delivered, room, user, delivered]
        ).affectedRows == 1
        guard moved, memberCount <= receiptEventMaxMembers else { return }
        // A locking read: the latest mark, not the transaction's snapshot.
        guard let mark = try c.query("SELECT seen_up_to FROM room_members WHERE room_id = ? AND user_id = ? FOR UPDATE", [room, user]).first,
            let row = try c.query("SELECT id, username, display_name, avatar, send_read_receipts FROM users WHERE id = ?", [user]).first
        else { return }
        let shares: Bool = try row.decode("send_read_receipts")
        try events.append(
            EventType.receipt, roomID: room,
            payload: ReceiptEvent(
                roomId: room, user: try UserSummary(row: row), deliveredUpTo: delivered,
                readUpTo: shares ? try mark.decode("seen_up_to", as: Int64.self) : nil))
    }

    /// Moves one member's marks forward inside the caller's transaction; the read marker when the read mark moved.
    private static func advance(
        _ c: MariaDBConnection, _ events: EventAppender, room: Int64, user: Int64, delivered: Int64, read: Int64?, memberCount: Int
    ) throws -> ReadMarkerEvent? {
        guard
            let row = try c.query(
                """
                SELECT m.delivered_up_to, m.read_up_to, m.seen_up_to, u.id, u.username, u.display_name, u.avatar, u.send_read_receipts
                FROM room_members m JOIN users u ON u.id = m.user_id
                WHERE m.room_id = ? AND m.user_id = ? FOR UPDATE
                """, [room, user]
            ).first
        else { return nil }
        let oldDelivered: Int64 = try row.decode("delivered_up_to")
        let oldRead: Int64 = try row.decode("read_up_to")
        let oldSeen: Int64 = try row.decode("seen_up_to")
        let shares: Bool = try row.decode("send_read_receipts")
        // A read moves the delivered mark only for those who share their reads: for the others, a
        // delivered mark that moved as they read said when they read (delivery is marked as their
        // clients fetch, see `delivered(userID:room:upTo:)`).
        let newDelivered = read == nil || shares ? max(oldDelivered, delivered) : oldDelivered
        let newRead = max(oldRead, read ?? 0)
        let newSeen = max(oldSeen, newRead)
        guard newDelivered != oldDelivered || newRead != oldRead else { return nil }
        try c.execute(
            "UPDATE room_members FORCE INDEX (PRIMARY) SET delivered_up_to = ?, read_up_to = ?, seen_up_to = ? WHERE room_id = ? AND user_id = ?",
            [newDelivered, newRead, newSeen, room, user])
        // Reading again what was marked unread changes nothing others see, nor does reading when
        // the reader keeps their read marks to themselves (the event alone said "they just read it").
        if memberCount <= receiptEventMaxMembers, newDelivered != oldDelivered || (shares && newSeen != oldSeen) {
            try events.append(
                EventType.receipt, roomID: room,
                payload: ReceiptEvent(roomId: room, user: try UserSummary(row: row), deliveredUpTo: newDelivered, readUpTo: shares ? newSeen : nil))
        }
        guard newRead != oldRead else { return nil }
        let marker = try unread(c, userID: user, roomID: room, before: events.settledID ?? .max)
        // Every device of the user learns the new read mark and unread count. With the id reserved
        // before the transaction, every message the event follows was counted (or not sent).
        try events.append(EventType.readMarker, userID: user, payload: marker, id: events.settledID)
        return marker
    }

    /// After a block or unblock: the rooms where the person's messages are among the user's unread
    /// ones count differently now (a blocked person's count for nothing), and the user's devices
    /// learn the new counts as from a read (`read_marker`, a settled transaction a room), where they
    /// had to reload the room list.
    static func recount(log: EventLog, userID: Int64, unreadFrom sender: Int64) async throws {
        let rooms = try await log.pool.query(
            """
            SELECT m.room_id FROM room_members m WHERE m.user_id = ? AND EXISTS(
                SELECT 1 FROM messages x WHERE x.room_id = m.room_id AND x.id > m.read_up_to AND x.sender_id = ? AND x.deleted_at IS NULL)
            ORDER BY m.room_id
            """, [userID, sender]
        ).map { try $0.decode("room_id", as: Int64.self) }
        for room in rooms {
            try await log.transaction(settled: true) { c, events in
                guard try c.query("SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?", [room, userID]).first != nil else { return }
                let marker = try unread(c, userID: userID, roomID: room, before: events.settledID ?? .max)
                try events.append(EventType.readMarker, userID: userID, payload: marker, id: events.settledID)
            }
        }
    }

    static func unread(pool: MariaDBPool, userID: Int64, roomID: Int64) async throws -> ReadMarkerEvent {
        try await pool.withConnection { c in try unread(c, userID: userID, roomID: roomID) }
    }

    /// Unread messages after the read mark (not the user's own, though their webhooks' are, nor those
    /// of people they blocked, not deleted; counted up to 1,000) and whether one mentions them.
    /// `before`: for a `read_marker` event, its id. Messages after it in the log reach the user's
    /// devices after the marker and are counted there; the count, read once the transaction's
    /// snapshot is taken, would also include those that committed meanwhile, and devices counted
    /// them twice (a hunt: 12-55% of markers over by one or more while others posted). Likewise a
    /// message deleted after it in the log (`deleted_event`) counts as not yet deleted: devices
    /// subtract it when its event comes, and subtracted it twice (a hunt: 5 of 119 markers one low).
    static func unread(_ c: MariaDBConnection, userID: Int64, roomID: Int64, before: Int64 = .max) throws -> ReadMarkerEvent {
        let mark = try c.query("SELECT read_up_to FROM room_members WHERE room_id = ? AND user_id = ?", [roomID, userID]).first?
            .decode("read_up_to", as: Int64.self) ?? 0
        let count = try c.query(
            """
            SELECT COUNT(*) AS unread FROM (
                SELECT 1 FROM messages m WHERE m.room_id = ? AND m.id > ? AND m.id < ? AND (m.sender_id <> ? OR m.webhook_summary IS NOT NULL)
                    AND (m.deleted_at IS NULL OR m.deleted_event > ?)
                    AND NOT EXISTS(SELECT 1 FROM user_blocks b WHERE b.user_id = ? AND b.blocked_id = m.sender_id) LIMIT 1000
            ) recent
            """, [roomID, mark, before, userID, before, userID]
        )[0].decode("unread", as: Int.self)
        let mentioned = try c.query(
            """
            SELECT EXISTS(SELECT 1 FROM mentions n JOIN messages m ON m.id = n.message_id
                          WHERE n.user_id = ? AND n.room_id = ? AND n.message_id > ? AND n.message_id < ?
                          AND (m.deleted_at IS NULL OR m.deleted_event > ?)
                          AND NOT EXISTS(SELECT 1 FROM user_blocks b WHERE b.user_id = ? AND b.blocked_id = m.sender_id))
                OR EXISTS(SELECT 1 FROM messages m WHERE m.room_id = ? AND m.id > ? AND m.id < ? AND m.mentions_room = 1
                          AND (m.sender_id <> ? OR m.webhook_summary IS NOT NULL) AND (m.deleted_at IS NULL OR m.deleted_event > ?)
                          AND NOT EXISTS(SELECT 1 FROM user_blocks b WHERE b.user_id = ? AND b.blocked_id = m.sender_id))
                AS mentioned
            """, [userID, roomID, mark, before, before, userID, roomID, mark, before, userID, before, userID]
        )[0].decode("mentioned", as: Bool.self)
        return ReadMarkerEvent(roomId: roomID, readUpTo: mark, unreadCount: count, mentioned: mentioned)
    }

    struct MemberReceipt: Encodable {
        let user: UserSummary
        let deliveredUpTo: Int64
        let readUpTo: Int64?

        enum CodingKeys: String, CodingKey { case user, deliveredUpTo, readUpTo }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(deliveredUpTo, forKey: .deliveredUpTo)
            try c.encode(readUpTo, forKey: .readUpTo)
        }
    }

    /// [receipts] Every member's marks; read marks of members who keep them private are null.
    func receipts(userID: Int64, roomID: Int64, rooms: RoomStore) async throws -> [MemberReceipt] {
        try await pool.withConnection { c in
            guard try RoomService.role(rooms, c, roomID: roomID, userID: userID) != nil else { throw RoomService.notAMember }
            return try c.query(
                """
                SELECT u.id, u.username, u.display_name, u.avatar, u.send_read_receipts, m.delivered_up_to, m.seen_up_to
                FROM room_members m JOIN users u ON u.id = m.user_id WHERE m.room_id = ? ORDER BY u.username
                """, [roomID]
            ).map { row in
                let id: Int64 = try row.decode("id")
                let shares: Bool = try row.decode("send_read_receipts")
                return MemberReceipt(
                    user: try UserSummary(row: row), deliveredUpTo: try row.decode("delivered_up_to"),
                    readUpTo: shares || id == userID ? try row.decode("seen_up_to") : nil)
            }
        }
    }
}
