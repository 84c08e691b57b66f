import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MariaDB
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// What an SSE stream needs from the rest of Parley.
struct EventStreams: Sendable {
    let sessions: SessionService
    let hub: EventHub
    let log: EventLog
    let presence: PresenceService
    let onDelivered: @Sendable (Int64, [LoggedEvent]) -> Void
    let logger: Logger
    /// How long a connection may sit with no request in progress, or with a request that stopped
    /// arriving, before it is closed (`PARLEY_IDLE_TIMEOUT`).
    let idleTimeout: TimeAmount
    /// The largest body any route takes: a request announcing more is not told `100 Continue` (the
    /// route refuses it from its head, 413, before the client sends a byte of it).
    var largestBody: Int = .max
}

/// The real-time endpoints, Server-Sent Events (`GET /api/events/stream`) and long-poll
/// (`GET /api/events`), served on the connection's event loop.
///
/// It sits in each HTTP/1 connection's pipeline ahead of Hummingbird's request handling and takes
/// over the requests for these two. Everything else passes through untouched. A stream or waiting
/// poll costs its connection, this handler and its feed: no task waits per listener, and the hub's
/// batches are handled by the connection's own event loop as they arrive. (Through Hummingbird's
/// router each stream held a request task and the peak async stack of the request chain for its
/// whole life, about 40 KB, every delivery resumed that task, and each poll went through the
/// middleware chain and two child tasks.)
///
/// Both use the same feed (`EventFeed`: replay from the cursor, then live, each event once and in
/// order). `EventController` serves the same two endpoints through the router, used only where
/// there is no connection pipeline (the in-process test client).
///
/// HTTP/1.1 rules hold across both halves: responses go out in the order the requests came, so a
/// poll or stream request pipelined behind one Hummingbird is still answering waits for that
/// answer's end (seen on its way out), and requests pipelined behind a waiting poll wait for the
/// poll's answer. `Connection: close` on a request this handler answers closes the connection after
/// the answer. (Requests behind a stream are dropped: its answer never ends.)
///
/// It also closes idle connections, as it alone sees every request on the connection: one with no
/// request in progress (or whose request head or body stopped arriving) for `idleTimeout`. A
/// request being answered keeps its connection however long it takes: a stream, a waiting poll,
/// a forwarded request.
final class EventStreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let path = "/api/events/stream"
    static let pollPath = "/api/events"
    static let bufferLimit = 4096

    private let streams: EventStreams
    /// The HTTP response encoder's place in the pipeline: live chunks, already framed once per
    /// event for every stream, are written from there, past the encoder.
    private var encoder: ChannelHandlerContext?
    /// The codec's place in the pipeline, where poll answers are written (`codecContext`).
    private var codec: ChannelHandlerContext?
    /// The rest of a request this handler answers (its body and end) is dropped.
    private var swallowing = false
    /// This connection carries a stream (being opened, open, or ended): it takes no more requests.
    private var taken = false
    private var stream: OpenStream?
    private var poll: OpenPoll?
    /// Close the connection once the current poll is answered (shutdown).
    private var closeAfterAnswer = false
    /// The request being answered here asked for `Connection: close`.
    private var closeRequested = false
    /// Requests passed on to Hummingbird whose answers have not ended yet.
    private var forwardedInFlight = 0
    /// Request parts that arrived while an earlier request was still being answered, in order.
    private var queued = CircularBuffer<HTTPRequestPart>()
    private var queuedBytes = 0
    /// More than this waiting behind an unanswered request closes the connection.
    static let queueLimitBytes = 1 << 20
    static let queueLimitParts = 1024
    /// The last request part read or answer ended: where the idle time counts from.
    private var lastActivity = NIODeadline.now()
    /// A request's head arrived and its end has not.
    private var readingRequest = false
    private var idleCheck: Scheduled<Void>?

    init(streams: EventStreams) {
        self.streams = streams
    }

    /// An open stream: its feed, its sink in the hub and whether its backlog has been written.
    private final class OpenStream {
        let feed: EventFeed
        let sink: LoopSink
        var backlogWritten = false
        /// An HTTP/1.0 client's stream: its answer is not chunked (`HTTP10Handler`), so live events
        /// go through the encoder as plain body parts, not as the shared chunks past it.
        let oneDotZero: Bool
        init(feed: EventFeed, sink: LoopSink, oneDotZero: Bool) {
            self.feed = feed
            self.sink = sink
            self.oneDotZero = oneDotZero
        }
    }

    static let http10Marker = HTTPField.Name(HTTP10Handler.marker)!

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleIdleCheck(context: context, at: .now() + streams.idleTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if idleCheck == nil { scheduleIdleCheck(context: context, at: .now() + streams.idleTimeout) }
        context.fireChannelActive()
    }

    private func scheduleIdleCheck(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.idleCheck = nil
            handler.checkIdle(context: context)
        }
    }

    /// Closes the connection if it has been idle for `idleTimeout`, else checks again when it could be.
    private func checkIdle(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let answering = (taken || forwardedInFlight > 0) && !readingRequest
        if answering {
            scheduleIdleCheck(context: context, at: .now() + streams.idleTimeout)
            return
        }
        let due = lastActivity + streams.idleTimeout
        if NIODeadline.now() >= due {
            queued.removeAll()
            queuedBytes = 0
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context: context, at: due)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        lastActivity = .now()
        switch part {
        case .head: readingRequest = true
        case .body(let bytes): PostTrace.mark(.requestRead, body: bytes)
        case .end: readingRequest = false
        }
        if queued.isEmpty && !mustWait(part) {
            handle(part, context: context)
            return
        }
        // Behind a stream nothing will ever be answered.
        if stream != nil && !swallowing { return }
        queued.append(part)
        if case .body(let bytes) = part { queuedBytes += bytes.readableBytes }
        if queued.count > Self.queueLimitParts || queuedBytes > Self.queueLimitBytes {
            queued.removeAll()
            queuedBytes = 0
            context.close(promise: nil)
        }
    }

    /// Whether `part` has to wait: a request this handler answers is still open, or `part` starts
    /// one of this handler's requests while Hummingbird is still answering an earlier request.
    private func mustWait(_ part: HTTPRequestPart) -> Bool {
        if swallowing { return false }
        if taken { return true }
        guard forwardedInFlight > 0, case .head(let request) = part else { return false }
        return Self.isOurs(request)
    }

    private static func isOurs(_ request: HTTPRequest) -> Bool {
        guard request.method == .get, let target = request.path else { return false }
        return matches(target, path) || matches(target, pollPath)
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        if swallowing {
            if case .end = part { swallowing = false }
            return
        }
        guard case .head(let request) = part, Self.isOurs(request), let target = request.path else {
            if case .head(let request) = part {
                // A client that waits for leave to send its body (curl does above 1 MB) is told to go
                // on at once, when no earlier answer is still on its way (it waited a second).
                if forwardedInFlight == 0, Self.expectsContinue(request), !Self.announcesMore(than: streams.largestBody, request),
                    let encoder = encoderContext(context)
                {
                    encoder.writeAndFlush(NIOAny(Self.continueLine), promise: nil)
                }
                forwardedInFlight += 1
            }
            context.fireChannelRead(wrapInboundOut(part))
            return
        }
        swallowing = true
        closeRequested = Self.asksToClose(request)
        if Self.matches(target, Self.path) {
            open(request, target: target, context: context)
        } else {
            openPoll(request, target: target, context: context)
        }
    }

    /// Handles what waited, in order, as far as it may go now.
    private func drainQueue(context: ChannelHandlerContext) {
        var drained = false
        while let next = queued.first, !mustWait(next), context.channel.isActive {
            queued.removeFirst()
            if case .body(let bytes) = next { queuedBytes -= bytes.readableBytes }
            handle(next, context: context)
            drained = true
        }
        // Hummingbird takes in what it was passed at the end of a read.
        if drained { context.fireChannelReadComplete() }
    }

    static let continueLine = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")

    /// How long a connection may go on after shutdown began (a request still arriving or being answered).
    static let shutdownGrace = TimeAmount.seconds(5)

    /// `Expect: 100-continue` (the only expectation HTTP/1.1 defines).
    static func expectsContinue(_ request: HTTPRequest) -> Bool {
        request.headerFields[values: .expect].contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "100-continue" }
    }

    /// Whether the request's `Content-Length` is over `limit`.
    static func announcesMore(than limit: Int, _ request: HTTPRequest) -> Bool {
        guard let length = request.headerFields[.contentLength] else { return false }
        return Int(length.trimmingCharacters(in: .whitespaces)).map { $0 > limit } ?? true
    }

    /// `Connection: close` among the request's connection options.
    static func asksToClose(_ request: HTTPRequest) -> Bool {
        request.headerFields[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
        }
    }

    /// A request the HTTP parser refused (a head too long, bad framing): Hummingbird answers a bare
    /// 400 and closes; noted here so that the answer gets the JSON envelope and a request id.
    private var unparsable = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, taken || stream != nil || poll != nil {
            // Bytes that do not parse behind a request answered here (a malformed request, or
            // anything after one that asked to close): that request is answered first and the
            // connection then closes; the bytes get no answer. Passed on, Hummingbird's 400 went
            // out at once: ahead of a waiting poll's answer, which never came, or in the middle of
            // a stream's body, breaking its framing (a hunt).
            queued.removeAll()
            queuedBytes = 0
            closeAfterAnswer = true
            if stream != nil { endStream(context: context) }
            return
        }
        if error is HTTPParserError { unparsable = true }
        context.fireErrorCaught(error)
    }

    /// Hummingbird's answers pass here on their way out: the end of one lets a request that waited
    /// behind it go.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if unparsable, case .head(let head) = part, head.status == .badRequest, head.headerFields[.contentLength] == "0" {
            unparsable = false
            let body = errorBody(
                code: "invalid_request", message: "The request is not valid HTTP/1.1: a request line or header too long, or malformed framing.")
            var fields = head.headerFields
            fields[.contentType] = "application/json; charset=utf-8"
            fields[.contentLength] = String(body.readableBytes)
            fields[.init("X-Request-Id")!] = Self.requestID()
            Self.addAPIHeaders(&fields)
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .badRequest, headerFields: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: promise)
            return
        }
        let ended: Bool
        if case .end = part { ended = true } else { ended = false }
        context.write(data, promise: promise)
        guard ended else { return }
        lastActivity = .now()
        forwardedInFlight = max(0, forwardedInFlight - 1)
        if forwardedInFlight == 0 && !queued.isEmpty { drainQueue(context: context) }
    }

    /// Whether a request target is `path`, with or without a query.
    static func matches(_ target: String, _ path: String) -> Bool {
        target == path || (target.hasPrefix(path) && target.utf8.dropFirst(path.utf8.count).first == UInt8(ascii: "?"))
    }

    /// A query parameter of a request target, if present (the first of that name), percent-decoded
    /// (`%31` is `1`; `+` stays a plus) as Hummingbird decodes the other routes' parameters; a
    /// malformed escape stays as it came. Read in place: every poll reads two.
    static func parameter(_ name: String, in target: String) -> String? {
        guard let raw = rawParameter(name, in: target) else { return nil }
        guard raw.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return raw }
        // As `QueryParameters` reads other routes' queries: `+` is a space.
        return QueryParameters.decode(Substring(raw))
    }

    private static func rawParameter(_ name: String, in target: String) -> String? {
        let bytes = target.utf8
        guard let question = bytes.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        var start = bytes.index(after: question)
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            let pair = bytes[start..<end]
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? end
            if pair[pair.startIndex..<equals].elementsEqual(name.utf8) {
                return equals == end ? "" : String(Substring(target.utf8[bytes.index(after: equals)..<end]))
            }
            start = end == bytes.endIndex ? end : bytes.index(after: end)
        }
        return nil
    }

    /// The session tokens to try and how they came: `Authorization: Bearer …` first, else the
    /// cookies (`SessionMiddleware.cookieTokens`). A malformed Authorization header counts as a wrong token.
    /// (The first token apart: a poll with a bearer token, every delivered batch of a long-poll
    /// client, allocates no array.)
    static func credentials(_ fields: HTTPFields) -> (token: String, others: [String], via: AuthenticatedSession.Transport)? {
        if let token = SessionMiddleware.bearerToken(fields) { return (token, [], .bearer) }
        let tokens = SessionMiddleware.cookieTokens(fields)
        guard let first = tokens.first else { return nil }
        return (first, Array(tokens.dropFirst()), .cookie)
    }

    /// The request's parameters as `parse` reads them, or nil after answering its 400.
    private func validated<T>(requestID: String, context: ChannelHandlerContext, _ parse: () throws(ParleyError) -> T) -> T? {
        do {
            return try parse()
        } catch {
            respond(error, requestID: requestID, context: context)
            return nil
        }
    }

    private func open(_ request: HTTPRequest, target: String, context: ChannelHandlerContext) {
        let requestID = Self.requestID()
        guard
            let after = validated(requestID: requestID, context: context, { () throws(ParleyError) in
                try EventController.cursor(lastEventID: request.headerFields[.init("Last-Event-ID")!], after: Self.parameter("after", in: target))
            })
        else { return }
        withSession(Self.credentials(request.headerFields), requestID: requestID, context: context) { handler, context, session in
            handler.start(session: session, after: after, oneDotZero: request.headerFields[Self.http10Marker] != nil, requestID: requestID, context: context)
        }
    }

    /// Finds the request's session, from the cache at once or else in a task, and goes on with it
    /// on the loop; answers 401 itself (503 when sessions cannot be checked). The connection takes
    /// no other request meanwhile.
    private func withSession(
        _ credentials: (token: String, others: [String], via: AuthenticatedSession.Transport)?, requestID: String, context: ChannelHandlerContext,
        _ next: @escaping (EventStreamHandler, ChannelHandlerContext, AuthenticatedSession) -> Void
    ) {
        guard let credentials else {
            respond(.unauthenticated, requestID: requestID, context: context)
            return
        }
        taken = true
        // A busy client's session is in the cache: no task, no hop.
        if let session = streams.sessions.resolveCached(token: credentials.token, via: credentials.via) {
            next(self, context, session)
            return
        }
        for token in credentials.others {
            if let session = streams.sessions.resolveCached(token: token, via: credentials.via) {
                next(self, context, session)
                return
            }
        }
        let streams = self.streams
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context, next: next), eventLoop: loop)
        Task {
            var session: AuthenticatedSession?
            var failed = false
            do {
                for token in [credentials.token] + credentials.others where session == nil {
                    session = try await streams.sessions.resolve(token: token, via: credentials.via)
                }
            } catch {
                streams.logger.error("session lookup failed", metadata: ["error": "\(error)", "hb.request.id": "\(requestID)"])
                failed = true
            }
            let resolved = session
            let unavailable = failed
            loop.execute {
                let (handler, context, next) = bound.value
                guard let session = resolved else {
                    handler.taken = false
                    handler.respond(
                        unavailable ? .unavailable : .unauthenticated,
                        requestID: requestID, context: context)
                    return
                }
                guard context.channel.isActive else { return }
                next(handler, context, session)
            }
        }
    }

    /// Counts the connection for presence and subscribes a feed from `after`; the hub's batches
    /// reach `flush` on this loop, and `end` is called when the feed must end (its client fell behind).
    private func subscribe(
        session: AuthenticatedSession, after: Int64?, context: ChannelHandlerContext,
        flush: @escaping (EventStreamHandler, ChannelHandlerContext) -> Void, end: @escaping (EventStreamHandler, ChannelHandlerContext) -> Void
    ) -> (EventFeed, LoopSink) {
        streams.presence.connectedNow(session.user.id, session: session.id)
        let bound = NIOLoopBound((handler: self, context: context, flush: flush, end: end), eventLoop: context.eventLoop)
        let sink = LoopSink(
            userID: session.user.id, sessionID: session.id, bufferLimit: Self.bufferLimit, eventLoop: context.eventLoop,
            flush: { bound.value.flush(bound.value.handler, bound.value.context) },
            end: { bound.value.end(bound.value.handler, bound.value.context) })
        return (EventFeed(sink: sink, after: after, hub: streams.hub, log: streams.log), sink)
    }

    /// Subscribes, then sends the headers: a client that sees the stream open misses nothing after.
    private func start(session: AuthenticatedSession, after: Int64?, oneDotZero: Bool, requestID: String, context: ChannelHandlerContext) {
        // The connection was to close (shutdown, or bytes that do not parse) while the session was
        // looked up: a stream never ends by itself, so none starts.
        if closeAfterAnswer {
            context.close(promise: nil)
            return
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let (feed, sink) = subscribe(session: session, after: after, context: context, flush: { $0.flushLive(context: $1) }, end: { $0.endStream(context: $1) })
        _ = encoderContext(context)
        let open = OpenStream(feed: feed, sink: sink, oneDotZero: oneDotZero)
        stream = open
        // The connection closes when the stream ends, so it says so from the start: a client must not
        // take the connection back into its pool after the stream's last chunk (it would race the close).
        var fields: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no",
            .init("X-Request-Id")!: requestID, .connection: "close",
        ]
        Self.addAPIHeaders(&fields)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: fields))), promise: nil)
        let preamble = ByteBuffer(string: EventController.preamble(feed))
        context.writeAndFlush(wrapOutboundOut(.body(preamble)), promise: nil)
        streams.logger.info("GET \(Self.path) 200", metadata: ["hb.request.id": "\(requestID)", "user": "\(session.user.id)"])

        // What the client missed comes from the database or the window, written before anything live.
        let streams = self.streams
        let userID = session.user.id
        let channel = context.channel
        Task {
            do {
                while true {
                    let page = try await feed.nextBacklog(limit: EventController.pageLimit)
                    if page.isEmpty { break }
                    var buffer = ByteBuffer()
                    EventController.frame(page, into: &buffer)
                    try await channel.writeAndFlush(HTTPResponsePart.body(buffer))
                    streams.onDelivered(userID, page)
                }
                channel.eventLoop.execute {
                    let (handler, context) = bound.value
                    guard let open = handler.stream else { return }
                    open.backlogWritten = true
                    handler.flushLive(context: context)
                }
            } catch {
                streams.logger.debug("event stream backlog ended", metadata: ["error": "\(error)"])
                channel.close(promise: nil)
            }
        }
    }

    /// Writes what the hub delivered since the last flush, in one write; waits while the backlog is
    /// still going out or the client is not reading.
    private func flushLive(context: ChannelHandlerContext) {
        guard let open = stream else { return }
        guard open.backlogWritten, context.channel.isWritable else {
            open.sink.flushDeferred()
            return
        }
        let batches = open.sink.take()
        guard !batches.isEmpty else { return }
        let traced = batches.first?.events.first?.id
        PostTrace.mark(.writeStarted, event: traced)
        var delivered: [LoggedEvent] = []
        var wrote = false
        for batch in batches {
            let events = open.feed.accept(batch)
            if batch.events.isEmpty {
                write(Self.heartbeatChunk, context: context)
                wrote = true
            } else if !events.isEmpty {
                for event in events { write(event.sseChunk, context: context) }
                delivered += events
                wrote = true
            }
        }
        guard wrote else { return }
        context.flush()
        PostTrace.mark(.written, event: traced)
        if !delivered.isEmpty { streams.onDelivered(open.feed.userID, delivered) }
    }

    /// Ends the response properly (its last chunk), then the connection: shutdown, the session ended,
    /// or the client fell too far behind.
    private func endStream(context: ChannelHandlerContext) {
        guard stream != nil, context.channel.isActive else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    static let heartbeatChunk: ByteBuffer = {
        let frame = ": heartbeat\n\n"
        return ByteBuffer(string: String(frame.utf8.count, radix: 16) + "\r\n" + frame + "\r\n")
    }()

    /// Writes one chunk of the response body (not flushed): past the encoder when it is where
    /// Hummingbird puts it, else (and for an HTTP/1.0 client, whose answer is not chunked) through
    /// it as a body part. An HTTP/1.0 stream had the chunks' size lines in its body (a hunt).
    private func write(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        if let encoder, stream?.oneDotZero != true {
            encoder.write(NIOAny(chunk), promise: nil)
        } else {
            var frame = chunk
            let sizeLine = frame.readableBytesView.firstIndex(of: UInt8(ascii: "\n")).map { $0 - frame.readerIndex + 1 } ?? 0
            frame.moveReaderIndex(forwardBy: sizeLine)
            frame.moveWriterIndex(to: frame.writerIndex - 2)
            context.write(wrapOutboundOut(.body(frame)), promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flushLive(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        queued.removeAll()
        queuedBytes = 0
        if let open = stream {
            stream = nil
            open.sink.finish()
            streams.hub.unsubscribe(open.sink)
            streams.presence.disconnected(open.feed.userID, session: open.feed.subscription.sessionID)
        }
        if let open = poll {
            poll = nil
            open.answered = true
            open.timer?.cancel()
            _ = open.feed.close(remaining: { open.sink.take() })
            open.sink.finish()
            streams.presence.disconnected(open.feed.userID, session: open.feed.subscription.sessionID)
        }
        context.fireChannelInactive()
    }

    /// Graceful shutdown: Hummingbird closes connections it sees idle, which these are from its
    /// side. A waiting poll is answered and an open stream ended properly first, then the connection
    /// closes.
    ///
    /// Any other connection is Hummingbird's to close once its request is answered, but a client
    /// still sending a body (one byte a second, or none) held the shutdown for as long as it liked
    /// with the port already closed (a hunt: 150 s and on): each connection gets `shutdownGrace`
    /// to finish, then it is closed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            let channel = context.channel
            context.eventLoop.scheduleTask(in: Self.shutdownGrace) { if channel.isActive { channel.close(promise: nil) } }
        }
        guard event is ChannelShouldQuiesceEvent, stream != nil || poll != nil || taken else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if poll != nil {
            closeAfterAnswer = true
            answerPoll(context: context)
        } else if stream != nil {
            endStream(context: context)
        } else {
            // Still authenticating: nothing to answer yet.
            context.close(promise: nil)
        }
    }

    // MARK: Long-poll

    /// A waiting long-poll: its feed and sink, what it has collected, and its timeout.
    private final class OpenPoll {
        let feed: EventFeed
        let sink: LoopSink
        let requestID: String
        var collected: [LoggedEvent] = []
        var backlogDone = false
        var answered = false
        var timer: Scheduled<Void>?
        init(feed: EventFeed, sink: LoopSink, requestID: String) {
            self.feed = feed
            self.sink = sink
            self.requestID = requestID
        }
    }

    private func openPoll(_ request: HTTPRequest, target: String, context: ChannelHandlerContext) {
        let requestID = Self.requestID()
        guard
            let (after, timeout) = validated(requestID: requestID, context: context, { () throws(ParleyError) in
                (try EventController.cursor(Self.parameter("after", in: target)), try EventController.timeout(Self.parameter("timeout", in: target)))
            })
        else { return }
        withSession(Self.credentials(request.headerFields), requestID: requestID, context: context) { handler, context, session in
            handler.startPoll(session: session, after: after, timeout: timeout, requestID: requestID, context: context)
        }
    }

    private func startPoll(session: AuthenticatedSession, after: Int64?, timeout: Int, requestID: String, context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let (feed, sink) = subscribe(
            session: session, after: after, context: context, flush: { $0.pollDelivered(context: $1) }, end: { $0.answerPoll(context: $1) })
        let open = OpenPoll(feed: feed, sink: sink, requestID: requestID)
        poll = open
        if let events = feed.nextBacklogFromMemory(limit: EventController.pageLimit) {
            backlogRead(events, timeout: timeout, context: context)
            return
        }
        // The cursor is older than the window: the backlog comes from the database.
        let logger = streams.logger
        let loop = context.eventLoop
        Task {
            do {
                let events = try await feed.nextBacklog(limit: EventController.pageLimit)
                loop.execute { bound.value.handler.backlogRead(events, timeout: timeout, context: bound.value.context) }
            } catch {
                logger.error("long-poll backlog failed", metadata: ["error": "\(error)", "hb.request.id": "\(requestID)"])
                loop.execute {
                    let (handler, context) = bound.value
                    guard let open = handler.poll, !open.answered else { return }
                    handler.poll = nil
                    handler.taken = false
                    open.answered = true
                    _ = open.feed.close(remaining: { open.sink.take() })
                    open.sink.finish()
                    handler.streams.presence.disconnected(open.feed.userID, session: open.feed.subscription.sessionID)
                    let temporary = (error as? MariaDBError)?.isTemporaryServerFailure ?? false
                    handler.respond(
                        temporary ? .unavailable : ParleyError(.internalServerError, "internal_error", "Something went wrong on the server."),
                        requestID: requestID, context: context)
                }
            }
        }
    }

    /// The backlog is in: answer with it, or wait for a live batch until the timeout.
    private func backlogRead(_ events: [LoggedEvent], timeout: Int, context: ChannelHandlerContext) {
        guard let open = poll, !open.answered else { return }
        open.collected = events
        open.backlogDone = true
        if !events.isEmpty || timeout == 0 {
            answerPoll(context: context)
            return
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        open.timer = context.eventLoop.scheduleTask(in: .seconds(Int64(timeout))) {
            bound.value.handler.answerPoll(context: bound.value.context)
        }
        pollDelivered(context: context)
    }

    /// Live batches arrived: answer as soon as one holds an event for this client.
    private func pollDelivered(context: ChannelHandlerContext) {
        guard let open = poll, !open.answered else { return }
        guard open.backlogDone else {
            open.sink.flushDeferred()
            return
        }
        for batch in open.sink.take() { open.collected += open.feed.accept(batch) }
        if !open.collected.isEmpty { answerPoll(context: context) }
    }

    /// Answers the poll with what it collected (and anything its sink still holds), and frees the
    /// connection for the next request.
    private func answerPoll(context: ChannelHandlerContext) {
        guard let open = poll, !open.answered else { return }
        open.answered = true
        poll = nil
        taken = false
        open.timer?.cancel()
        let events = open.collected + open.feed.close(remaining: { open.sink.take() })
        PostTrace.mark(.writeStarted, event: events.first?.id)
        defer { PostTrace.mark(.written, event: events.first?.id) }
        open.sink.finish()
        let userID = open.feed.userID
        streams.presence.disconnected(userID, session: open.feed.subscription.sessionID)
        if !events.isEmpty { streams.onDelivered(userID, events) }
        guard context.channel.isActive else { return }
        let body = EventController.pollBody(cursor: open.feed.cursor, events: events)
        let closing = closeAfterAnswer || closeRequested
        if let codec = codecContext(context) {
            // Every waiting poll is answered at once when its room gets a message: the head's fixed
            // fields are built once, and the answer goes through NIO's response encoder (not past
            // it: the encoder pairs each answer with its request's method, and an answer it did not
            // see left a later `HEAD`'s answer with a body and the next answer without one).
            var headers = Self.pollHeaders
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            headers.add(name: "X-Request-Id", value: open.requestID)
            headers.add(name: "Date", value: HTTPDate.now)
            if closing { headers.add(name: "Connection", value: "close") }
            codec.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            codec.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
            finish(closing: closing, written: codec.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))), context: context)
        } else {
            var fields: HTTPFields = [
                .contentType: "application/json; charset=utf-8", .cacheControl: "no-store", .contentLength: String(body.readableBytes),
                .init("X-Request-Id")!: open.requestID,
            ]
            Self.addAPIHeaders(&fields)
            if closing { fields[.connection] = "close" }
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            finish(closing: closing, context: context)
        }
        streams.logger.debug("GET \(Self.pollPath) 200", metadata: ["hb.request.id": "\(open.requestID)", "events": "\(events.count)"])
    }

    /// The fixed header fields of every poll answer.
    static let pollHeaders: HTTPHeaders = {
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"]
        for field in WebMiddleware.apiHeaders { headers.add(name: field.name.rawName, value: field.value) }
        return headers
    }()

    /// The place in the pipeline of the codec between HTTP types and NIO's (looked up once): poll
    /// answers written from there reach NIO's response encoder as NIO's types.
    private func codecContext(_ context: ChannelHandlerContext) -> ChannelHandlerContext? {
        if codec == nil { codec = try? context.pipeline.syncOperations.context(handlerType: HTTP1ToHTTPServerCodec.self) }
        return codec
    }

    /// The HTTP response encoder's place in the pipeline (looked up once), where whole encoded
    /// answers and live chunks are written.
    private func encoderContext(_ context: ChannelHandlerContext) -> ChannelHandlerContext? {
        if encoder == nil { encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) }
        return encoder
    }

    /// Ends an answer this handler wrote: closes the connection after it when asked to, else goes
    /// on with the requests that waited behind it.
    private func finish(closing: Bool, written: EventLoopFuture<Void>? = nil, context: ChannelHandlerContext) {
        lastActivity = .now()
        let written = written ?? context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closing {
            queued.removeAll()
            queuedBytes = 0
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        } else {
            drainQueue(context: context)
        }
    }

    private func respond(_ error: ParleyError, requestID: String, context: ChannelHandlerContext) {
        let body = errorBody(code: error.code, message: error.message)
        var fields = error.headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(body.readableBytes)
        fields[.init("X-Request-Id")!] = requestID
        // As the API's other errors (`WebMiddleware.secure`).
        if fields[.cacheControl] == nil { fields[.cacheControl] = "private, no-cache" }
        Self.addAPIHeaders(&fields)
        let closing = closeAfterAnswer || closeRequested
        if closing { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: error.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        finish(closing: closing, context: context)
        streams.logger.info("GET \(Self.path) \(error.status.code)", metadata: ["hb.request.id": "\(requestID)"])
    }

    /// The headers every API answer carries (`WebMiddleware.apiHeaders`) and the `Date` (RFC 9110
    /// §6.6.1), where the answer has none of its own: Hummingbird adds `Date` and `Server` only to
    /// the answers it writes, and these went without, with the web page's policy instead of the
    /// API's (a hunt).
    static func addAPIHeaders(_ fields: inout HTTPFields) {
        for field in WebMiddleware.apiHeaders where fields[field.name] == nil { fields.append(field) }
        if fields[.date] == nil { fields[.date] = HTTPDate.now }
    }

    /// An id as Hummingbird gives its requests (a random prefix and a counter: no system call).
    private static func requestID() -> String { RequestID().description }
}

