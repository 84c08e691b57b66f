import Foundation
import MariaDB
import NIOConcurrencyHelpers

/// Who is typing where, in this process: an indicator lasts `ttl` unless renewed, renewals faster
/// than `minRenewal` are dropped, and sending a message ends it at once. A user has one indicator
/// per room: in the room itself or in one of its threads (`thread`, the thread's root message);
/// typing in another thread moves it there at once.
final class TypingTracker: Sendable {
    struct Key: Hashable, Sendable {
        let room: Int64
        let user: Int64
    }

    private struct Entry {
        var expires: ContinuousClock.Instant
        var lastAccepted: ContinuousClock.Instant
        var thread: Int64?
    }

    /// An indicator that ended: whose, and where it showed.
    struct Ended: Sendable {
        let key: Key
        let thread: Int64?
    }

    let ttl: Duration
    let minRenewal: Duration
    private let entries = NIOLockedValueBox<[Key: Entry]>([:])

    init(ttl: Duration = .seconds(6), minRenewal: Duration = .seconds(3)) {
        self.ttl = ttl
        self.minRenewal = minRenewal
    }

    /// Records a start or renewal; false when it came too soon after the last accepted one in the
    /// same place (a move to another thread, or between a thread and the room, is never too soon).
    func start(_ key: Key, thread: Int64? = nil, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLockedValue { entries in
            if let entry = entries[key], entry.expires > now, entry.thread == thread, now - entry.lastAccepted < minRenewal { return false }
            entries[key] = Entry(expires: now + ttl, lastAccepted: now, thread: thread)
            return true
        }
    }

    /// Whether the user shows as typing in the room (nothing changes).
    func isTyping(_ key: Key) -> Bool {
        entries.withLockedValue { $0[key] != nil }
    }

    /// Ends an indicator; nil when there was none, else where it showed.
    func stop(_ key: Key) -> Ended? {
        entries.withLockedValue { entries in entries.removeValue(forKey: key).map { Ended(key: key, thread: $0.thread) } }
    }

    /// Ends every indicator of a user; where they showed.
    func stopAll(user: Int64) -> [Ended] {
        entries.withLockedValue { entries in
            let ended = entries.filter { $0.key.user == user }.map { Ended(key: $0.key, thread: $0.value.thread) }
            for one in ended { entries[one.key] = nil }
            return ended
        }
    }

    /// Removes and returns the indicators that ran out.
    func expire(now: ContinuousClock.Instant = .now) -> [Ended] {
        entries.withLockedValue { entries in
            let expired = entries.filter { $0.value.expires <= now }.map { Ended(key: $0.key, thread: $0.value.thread) }
            for ended in expired { entries[ended.key] = nil }
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
        /// The thread (its root message) the indicator shows in; null for the room itself.
        let threadId: Int64?
        let user: UserSummary
        let typing: Bool
        /// When the indicator ends by itself unless renewed.
        let expiresInMs: Int

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(threadId, forKey: .threadId)
            try c.encode(user, forKey: .user)
            try c.encode(typing, forKey: .typing)
            try c.encode(expiresInMs, forKey: .expiresInMs)
        }

        private enum CodingKeys: String, CodingKey { case roomId, threadId, user, typing, expiresInMs }
    }

    static let invalidThread = ParleyError.invalid("invalid_thread", "thread_id must be a message of the same room.")

