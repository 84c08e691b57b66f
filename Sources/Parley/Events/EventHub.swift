import Foundation
import NIOConcurrencyHelpers

/// Routes published events to the live subscriptions of their recipients, keeps a recent window
/// for replay without a query, and tracks when each user belonged to each room (in event ids), so
/// that a user receives a room's events exactly while a member — live, replayed or after restart.
final class EventHub: Sendable {
    /// A span of event ids during which a user belonged to a room; `to` is inclusive, nil while open.
    struct Interval: Sendable {
        var from: Int64
        var to: Int64?
        func contains(_ id: Int64) -> Bool { from <= id && (to.map { id <= $0 } ?? true) }
    }

    /// Whether one of `intervals` (a user's in one room: by `from`, not overlapping) holds `id`: the
    /// last to start at or before it, found by binary search. (A scan of them all made replaying
    /// the window cost its size times the joins, under the hub's lock: a user who joined and left a
    /// room 4,000 times took 2 s, and held up every delivery meanwhile.)
    static func holds(_ intervals: [Interval], _ id: Int64) -> Bool {
        var low = 0
        var high = intervals.count
        while low < high {
            let mid = (low + high) / 2
            if intervals[mid].from <= id { low = mid + 1 } else { high = mid }
        }
        return low > 0 && intervals[low - 1].contains(id)
    }

    /// A batch for one subscriber: its visible events and the log position they bring it to.
    struct Batch: Sendable {
        let events: [LoggedEvent]
        let through: Int64
    }

    private struct State {
        /// The highest id published: every event at or below it has been routed.
        var position: Int64
        /// The newest events, oldest first; all events above `windowFloor` are in it.
        var window: [LoggedEvent] = []
        var windowStart = 0
        var windowFloor: Int64
        var prunedThrough: Int64
        var intervals: [Int64: [Int64: [Interval]]] = [:]
        var roomMembers: [Int64: Set<Int64>] = [:]
        var subscribers: [Int64: [ObjectIdentifier: any EventSink]] = [:]
        var subscriberCount = 0
    }

    let windowSize: Int
    private let state: NIOLockedValueBox<State>

    /// - Parameters:
    ///   - position: the log position the hub starts at (everything at or below it happened before).
    ///   - memberships: (user, room, from, to) rows of `membership_log`.
    init(position: Int64, prunedThrough: Int64, memberships: [(user: Int64, room: Int64, from: Int64, to: Int64?)], windowSize: Int = 10_000) {
        var state = State(position: position, windowFloor: position, prunedThrough: prunedThrough)
        for m in memberships {
            state.intervals[m.user, default: [:]][m.room, default: []].append(Interval(from: m.from, to: m.to))
            if m.to == nil { state.roomMembers[m.room, default: []].insert(m.user) }
        }
        for user in state.intervals.keys {
            for room in state.intervals[user]!.keys { state.intervals[user]![room]!.sort { $0.from < $1.from } }
        }
        self.windowSize = windowSize
        self.state = NIOLockedValueBox(state)
    }

    var position: Int64 { state.withLockedValue { $0.position } }
    var prunedThrough: Int64 { state.withLockedValue { $0.prunedThrough } }
    /// Live subscriptions (open SSE streams and waiting long-polls).
    var subscriberCount: Int { state.withLockedValue { $0.subscriberCount } }

    /// The users who are members of a room now (as of the published position).
    func members(of roomID: Int64) -> Set<Int64> { state.withLockedValue { $0.roomMembers[roomID] ?? [] } }

    func setPrunedThrough(_ id: Int64) { state.withLockedValue { $0.prunedThrough = max($0.prunedThrough, id) } }