/// The hub's side of an event-loop stream: batches queue here (any thread) and the connection's
/// event loop is asked to write them, once per burst. A stream more than `bufferLimit` batches
/// behind (a client that stopped reading) is ended; it reconnects with its cursor and catches up.
final class LoopSink: EventSink, @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`.
    let userID: Int64
    let sessionID: Int64
    private let bufferLimit: Int
    private let eventLoop: any EventLoop
    /// The loop's flusher, looked up once (the lookup takes a process-wide lock).
    private let flusher: LoopFlusher
    private let flush: @Sendable () -> Void
    private let end: @Sendable () -> Void
    private let lock = NIOLock()
    private var pending: [EventHub.Batch] = []
    private var flushScheduled = false
    private var ended = false

    init(
        userID: Int64, sessionID: Int64, bufferLimit: Int, eventLoop: any EventLoop, flush: @escaping @Sendable () -> Void,
        end: @escaping @Sendable () -> Void
    ) {
        self.userID = userID
        self.sessionID = sessionID
        self.bufferLimit = bufferLimit
        self.eventLoop = eventLoop
        self.flusher = LoopFlusher.for(eventLoop)
        self.flush = flush
        self.end = end
    }

    func deliver(_ batch: EventHub.Batch) -> Bool {
        enum Next { case nothing, flush, end, refuse }
        let next = lock.withLock { () -> Next in
            if ended { return .refuse }
            if pending.count >= bufferLimit {
                ended = true
                pending = []
                return .end
            }
            pending.append(batch)
            if flushScheduled { return .nothing }
            flushScheduled = true
            return .flush
        }
        switch next {
        case .nothing: return true
        case .flush:
            flusher.schedule(flush)
            return true
        case .end:
            eventLoop.execute(end)
            return false
        case .refuse: return false
        }
    }

    /// The batches queued since the last call (on the event loop).
    func take() -> [EventHub.Batch] {
        lock.withLock {
            flushScheduled = false
            defer { pending = [] }
            return pending
        }
    }

    /// The loop could not write now: the next delivery asks again (writability and the end of the
    /// backlog also flush).
    func flushDeferred() {
        lock.withLock { flushScheduled = false }
    }

    func finish() {
        let first = lock.withLock { () -> Bool in
            defer { ended = true }
            return !ended
        }
        if first { eventLoop.execute(end) }
    }
}

/// Runs the flushes of one event loop's streams that have batches queued, all in one task on that
/// loop: a message to 10,000 streams costs each loop one wake-up, not one per stream.
final class LoopFlusher: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`.
    private let loop: any EventLoop
    private let lock = NIOLock()
    private var due: [@Sendable () -> Void] = []
    private var scheduled = false

    private init(loop: any EventLoop) { self.loop = loop }

    private static let all = NIOLockedValueBox<[ObjectIdentifier: LoopFlusher]>([:])

    /// The flusher of `loop` (one per loop, for the life of the process).
    static func `for`(_ loop: any EventLoop) -> LoopFlusher {
        all.withLockedValue { all in
            if let flusher = all[ObjectIdentifier(loop)] { return flusher }
            let flusher = LoopFlusher(loop: loop)
            all[ObjectIdentifier(loop)] = flusher
            return flusher
        }
    }

    func schedule(_ flush: @escaping @Sendable () -> Void) {
        let first = lock.withLock { () -> Bool in
            due.append(flush)
            if scheduled { return false }
            scheduled = true
            return true
        }
        if first { loop.execute { self.run() } }
    }

    private func run() {
        let flushes = lock.withLock { () -> [@Sendable () -> Void] in
            scheduled = false
            defer { due = [] }
            return due
        }
        for flush in flushes { flush() }
    }
}
