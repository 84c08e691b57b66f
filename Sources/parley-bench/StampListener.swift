import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A listener connection whose events are read on its event loop, as the bytes arrive: it looks
/// for the benchmark's stamps (`"text":"bench <seq> <sent nanos>`) and reports each with the time
/// it was read. No task, no string building per event: the load generator shares the machine with
/// the server, so the less it spends per event, the more the figures measure the server.
final class StampListener: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: all state is touched only on the channel's event loop.
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    enum Mode {
        /// One SSE stream.
        case sse
        /// Long-polls back to back, each from the cursor the previous one returned.
        case longPoll
    }

    /// Called on the event loop with (sequence number, send time, arrival time).
    typealias OnStamp = @Sendable (Int, UInt64, UInt64) -> Void

    private let mode: Mode
    private let token: String
    private let host: String
    private let onStamp: OnStamp
    private let onReady: @Sendable () -> Void
    private let stopped: ManagedAtomicFlag
    private var pending: [UInt8] = []
    private var body: [UInt8] = []
    private var cursor: Int64?
    private var readyReported = false

    init(mode: Mode, token: String, host: String, stopped: ManagedAtomicFlag, onReady: @escaping @Sendable () -> Void, onStamp: @escaping OnStamp) {
        self.mode = mode
        self.token = token
        self.host = host
        self.stopped = stopped
        self.onReady = onReady
        self.onStamp = onStamp
    }

    /// Connects and starts listening; the channel closes with `close()` or when the server ends it.
    static func open(
        mode: Mode, token: String, port: Int, group: any EventLoopGroup, stopped: ManagedAtomicFlag, onReady: @escaping @Sendable () -> Void,
        onStamp: @escaping OnStamp
    ) async throws -> any Channel {
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if case .sse = mode {
            // A stream is read as raw bytes: stamps are found without decoding HTTP (each event is
            // one chunk, so chunk size lines never split a stamp).
            let listener = RawStreamListener(token: token, onReady: onReady, onStamp: onStamp)
            return try await bootstrap.channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(listener) }
            }.connect(host: "127.0.0.1", port: port).get()
        }
        let listener = StampListener(mode: mode, token: token, host: "127.0.0.1", stopped: stopped, onReady: onReady, onStamp: onStamp)
        return try await bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(listener)
            }
        }.connect(host: "127.0.0.1", port: port).get()
    }

    func channelActive(context: ChannelHandlerContext) {
        switch mode {
        case .sse: send(context, "/api/events/stream")
        case .longPoll: send(context, "/api/events?timeout=0")
        }
        context.fireChannelActive()
    }

    private func send(_ context: ChannelHandlerContext, _ path: String) {
        var headers = HTTPHeaders([("Host", host), ("Authorization", "Bearer \(token)")])
        if case .sse = mode { headers.add(name: "Accept", value: "text/event-stream") }
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if case .sse = mode, head.status == .ok { reportReady() }
        case .body(let chunk):
            let now = nowNanos()
            switch mode {
            case .sse:
                pending.append(contentsOf: chunk.readableBytesView)
                let consumed = Self.scan(pending, arrival: now, onStamp)
                // Keep only what may hold the start of a stamp cut by the chunk boundary.
                let keepFrom = max(consumed, pending.count - 64)
                if keepFrom > 0 { pending.removeFirst(min(keepFrom, pending.count)) }
            case .longPoll:
                body.append(contentsOf: chunk.readableBytesView)
            }
        case .end:
            guard case .longPoll = mode else { return }
            let now = nowNanos()
            if cursor != nil { _ = Self.scan(body, arrival: now, onStamp) }
            cursor = Self.cursor(in: body) ?? cursor
            body.removeAll(keepingCapacity: true)
            reportReady()
            if !stopped.isSet, let cursor { send(context, "/api/events?after=\(cursor)&timeout=25") }
        }
    }

    private func reportReady() {
        guard !readyReported else { return }
        readyReported = true
        onReady()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private static let marker = Array(#""text":"bench "#.utf8)
    private static let cursorMarker = Array(#""cursor":"#.utf8)

    /// Reports every complete stamp in `bytes`; returns the index just past the last one.
    static func scan(_ bytes: [UInt8], arrival: UInt64, _ onStamp: OnStamp) -> Int {
        var consumed = 0
        var index = 0
        let count = bytes.count
        let first = marker[0]
        while index + marker.count <= count {
            guard bytes[index] == first, bytes[index..<(index + marker.count)].elementsEqual(marker) else {
                index += 1
                continue
            }
            var position = index + marker.count
            if position < count && !isDigit(bytes[position]) {
                // Some other text that starts like a stamp.
                index = position
                continue
            }
            guard let (seq, afterSeq) = number(bytes, from: position), afterSeq < count, bytes[afterSeq] == UInt8(ascii: " ") else { break }
            position = afterSeq + 1
            guard let (sent, afterSent) = number(bytes, from: position), afterSent < count else { break }
            onStamp(Int(seq), UInt64(sent), arrival)
            consumed = afterSent
            index = afterSent
        }
        return consumed
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The decimal number starting at `from` and the index after it; nil when none starts there
    /// or it may continue past the end of `bytes`.
    private static func number(_ bytes: [UInt8], from: Int) -> (Int64, Int)? {
        var value: Int64 = 0
        var index = from
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value &* 10 &+ Int64(bytes[index] - 0x30)
            index += 1
        }
        guard index > from, index < bytes.count else { return nil }
        return (value, index)
    }

    static func cursor(in bytes: [UInt8]) -> Int64? {
        guard bytes.count > cursorMarker.count else { return nil }
        for index in 0...(bytes.count - cursorMarker.count) where bytes[index..<(index + cursorMarker.count)].elementsEqual(cursorMarker) {
            return number(bytes, from: index + cursorMarker.count)?.0
        }
        return nil
    }
}

/// An SSE listener reading the raw bytes of its connection: the status line says whether the
/// stream opened, then every stamp in the bytes that follow is reported as it is read.
final class RawStreamListener: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: all state is touched only on the channel's event loop.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let token: String
    private let onReady: @Sendable () -> Void
    private let onStamp: StampListener.OnStamp
    private var pending: [UInt8] = []
    private var opened = false

    init(token: String, onReady: @escaping @Sendable () -> Void, onStamp: @escaping StampListener.OnStamp) {
        self.token = token
        self.onReady = onReady
        self.onStamp = onStamp
    }

    func channelActive(context: ChannelHandlerContext) {
        let request = "GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer \(token)\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = nowNanos()
        let chunk = unwrapInboundIn(data)
        pending.append(contentsOf: chunk.readableBytesView)
        if !opened {
            guard pending.count >= 12 else { return }
            guard pending[0..<12].elementsEqual("HTTP/1.1 200".utf8) else {
                context.close(promise: nil)
                return
            }
            opened = true
            onReady()
        }
        let consumed = StampListener.scan(pending, arrival: now, onStamp)
        let keepFrom = max(consumed, pending.count - 64)
        if keepFrom > 0 { pending.removeFirst(min(keepFrom, pending.count)) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