    /// Routes events (in id order, all above the current position) and advances to `through`.
    /// Deliveries happen under the lock, so that a subscriber that unsubscribes at position P has
    /// received every visible event up to P.
    func publish(_ events: [LoggedEvent], through: Int64) {
        state.withLockedValue { state in
            var deliveries: [ObjectIdentifier: (any EventSink, [LoggedEvent])] = [:]
            for event in events where event.id > state.position {
                var recipients = Set<Int64>()
                if let roomID = event.roomID {
                    if let subject = event.subjectID, EventType.opensMembership.contains(event.type) {
                        state.intervals[subject, default: [:]][roomID, default: []].append(Interval(from: event.id, to: nil))
                        state.roomMembers[roomID, default: []].insert(subject)
                    }
                    recipients = state.roomMembers[roomID] ?? []
                    if let subject = event.subjectID, EventType.closesMembership.contains(event.type) {
                        Self.close(&state, user: subject, room: roomID, at: event.id)
                    } else if event.type == EventType.roomDeleted {
                        for member in recipients { Self.close(&state, user: member, room: roomID, at: event.id) }
                    }
                }
                if event.type == EventType.presence, let subject = event.subjectID {
                    recipients = Self.coMembers(of: subject, in: state)
                } else if EventType.aboutUser.contains(event.type), let subject = event.subjectID {
                    recipients = Self.coMembers(of: subject, in: state)
                    recipients.insert(subject)
                } else if EventType.toEveryone.contains(event.type) {
                    recipients = Set(state.subscribers.keys)
                }
                if let userID = event.userID { recipients.insert(userID) }
                for userID in recipients {
                    guard let subscriptions = state.subscribers[userID] else { continue }
                    for (key, subscription) in subscriptions {
                        deliveries[key, default: (subscription, [])].1.append(event)
                    }
                }
                state.window.append(event)
                if event.type == EventType.messageDeleted || event.type == EventType.roomDeleted { Self.redactWindow(&state, for: event) }
            }
            state.position = max(state.position, through)
            Self.trimWindow(&state, size: windowSize)
            for (key, (subscription, events)) in deliveries where !subscription.deliver(Batch(events: events, through: through)) {
                Self.remove(&state, key: key, userID: subscription.userID)
            }
        }
    }

    private static func close(_ state: inout State, user: Int64, room: Int64, at id: Int64) {
        // In place: a copy of the list at each leave would cost the joins so far.
        if let last = state.intervals[user]?[room]?.indices.last, state.intervals[user]?[room]?[last].to == nil {
            state.intervals[user]![room]![last].to = id
        }
        state.roomMembers[room]?.remove(user)
        if state.roomMembers[room]?.isEmpty == true { state.roomMembers[room] = nil }
    }

    /// After a message's or a room's deletion, the window replays what the log now holds (`Redaction`).
    private static func redactWindow(_ state: inout State, for deletion: LoggedEvent) {
        if deletion.type == EventType.messageDeleted, let (messageID, roomID, tombstone) = Redaction.tombstone(inDeletedEvent: deletion) {
            var index = state.window.count - 1
            while index >= state.windowStart, state.window[index].id >= messageID {
                if state.window[index].id != deletion.id {
                    switch Redaction.outcome(state.window[index], message: messageID, room: roomID, tombstone: tombstone) {
                    case .keep: break
                    case .replace(let redacted): state.window[index] = redacted
                    // From the back, so the indices still to visit stay where they were.
                    case .drop: state.window.remove(at: index)
                    }
                }
                index -= 1
            }
        } else if deletion.type == EventType.roomDeleted, let roomID = deletion.roomID {
            let kept = state.window[state.windowStart...].filter { !Redaction.isOfDeletedRoom($0, roomID: roomID) }
            state.window.replaceSubrange(state.windowStart..., with: kept)
        }
    }

    private static func trimWindow(_ state: inout State, size: Int) {
        let live = state.window.count - state.windowStart
        guard live > size else { return }
        let drop = live - size
        state.windowFloor = state.window[state.windowStart + drop - 1].id
        state.windowStart += drop
        // Compact now and then instead of shifting the array on every publish.
        if state.windowStart > size {
            state.window.removeFirst(state.windowStart)
            state.windowStart = 0
        }
    }

    /// Whether `userID` receives `event`: addressed to them, or of a room they belonged to at its id.
    func isVisible(_ event: LoggedEvent, to userID: Int64) -> Bool {
        state.withLockedValue { Self.isVisible(event, to: userID, in: $0) }
    }

    /// Everyone in a room with `userID` now, not counting themselves.
    private static func coMembers(of userID: Int64, in state: State) -> Set<Int64> {
        var result: Set<Int64> = []
        for (room, intervals) in state.intervals[userID] ?? [:] where intervals.last?.to == nil {
            result.formUnion(state.roomMembers[room] ?? [])
        }
        result.remove(userID)
        return result
    }

