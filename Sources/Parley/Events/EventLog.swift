import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// The durable event log. Changes and the events announcing them are written in one transaction
/// (a transactional outbox); ids are reserved before their INSERT and released when the transaction
/// ends. Committed events go to the tailer before their ids are released, so it can publish them
/// without reading them back.
struct EventLog: Sendable {
    let pool: MariaDBPool
    let allocator: EventIDAllocator
    let committed: @Sendable ([LoggedEvent]) -> Void
    /// Called after ids are released, so the tailer sees the new horizon.
    let released: @Sendable () -> Void

    /// Runs `body` in a transaction in which it may append events. A transaction the server rolled
    /// back as a deadlock victim (or after a lock wait timeout) runs again, up to three times.
    ///
    /// `settled`: before the transaction starts, an id is reserved for it (`EventAppender.settledID`)
    /// and every id below it is waited for (committed or rolled back; at most `settleLimit`), so what
    /// the transaction reads is everything its event follows in the log: a count it sends (unread
    /// messages) then agrees with the events a client received before it.
    ///
    /// `readCommitted`: the transaction runs at READ COMMITTED (`MariaDBConnection.transaction`).
    func transaction<T: Sendable>(
        settled: Bool = false, readCommitted: Bool = false, _ body: @escaping @Sendable (MariaDBConnection, EventAppender) throws -> T
    ) async throws -> T {
        let allocator = self.allocator
        let committed = self.committed
        let released = self.released
        return try await pool.withConnection { connection in
            var attempt = 1
            while true {
                let appender = EventAppender(allocator: allocator, connection: connection)
                do {
                    if settled {
                        // Outside the transaction, whose snapshot must come after the wait.
                        let id = try appender.reserve()
                        allocator.waitUntilFinal(below: id, limit: Self.settleLimit)
                        appender.settledID = id
                    }
                    let value = try connection.transaction(readCommitted: readCommitted) { try body($0, appender) }
                    if !appender.appended.isEmpty { committed(appender.appended) }
                    allocator.release(appender.reserved)
                    // Wake only now: woken before the release, the tailer could see the old horizon and sleep on.
                    if !appender.reserved.isEmpty { released() }
                    return value
                } catch let error as MariaDBError where error.isRetryableTransactionFailure && attempt < 3 {
                    allocator.release(appender.reserved)
                    // A rolled-back id may have held the horizon back: let the tailer look again.
                    if !appender.reserved.isEmpty { released() }
                    attempt += 1
                } catch {
                    allocator.release(appender.reserved)
                    if !appender.reserved.isEmpty { released() }
                    throw error
                }
            }
        }
    }

    /// The longest a `settled` transaction waits for the ids below its own (a transaction that
    /// slow is rare; past it the transaction goes on, reading what has committed).
    static let settleLimit: Duration = .seconds(1)

    /// Runs `body` outside a transaction, for one statement that makes its own: a stored procedure
    /// that commits or rolls back before it returns. `body` reserves ids with `reserve()`, and
    /// after the statement committed, hands its events over with `record(_:)`.
    func autocommit<T: Sendable>(_ body: @escaping @Sendable (MariaDBConnection, EventAppender) throws -> T) async throws -> T {
        let allocator = self.allocator
        let committed = self.committed
        let released = self.released
        return try await pool.withConnection { connection in
            let appender = EventAppender(allocator: allocator, connection: connection)
            defer {
                allocator.release(appender.reserved)
                if !appender.reserved.isEmpty { released() }
            }
            let value = try body(connection, appender)
            if !appender.appended.isEmpty { committed(appender.appended) }
            PostTrace.mark(.published, event: appender.appended.first?.id)
            return value
        }
    }

    /// The types whose events have neither a room nor an addressee, and whom they reach the hub
    /// decides (everyone, or those who share a room with their subject). Derived from those sets,
    /// so that a new type cannot be left out of replay (`user.dnd` was: live only).
    static let addressedByType = ([EventType.presence] + EventType.toEveryone + EventType.aboutUser).sorted()

    /// The events after `after` up to `through` that may concern one user: those addressed to them
    /// and those of rooms they ever belonged to. The caller filters by membership interval.
    func read(after: Int64, through: Int64, userID: Int64, rooms: [Int64], limit: Int) async throws -> [LoggedEvent] {
        let padded = rooms.paddedToPowerOfTwo
        let roomList = padded.isEmpty ? "NULL" : padded.placeholders
        let types = Self.addressedByType.map { $0 as any MariaDBEncodable }
        let parameters: [any MariaDBEncodable] = [after, through, userID] + padded + [after, through] + types + [after, through, limit]
        // Two index range scans (by user, by room) instead of a scan of the whole log.
        return try await pool.query(
            """
            SELECT \(LoggedEvent.columns) FROM events
            WHERE id > ? AND id <= ? AND user_id = ?
            UNION
            SELECT \(LoggedEvent.columns) FROM events
            WHERE room_id IN (\(roomList)) AND id > ? AND id <= ?
            UNION
            SELECT \(LoggedEvent.columns) FROM events
            WHERE type IN (\(Self.addressedByType.placeholders)) AND id > ? AND id <= ?
            ORDER BY id LIMIT ?
            """, parameters
        ).map(LoggedEvent.init(row:))
    }
}

