import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Listener connections whose events are read on their event loop as the bytes arrive: they look
/// for the benchmark's stamps (`"text":"bench <seq> <sent nanos>`) and report each with the time
/// it was read. No task, no string building per event: the load generator shares the machine with
/// the server, so the less it spends per event, the more the figures measure the server.
enum StampListener {
    enum Mode {
        /// One SSE stream.
        case sse
        /// Long-polls back to back, each from the cursor the previous one returned.
        case longPoll
    }

    /// Called on the event loop with (sequence number, send time, arrival time).
    typealias OnStamp = @Sendable (Int, UInt64, UInt64) -> Void

    /// Connects and starts listening; the channel closes with `close()` or when the server ends it.
    static func open(
        mode: Mode, token: String, port: Int, group: any EventLoopGroup, stopped: ManagedAtomicFlag, onReady: @escaping @Sendable () -> Void,
        onStamp: @escaping OnStamp
    ) async throws -> any Channel {
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        // Both read raw bytes: a stream's events are one chunk each (so chunk size lines never split
        // a stamp), and each poll answer has a Content-Length.
        let handler: any ChannelHandler & Sendable =
            switch mode {
            case .sse: RawStreamListener(token: token, onReady: onReady, onStamp: onStamp)
            case .longPoll: RawPollListener(token: token, stopped: stopped, onReady: onReady, onStamp: onStamp)
            }
        return try await bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
        }.connect(host: "127.0.0.1", port: port).get()
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

/// A long-poll listener reading raw bytes: it polls back to back, each from the cursor the last
/// answer gave, and reports the stamps of an answer once all of its body has arrived.
final class RawPollListener: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: all state is touched only on the channel's event loop.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let token: String
    private let stopped: ManagedAtomicFlag
    private let onReady: @Sendable () -> Void
    private let onStamp: StampListener.OnStamp
    private var pending: [UInt8] = []
    private var cursor: Int64?
    private var readyReported = false
    private static let headerEnd = Array("\r\n\r\n".utf8)
    private static let lengthField = Array("content-length:".utf8)

    init(token: String, stopped: ManagedAtomicFlag, onReady: @escaping @Sendable () -> Void, onStamp: @escaping StampListener.OnStamp) {
        self.token = token
        self.stopped = stopped
        self.onReady = onReady
        self.onStamp = onStamp
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context, "/api/events?timeout=0")
        context.fireChannelActive()
    }

    private func send(_ context: ChannelHandlerContext, _ path: String) {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = nowNanos()
        pending.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        // One answer at a time: the next poll goes out only after this one is read.
        guard let headEnd = Self.find(Self.headerEnd, in: pending) else { return }
        guard pending.starts(with: "HTTP/1.1 200".utf8), let length = Self.contentLength(pending[..<headEnd]) else {
            context.close(promise: nil)
            return
        }
        let bodyStart = headEnd + Self.headerEnd.count
        guard pending.count >= bodyStart + length else { return }
        let body = Array(pending[bodyStart..<(bodyStart + length)])
        pending.removeFirst(bodyStart + length)
        if cursor != nil { _ = StampListener.scan(body, arrival: now, onStamp) }
        cursor = StampListener.cursor(in: body) ?? cursor
        if !readyReported {
            readyReported = true
            onReady()
        }
        if !stopped.isSet, let cursor { send(context, "/api/events?after=\(cursor)&timeout=25") }
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for index in 0...(bytes.count - needle.count) where bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
        return nil
    }

    /// The Content-Length of a response head.
    private static func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        let lowered = head.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        guard let start = find(lengthField, in: lowered) else { return nil }
        var index = start + lengthField.count
        while index < lowered.count, lowered[index] == 0x20 { index += 1 }
        var value = 0
        var digits = 0
        while index < lowered.count, lowered[index] >= 0x30, lowered[index] <= 0x39 {
            value = value * 10 + Int(lowered[index] - 0x30)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