    /// Whether two users shared a room at event `id` (for presence replay).
    private static func sharedRoom(_ a: Int64, _ b: Int64, at id: Int64, in state: State) -> Bool {
        if a == b { return false }
        guard let mine = state.intervals[a], let theirs = state.intervals[b] else { return false }
        for (room, intervals) in mine where holds(intervals, id) {
            if let other = theirs[room], holds(other, id) { return true }
        }
        return false
    }

    /// Users who share a room with `userID` now (for presence and members' views).
    func coMembers(of userID: Int64) -> Set<Int64> {
        state.withLockedValue { Self.coMembers(of: userID, in: $0) }
    }

    private static func isVisible(_ event: LoggedEvent, to userID: Int64, in state: State) -> Bool {
        if event.userID == userID { return true }
        if event.type == EventType.presence, let subject = event.subjectID {
            return sharedRoom(subject, userID, at: event.id, in: state)
        }
        if EventType.aboutUser.contains(event.type), let subject = event.subjectID {
            return subject == userID || sharedRoom(subject, userID, at: event.id, in: state)
        }
        if EventType.toEveryone.contains(event.type) { return true }
        guard let roomID = event.roomID, let intervals = state.intervals[userID]?[roomID] else { return false }
        return holds(intervals, event.id)
    }

    /// The rooms a user ever belonged to (for replay queries).
    func roomsEverJoined(by userID: Int64) -> [Int64] {
        state.withLockedValue { Array(($0.intervals[userID] ?? [:]).keys) }
    }

    /// What a new subscriber needs: where the hub stands, what the window holds for it, and what
    /// must come from the database first.
    struct Start: Sendable {
        /// The hub position at registration; live batches continue from here.
        let head: Int64
        /// Visible events in (max(after, windowFloor), head].
        let fromWindow: [LoggedEvent]
        /// A range (after, windowFloor] to read from the database first, when the window does not reach back.
        let databaseRange: ClosedRange<Int64>?
        /// The cursor is older than the log's retention: the client must reload and resync.
        let mustResync: Bool
    }

    /// Registers a subscription for `userID` (listening through session `sessionID`) whose cursor is
    /// `after` (nil: start at the head).
    func subscribe(userID: Int64, sessionID: Int64, after: Int64?, bufferLimit: Int = 4096) -> (Subscription, Start) {
        let subscription = Subscription(userID: userID, sessionID: sessionID, bufferLimit: bufferLimit)
        return (subscription, register(subscription, after: after))
    }

    /// Registers a listener whose cursor is `after` (nil: start at the head).
    func register(_ subscription: any EventSink, after: Int64?) -> Start {
        let userID = subscription.userID
        return state.withLockedValue { state -> Start in
            state.subscribers[userID, default: [:]][ObjectIdentifier(subscription)] = subscription
            state.subscriberCount += 1
            let head = state.position
            guard let after, after < head else {
                return Start(head: head, fromWindow: [], databaseRange: nil, mustResync: false)
            }
            if after < state.prunedThrough {
                return Start(head: head, fromWindow: [], databaseRange: nil, mustResync: true)
            }
            let from = max(after, state.windowFloor)
            var visible: [LoggedEvent] = []
            // Binary search for the first window event above `from`.
            var low = state.windowStart
            var high = state.window.count
            while low < high {
                let mid = (low + high) / 2
                if state.window[mid].id <= from { low = mid + 1 } else { high = mid }
            }
            for event in state.window[low...] where Self.isVisible(event, to: userID, in: state) { visible.append(event) }
            let databaseRange = after < state.windowFloor ? (after + 1)...state.windowFloor : nil
            return Start(head: head, fromWindow: visible, databaseRange: databaseRange, mustResync: false)
        }
    }

    func unsubscribe(_ subscription: any EventSink) {
        let removed = state.withLockedValue { state -> Bool in
            guard state.subscribers[subscription.userID]?.removeValue(forKey: ObjectIdentifier(subscription)) != nil else { return false }
            if state.subscribers[subscription.userID]?.isEmpty == true { state.subscribers[subscription.userID] = nil }
            state.subscriberCount -= 1
            return true
        }
        if removed { subscription.finish() }
    }

