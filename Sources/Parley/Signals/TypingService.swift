import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// Who is typing where, in this process: an indicator lasts `ttl` unless renewed, renewals faster
/// than `minRenewal` are dropped, and sending a message ends it at once.
final class TypingTracker: Sendable {
    struct Key: Hashable, Sendable {
        let room: Int64
        let user: Int64
    }

    private struct Entry {
        var expires: ContinuousClock.Instant
        var lastAccepted: ContinuousClock.Instant
    }

    let ttl: Duration
    let minRenewal: Duration
    private let entries = NIOLockedValueBox<[Key: Entry]>([:])

    init(ttl: Duration = .seconds(6), minRenewal: Duration = .seconds(3)) {
        self.ttl = ttl
        self.minRenewal = minRenewal
    }

    /// Records a start or renewal; false when it came too soon after the last accepted one.
    func start(_ key: Key, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLockedValue { entries in
            if let entry = entries[key], entry.expires > now, now - entry.lastAccepted < minRenewal { return false }
            entries[key] = Entry(expires: now + ttl, lastAccepted: now)
            return true
        }
    }

    /// Whether the user shows as typing in the room (nothing changes).
    func isTyping(_ key: Key) -> Bool {
        entries.withLockedValue { $0[key] != nil }
    }

    /// Ends an indicator; false when there was none.
    func stop(_ key: Key) -> Bool {
        entries.withLockedValue { $0.removeValue(forKey: key) != nil }
    }

    /// Removes and returns the indicators that ran out.
    func expire(now: ContinuousClock.Instant = .now) -> [Key] {
        entries.withLockedValue { entries in
            let expired = entries.filter { $0.value.expires <= now }.map(\.key)
            for key in expired { entries[key] = nil }
            return expired
        }
    }
}

/// Typing indicators as short-lived events to the room's members.
struct TypingService: Sendable {
    let log: EventLog
    let rooms: RoomStore
    let tracker: TypingTracker

    struct TypingEvent: Encodable {
        let roomId: Int64
        let user: UserSummary
        let typing: Bool
        /// When the indicator ends by itself unless renewed.
        let expiresInMs: Int
    }

    /// [typing] Starts, renews or stops the user's indicator in a room.
    func set(user: User, roomID: Int64, typing: Bool, mutedCheck: @escaping @Sendable (MariaDBConnection, Int64, Int64) throws -> Void) async throws {
        let rooms = self.rooms
        // Check membership first, so a refused request changes no state.
        try await rooms.pool.withConnection { c in
            guard try RoomService.role(rooms, c, roomID: roomID, userID: user.id) != nil else { throw RoomService.notAMember }
            try mutedCheck(c, roomID, user.id)
        }
        let key = TypingTracker.Key(room: roomID, user: user.id)
        if typing {
            guard tracker.start(key) else { return }
        } else {
            guard tracker.stop(key) else { return }
        }
        try await emit(roomID: roomID, user: UserSummary(user), typing: typing)
    }

    func emit(roomID: Int64, user: UserSummary, typing: Bool) async throws {
        let ttl = Int(tracker.ttl.components.seconds * 1000)
        _ = try await log.transaction { _, events in
            try events.append(EventType.typing, roomID: roomID, payload: TypingEvent(roomId: roomID, user: user, typing: typing, expiresInMs: typing ? ttl : 0))
        }
    }

    /// Ends the sender's indicator inside the transaction that posts their message.
    func messageSent(_ events: EventAppender, roomID: Int64, user: UserSummary) throws {
        try ended(events, roomID: roomID, user: user)
    }

    /// Ends a user's indicator, if it shows, inside a transaction that makes them stop: their post,
    /// or their kick, ban or mute (the others saw "typing…" for seconds after it).
    func ended(_ events: EventAppender, roomID: Int64, user: UserSummary) throws {
        guard tracker.stop(TypingTracker.Key(room: roomID, user: user.id)) else { return }
        try events.append(EventType.typing, roomID: roomID, payload: TypingEvent(roomId: roomID, user: user, typing: false, expiresInMs: 0))
    }

    /// Announces the end of indicators that ran out (run every half second).
    func expire() async throws {
        for key in tracker.expire() {
            let rooms = self.rooms
            guard let user = try await rooms.pool.withConnection({ c in try rooms.user(c, id: key.user) }) else { continue }
            try await emit(roomID: key.room, user: user, typing: false)
        }
    }
}
