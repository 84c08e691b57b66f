import Foundation

/// One client's read position in the log, shared by long-poll and SSE: first what it missed (from
/// the database, then the hub's window), then live batches; each visible event exactly once, in order.
final class EventFeed: @unchecked Sendable {
    // @unchecked: a feed is used by one task at a time (a long-poll's handler; an SSE stream's
    // backlog task, then its event loop).
    let userID: Int64
    private let hub: EventHub
    private let log: EventLog
    let subscription: any EventSink
    /// Live batches, for a feed that takes them from a task (nil when they are pushed to `accept`).
    private var iterator: AsyncStream<EventHub.Batch>.AsyncIterator?
    /// The last log position this client has been brought to.
    private(set) var cursor: Int64
    private var databaseRange: ClosedRange<Int64>?
    private var window: [LoggedEvent]
    private let head: Int64
    private var resyncPending: Bool
    private var closed = false

    /// A feed whose live batches a task waits for (`nextLive`).
    convenience init(userID: Int64, sessionID: Int64, after: Int64?, hub: EventHub, log: EventLog) {
        let subscription = Subscription(userID: userID, sessionID: sessionID, bufferLimit: 4096)
        self.init(sink: subscription, iterator: subscription.batches.makeAsyncIterator(), after: after, hub: hub, log: log)
    }

    /// A feed whose live batches `sink` receives and hands to `accept`; registers it with the hub.
    init(sink: any EventSink, iterator: AsyncStream<EventHub.Batch>.AsyncIterator? = nil, after: Int64?, hub: EventHub, log: EventLog) {
        self.userID = sink.userID
        self.hub = hub
        self.log = log
        let start = hub.register(sink, after: after)
        self.subscription = sink
        self.iterator = iterator
        self.head = start.head
        self.databaseRange = start.databaseRange
        self.window = start.fromWindow
        self.resyncPending = start.mustResync
        self.cursor = start.mustResync ? start.head : (after.map { min($0, start.head) } ?? start.head)
    }

    /// Whether the client's first event will be a `resync` (its cursor is older than the log's retention).
    var startsWithResync: Bool { resyncPending }

    /// A `resync` event telling the client to reload its state and continue from `cursor`.
    private func resyncEvent() -> LoggedEvent {
        LoggedEvent(
            id: head, type: EventType.resync, roomID: nil, userID: userID, subjectID: nil, createdAt: Date(),
            payload: #"{"cursor":\#(head),"reason":"The cursor is older than the event log's retention; reload rooms and messages."}"#)
    }

    /// What the client missed before the live stream, in pages of up to `limit`; empty when caught up.
    func nextBacklog(limit: Int) async throws -> [LoggedEvent] {
        if let page = nextBacklogFromMemory(limit: limit) { return page }
        while let range = databaseRange {
            let rows = try await log.read(
                after: range.lowerBound - 1, through: range.upperBound, userID: userID, rooms: hub.roomsEverJoined(by: userID), limit: limit)
            // The pruner may have overtaken a slow catch-up (a stream writes each page before it
            // reads the next, so a client that reads slowly holds it open): once the pruned mark
            // reaches the range, rows of it may be gone, this page's included (the mark is set
            // before the rows are deleted). The rest is a resync, as it is for a cursor that old
            // from the start; going on skipped the hole without a word (a hunt).
            if hub.prunedThrough >= range.lowerBound {
                databaseRange = nil
                window = []
                resyncPending = true
                return nextBacklogFromMemory(limit: limit) ?? []
            }
            let visible = rows.filter { hub.isVisible($0, to: userID) }
            if rows.count < limit {
                databaseRange = nil
                cursor = range.upperBound
            } else {
                let last = rows[rows.count - 1].id
                databaseRange = last < range.upperBound ? (last + 1)...range.upperBound : nil
                cursor = last
            }
            if !visible.isEmpty { return visible }
        }
        return nextBacklogFromMemory(limit: limit) ?? []
    }

    /// Like `nextBacklog`, when memory holds the whole backlog (a resync, or the hub's window); nil
    /// when it must come from the database.
    func nextBacklogFromMemory(limit: Int) -> [LoggedEvent]? {
        if resyncPending {
            resyncPending = false
            cursor = head
            return [resyncEvent()]
        }
        guard databaseRange == nil else { return nil }
        if !window.isEmpty {
            let page = Array(window.prefix(limit))
            window.removeFirst(page.count)
            cursor = window.isEmpty ? head : page[page.count - 1].id
            return page
        }
        cursor = max(cursor, head)
        return []
    }

    /// `close` for a feed whose batches were pushed: stops listening and returns the fresh events of
    /// `remaining` (what its sink still held).
    func close(remaining: () -> [EventHub.Batch]) -> [LoggedEvent] {
        guard !closed else { return [] }
        closed = true
        let position = hub.unsubscribeReturningPosition(subscription)
        return finish(remaining(), position: position)
    }

    /// Whether the client has had its whole backlog, and may take live batches. Until then they
    /// are left for the backlog to bring in order: added to a page of it, they moved the cursor
    /// past the rest of the backlog (a long-poll catching up while others wrote lost events).
    private var caughtUp: Bool { databaseRange == nil && window.isEmpty && !resyncPending }

    /// The next live batch, or nil when the subscription ended (shutdown, overflow or cancellation).
    /// An empty batch is a heartbeat.
    func nextLive() async -> [LoggedEvent]? {
        guard let batch = await iterator?.next() else { return nil }
        return accept(batch)
    }

    /// The events of a live batch this client has not had (after its backlog); [] for a heartbeat.
    func accept(_ batch: EventHub.Batch) -> [LoggedEvent] {
        guard !batch.events.isEmpty else { return [] }
        assert(caughtUp, "live batches are taken after the backlog")
        let fresh = batch.events.filter { $0.id > cursor }
        cursor = max(cursor, batch.through)
        return fresh
    }

    /// Stops listening; returns anything delivered but not yet taken, and advances the cursor to
    /// the position the hub had reached.
    func close() async -> [LoggedEvent] {
        guard !closed else { return [] }
        closed = true
        let position = hub.unsubscribeReturningPosition(subscription)
        var batches: [EventHub.Batch] = []
        while let batch = await iterator?.next() { batches.append(batch) }
        return finish(batches, position: position)
    }

    /// The end of `close`: the fresh events of the batches left when the subscription ended (none
    /// before the backlog is done: the next request reads them from the log), and the cursor moved
    /// to where the hub had got.
    private func finish(_ batches: [EventHub.Batch], position: Int64) -> [LoggedEvent] {
        guard caughtUp else { return [] }
        var rest: [LoggedEvent] = []
        for batch in batches {
            rest += batch.events.filter { $0.id > cursor }
            if batch.through > 0 { cursor = max(cursor, batch.through) }
        }
        cursor = max(cursor, position)
        return rest
    }
}
