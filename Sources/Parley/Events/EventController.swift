import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The two real-time transports over one code path (`EventFeed`): long-poll `GET /api/events` and
/// Server-Sent Events `GET /api/events/stream`.
struct EventController {
    let hub: EventHub
    let log: EventLog
    let presence: PresenceService
    /// Called with each batch handed to a client (delivery receipts hook in here).
    let onDelivered: @Sendable (Int64, [LoggedEvent]) -> Void

    static let defaultTimeout = 25
    static let maxTimeout = 60
    static let pageLimit = 500

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/events", use: poll)
        router.get("/api/events/stream", use: stream)
    }

    /// Parses a cursor: a non-negative event id.
    /// The stream's cursor: `Last-Event-ID`, else `after`. An empty `Last-Event-ID` (the SSE
    /// specification's "no id yet") counts as absent, so `after` still applies.
    static func cursor(lastEventID: String?, after: String?) throws(ParleyError) -> Int64? {
        try cursor(lastEventID.flatMap { $0.isEmpty ? nil : $0 } ?? after)
    }

    static func cursor(_ text: String?) throws(ParleyError) -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int64(text) else {
            throw ParleyError(.badRequest, "invalid_cursor", "A cursor is the non-negative id of the last event seen.")
        }
        return value
    }

    /// Parses a long-poll timeout: whole seconds from 0 to `maxTimeout` (default `defaultTimeout`,
    /// also for an empty value, as an empty cursor is none).
    static func timeout(_ text: String?) throws(ParleyError) -> Int {
        guard let text, !text.isEmpty else { return defaultTimeout }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text), (0...maxTimeout).contains(value) else {
            throw ParleyError(.badRequest, "invalid_timeout", "timeout is a whole number of seconds from 0 to \(maxTimeout).")
        }
        return value
    }

    /// The long-poll answer: `{"cursor":…,"events":[…]}`.
    static func pollBody(cursor: Int64, events: [LoggedEvent]) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeString(#"{"cursor":\#(cursor),"events":["#)
        for (index, event) in events.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeString(event.json)
        }
        body.writeString("]}")
        return body
    }

    /// [events] Long-poll: the events after `after` at once, or wait up to `timeout` seconds for one.
    func poll(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let after = try Self.cursor(request.query["after"].map(String.init))
        let timeout = try Self.timeout(request.query["timeout"].map(String.init))
        let feed = EventFeed(userID: session.user.id, sessionID: session.id, after: after, hub: hub, log: log)
        await presence.connected(session.user.id, session: session.id)
        defer { presence.disconnected(session.user.id, session: session.id) }
        var events = try await feed.nextBacklog(limit: Self.pageLimit)
        let waitSeconds = timeout
        if events.isEmpty && waitSeconds > 0 {
            // Wait for a live batch, the timeout, the client going away or shutdown, whichever comes
            // first; shutdown ends the subscription, which ends the wait.
            let subscription = feed.subscription
            events = await withGracefulShutdownHandler {
                await withTaskGroup(of: [LoggedEvent]?.self) { group in
                    group.addTask {
                        while let batch = await feed.nextLive() {
                            if !batch.isEmpty { return batch }
                        }
                        return nil
                    }
                    group.addTask {
                        try? await Task.sleep(for: .seconds(waitSeconds))
                        return nil
                    }
                    // Keep whatever the live task took even if the timer won: nothing taken may be lost.
                    var collected: [LoggedEvent] = []
                    if let first = await group.next(), let batch = first { collected += batch }
                    group.cancelAll()
                    for await result in group { if let batch = result { collected += batch } }
                    return collected
                }
            } onGracefulShutdown: {
                subscription.finish()
            }
        }
        events += await feed.close()
        if !events.isEmpty { onDelivered(session.user.id, events) }
        let body = Self.pollBody(cursor: feed.cursor, events: events)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: body))
    }

    /// A stream's first lines: the reconnection delay, and the `id:` line (dispatched with no data,
    /// so no event fires) that sets the stream's last event id, so that a client that started
    /// without a cursor reconnects from here even before its first event. Not before a `resync`:
    /// a client that dropped before reading it would reconnect from the head and never hear it.
    static func preamble(_ feed: EventFeed) -> String {
        feed.startsWithResync
            ? "retry: 2000\n: connected, resync follows\n\n" : "retry: 2000\nid: \(feed.cursor)\n: connected, cursor \(feed.cursor)\n\n"
    }

    /// [eventStream] Server-Sent Events: replay from `Last-Event-ID` (or `after`), then live.
    func stream(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let after = try Self.cursor(lastEventID: request.headers[.init("Last-Event-ID")!], after: request.query["after"].map(String.init))
        let onDelivered = self.onDelivered
        let presence = self.presence
        let userID = session.user.id
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no",
        ]
        // Subscribe before the response headers go out: a client that starts without a cursor and
        // sees the stream open misses nothing published after that.
        let feed = EventFeed(userID: userID, sessionID: session.id, after: after, hub: hub, log: log)
        return Response(
            status: .ok, headers: headers,
            body: .init { writer in
                await presence.connected(userID, session: session.id)
                do {
                    // The stream ends when the client goes away or the server shuts down gracefully
                    // (otherwise SIGTERM would wait for every open stream): either way by ending the
                    // subscription, which is cheaper per connection than cancelling a task group.
                    let subscription = feed.subscription
                    try await request.body.consumeWithInboundCloseHandler({ _ in
                        try await withGracefulShutdownHandler {
                            try await Self.pump(feed, into: &writer, userID: userID, onDelivered: onDelivered)
                        } onGracefulShutdown: {
                            subscription.finish()
                        }
                    }, onInboundClosed: { subscription.finish() })
                } catch is CancellationError {
                    // The client went away.
                }
                _ = await feed.close()
                presence.disconnected(userID, session: session.id)
                try? await writer.finish(nil)
            })
    }

    /// Writes the backlog, then live batches (a heartbeat comment for an empty one), until the
    /// subscription ends.
    static func pump(
        _ feed: EventFeed, into writer: inout any ResponseBodyWriter, userID: Int64, onDelivered: @Sendable (Int64, [LoggedEvent]) -> Void
    ) async throws {
        // The `id:` line (dispatched with no data, so no event fires) sets the stream's last event id, so
        // a client that started without a cursor reconnects from here even before its first event.
        var buffer = ByteBuffer(string: Self.preamble(feed))
        while true {
            let page = try await feed.nextBacklog(limit: pageLimit)
            if page.isEmpty { break }
            frame(page, into: &buffer)
            try await writer.write(buffer)
            buffer.clear()
            onDelivered(userID, page)
        }
        if buffer.readableBytes > 0 { try await writer.write(buffer) }
        while let events = await feed.nextLive() {
            if events.isEmpty {
                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                continue
            }
            if events.count == 1 {
                try await writer.write(events[0].sseFrame)
            } else {
                var batch = ByteBuffer()
                frame(events, into: &batch)
                try await writer.write(batch)
            }
            onDelivered(userID, events)
        }
    }

    /// `id:`, `event:` and `data:` lines for each event.
    static func frame(_ events: [LoggedEvent], into buffer: inout ByteBuffer) {
        for event in events {
            var frame = event.sseFrame
            buffer.writeBuffer(&frame)
        }
    }
}