    /// [typing] Starts, renews or stops the user's indicator in a room, or (`thread`) in one of its
    /// threads. Stopping ends the indicator wherever it shows.
    ///
    /// The checks, the tracker's change and the event are one transaction under the room's row, shared:
    /// a kick, ban or mute (which take it exclusively, and end the indicator) either committed before,
    /// and this sees it, or waits for this to commit and ends the indicator after. Checked on a
    /// connection of its own, a start could land just after the kick's end and show the kicked
    /// person typing for 6 s (a hunt). The mute, archive and who-posts rule are read from the
    /// database as a post reads them (memory follows their commits).
    func set(
        user: User, roomID: Int64, thread: Int64? = nil, typing: Bool,
        mutedCheck: @escaping @Sendable (MariaDBConnection, Int64, Int64) throws -> Void
    ) async throws {
        let rooms = self.rooms
        let tracker = self.tracker
        let key = TypingTracker.Key(room: roomID, user: user.id)
        let summary = UserSummary(user)
        let ttl = Int(tracker.ttl.components.seconds * 1000)
        _ = try await log.transaction { c, events in
            try RoomStore.holdRoom(c, roomID)
            guard try RoomService.role(rooms, c, roomID: roomID, userID: user.id) != nil else { throw RoomService.notAMember }
            try mutedCheck(c, roomID, user.id)
            // What memory said may predate a change this waited for in `holdRoom`.
            guard try RoomStore.checkPostableHeld(c, roomID: roomID, userID: user.id) != nil else { throw RoomService.notAMember }
            if let thread, try c.query("SELECT 1 FROM messages WHERE id = ? AND room_id = ?", [thread, roomID]).isEmpty {
                throw Self.invalidThread
            }
            // (Nothing changes before every check passed, so a refused request changes no state.)
            let place: Int64?
            if typing {
                guard tracker.start(key, thread: thread) else { return }
                place = thread
            } else {
                guard let ended = tracker.stop(key) else { return }
                place = ended.thread
            }
            try events.append(
                EventType.typing, roomID: roomID,
                payload: TypingEvent(roomId: roomID, threadId: place, user: summary, typing: typing, expiresInMs: typing ? ttl : 0))
        }
    }

    func emit(roomID: Int64, thread: Int64?, user: UserSummary, typing: Bool) async throws {
        let ttl = Int(tracker.ttl.components.seconds * 1000)
        _ = try await log.transaction { _, events in
            try events.append(
                EventType.typing, roomID: roomID,
                payload: TypingEvent(roomId: roomID, threadId: thread, user: user, typing: typing, expiresInMs: typing ? ttl : 0))
        }
    }

    /// Ends the sender's indicator inside the transaction that posts their message.
    func messageSent(_ events: EventAppender, roomID: Int64, user: UserSummary) throws {
        try ended(events, roomID: roomID, user: user)
    }

    /// Ends a user's indicator, if it shows, inside a transaction that makes them stop: their post,
    /// or their kick, ban or mute (the others saw "typing…" for seconds after it).
    func ended(_ events: EventAppender, roomID: Int64, user: UserSummary) throws {
        guard let ended = tracker.stop(TypingTracker.Key(room: roomID, user: user.id)) else { return }
        try events.append(
            EventType.typing, roomID: roomID, payload: TypingEvent(roomId: roomID, threadId: ended.thread, user: user, typing: false, expiresInMs: 0))
    }

    /// Ends a user's indicators everywhere once every session of theirs ended (a deactivation, a
    /// password reset): the others saw "typing…" for up to the indicator's lifetime after they were
    /// gone (a hunt), as after a kick before that ended it.
    func endedEverywhere(userID: Int64) async throws {
        let ended = tracker.stopAll(user: userID)
        guard !ended.isEmpty else { return }
        let rooms = self.rooms
        guard let user = try await rooms.pool.withConnection({ c in try rooms.user(c, id: userID) }) else { return }
        for one in ended { try await emit(roomID: one.key.room, thread: one.thread, user: user, typing: false) }
    }

    /// Announces the end of indicators that ran out (run every half second).
    func expire() async throws {
        for ended in tracker.expire() {
            let rooms = self.rooms
            guard let user = try await rooms.pool.withConnection({ c in try rooms.user(c, id: ended.key.user) }) else { continue }
            try await emit(roomID: ended.key.room, thread: ended.thread, user: user, typing: false)
        }
    }
}