/// Appends events inside one transaction, remembering the ids it reserved.
final class EventAppender: @unchecked Sendable {
    // @unchecked: used only on the one thread that runs its transaction.
    private let allocator: EventIDAllocator
    private let connection: MariaDBConnection
    private(set) var reserved: [Int64] = []
    /// In a `settled` transaction, the id reserved before it, below which every id was final.
    fileprivate(set) var settledID: Int64?
    /// The events written, as the tailer will publish them once committed.
    private(set) var appended: [LoggedEvent] = []

    init(allocator: EventIDAllocator, connection: MariaDBConnection) {
        self.allocator = allocator
        self.connection = connection
    }

    /// Reserves an event id for a statement that inserts the event itself.
    func reserve() throws -> Int64 {
        let id = try allocator.reserve(using: connection)
        reserved.append(id)
        return id
    }

    /// Hands over an event a statement inserted (with an id from `reserve()`) once it committed.
    func record(_ event: LoggedEvent) {
        appended.append(event)
    }

    /// Inserts an event for a room's members and/or one user; returns its id.
    @discardableResult
    func append(
        _ type: String, roomID: Int64? = nil, userID: Int64? = nil, subjectID: Int64? = nil, payload: some Encodable, id reservedID: Int64? = nil
    ) throws -> Int64 {
        try append(
            type, roomID: roomID, userID: userID, subjectID: subjectID, json: String(decoding: try ParleyJSON.encoder().encode(payload), as: UTF8.self),
            id: reservedID)
    }

    /// Inserts an event whose payload is already JSON (for `message.created`, `message` names the
    /// message and its sender, so the payload need not be parsed for delivery receipts).
    @discardableResult
    func append(
        _ type: String, roomID: Int64? = nil, userID: Int64? = nil, subjectID: Int64? = nil, json: String,
        message: (id: Int64, sender: Int64)? = nil, id reservedID: Int64? = nil
    ) throws -> Int64 {
        let id: Int64
        if let reservedID {
            // Reserved earlier in this transaction (`reserve()`): a message's id is its event's.
            id = reservedID
        } else {
            id = try allocator.reserve(using: connection)
            reserved.append(id)
        }
        let now = MessageView.storedPrecision(Date())
        try connection.execute(
            "INSERT INTO events (id, type, room_id, user_id, subject_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [id, type, roomID, userID, subjectID, json, now])
        appended.append(
            LoggedEvent(id: id, type: type, roomID: roomID, userID: userID, subjectID: subjectID, createdAt: now, payload: json, message: message))
        if let subjectID, let roomID {
            if EventType.opensMembership.contains(type) {
                try connection.execute("INSERT INTO membership_log (user_id, room_id, from_event) VALUES (?, ?, ?)", [subjectID, roomID, id])
            } else if EventType.closesMembership.contains(type) {
                try connection.execute(
                    "UPDATE membership_log SET to_event = ? WHERE user_id = ? AND room_id = ? AND to_event IS NULL", [id, subjectID, roomID])
            }
        }
        return id
    }

    /// Announces a room's deletion to its members and ends every membership with it.
    func appendRoomDeleted(roomID: Int64, payload: some Encodable) throws {
        // What the room held leaves the log, where replays from an older cursor would find it.
        try Redaction.scrub(connection, roomID: roomID)
        let id = try append(EventType.roomDeleted, roomID: roomID, payload: payload)
        try connection.execute("UPDATE membership_log SET to_event = ? WHERE room_id = ? AND to_event IS NULL", [id, roomID])
    }
}

extension Int {
    /// The least power of two at or above this positive number.
    var roundedUpToPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}

extension Array {
    /// The values for an `IN (…)` list, padded to a power of two with the last one (which changes
    /// nothing in an `IN`), so a statement has a few shapes instead of one per count: each
    /// connection caches its prepared statements.
    var paddedToPowerOfTwo: [Element] {
        guard let last else { return [] }
        return self + Array(repeating: last, count: count.roundedUpToPowerOfTwo - count)
    }

    /// `?,?,…`: one placeholder per element.
    var placeholders: String { map { _ in "?" }.joined(separator: ",") }
}