    /// Sends every subscription an empty batch (SSE writes a heartbeat comment for it).
    func heartbeat() {
        state.withLockedValue { state in
            for (userID, subscriptions) in state.subscribers {
                for (key, subscription) in subscriptions where !subscription.deliver(Batch(events: [], through: 0)) {
                    Self.remove(&state, key: key, userID: userID)
                }
            }
        }
    }

    /// Drops a subscription whose stream ended without unsubscribing (its request never ran its body).
    private static func remove(_ state: inout State, key: ObjectIdentifier, userID: Int64) {
        guard state.subscribers[userID]?.removeValue(forKey: key) != nil else { return }
        if state.subscribers[userID]?.isEmpty == true { state.subscribers[userID] = nil }
        state.subscriberCount -= 1
    }

    /// Unregisters a subscription and returns the position it was current to: every visible
    /// event at or below it was delivered to it (possibly still in its buffer).
    func unsubscribeReturningPosition(_ subscription: any EventSink) -> Int64 {
        let position = state.withLockedValue { state -> Int64 in
            if state.subscribers[subscription.userID]?.removeValue(forKey: ObjectIdentifier(subscription)) != nil {
                if state.subscribers[subscription.userID]?.isEmpty == true { state.subscribers[subscription.userID] = nil }
                state.subscriberCount -= 1
            }
            return state.position
        }
        subscription.finish()
        return position
    }

    /// Ends the subscriptions of one user (their account was deactivated), or only those listening
    /// through one session (it was logged out or revoked), or all but one session's (the password
    /// changed). The client finds its stream closed and its session gone.
    func disconnect(userID: Int64, session: Int64? = nil, exceptSession: Int64? = nil) {
        let ended = state.withLockedValue { state -> [any EventSink] in
            guard let subscriptions = state.subscribers[userID] else { return [] }
            var ended: [any EventSink] = []
            for (key, subscription) in subscriptions {
                if let session, subscription.sessionID != session { continue }
                if let exceptSession, subscription.sessionID == exceptSession { continue }
                ended.append(subscription)
                Self.remove(&state, key: key, userID: userID)
            }
            return ended
        }
        for subscription in ended { subscription.finish() }
    }

    /// The sessions open subscriptions listen through, with their users.
    func listeningSessions() -> [Int64: Int64] {
        state.withLockedValue { state in
            var sessions: [Int64: Int64] = [:]
            for (userID, subscriptions) in state.subscribers {
                for subscription in subscriptions.values { sessions[subscription.sessionID] = userID }
            }
            return sessions
        }
    }

    /// Ends every subscription (graceful shutdown).
    func finishAll() {
        let all = state.withLockedValue { state -> [any EventSink] in
            defer {
                state.subscribers = [:]
                state.subscriberCount = 0
            }
            return state.subscribers.values.flatMap(\.values)
        }
        for subscription in all { subscription.finish() }
    }
}

/// One live listener as the hub sees it: whom it listens for, and where batches go.
protocol EventSink: AnyObject, Sendable {
    var userID: Int64 { get }
    /// The session it listens through: it ends with that session.
    var sessionID: Int64 { get }
    /// Hands a batch over; false when the listener has ended (the hub then drops it).
    func deliver(_ batch: EventHub.Batch) -> Bool
    /// Ends the listener (shutdown, its session ended, or the hub dropped it).
    func finish()
}

/// A listener that takes batches from a task (a waiting long-poll): a bounded stream of batches.
/// A listener that falls more than `bufferLimit` batches behind is ended; its client reconnects
/// with its cursor and catches up from the log, so nothing is lost.
final class Subscription: EventSink {
    let userID: Int64
    let sessionID: Int64
    let batches: AsyncStream<EventHub.Batch>
    private let continuation: AsyncStream<EventHub.Batch>.Continuation

    init(userID: Int64, sessionID: Int64, bufferLimit: Int) {
        self.userID = userID
        self.sessionID = sessionID
        (batches, continuation) = AsyncStream.makeStream(of: EventHub.Batch.self, bufferingPolicy: .bufferingOldest(bufferLimit))
    }

    /// Hands a batch over; false when the stream has ended (or just overflowed and was ended).
    func deliver(_ batch: EventHub.Batch) -> Bool {
        switch continuation.yield(batch) {
        case .enqueued: return true
        case .dropped:
            continuation.finish()
            return false
        case .terminated: return false
        @unknown default: return true
        }
    }

    func finish() { continuation.finish() }
}
