import NIOCore
import NIOHTTP1
import NIOPosix

/// Posts stamped messages at a fixed pace from its connection's event loop: each request is
/// stamped on the loop just before it is written, so the latency figures do not include the load
/// generator handing work between its own threads. One request at a time: a post due while the
/// previous reply is outstanding goes out when that reply arrives.
final class PacedSender: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: all state is touched only on the channel's event loop.
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let token: String
    private let path: String
    private let count: Int
    private let interval: UInt64
    private let start: UInt64
    /// Sequence numbers are `n * stride + offset`, so several senders number disjointly.
    private let stride: Int
    private let offset: Int
    /// Called on the event loop with each POST's round trip in nanoseconds.
    private let onReply: @Sendable (UInt64) -> Void
    private let done: EventLoopPromise<Void>
    private var next = 0
    private var sentAt: UInt64 = 0
    private var status: UInt = 0
    private var finished = false

    init(
        token: String, path: String, count: Int, interval: UInt64, start: UInt64, stride: Int, offset: Int, done: EventLoopPromise<Void>,
        onReply: @escaping @Sendable (UInt64) -> Void
    ) {
        self.token = token
        self.path = path
        self.count = count
        self.interval = interval
        self.start = start
        self.stride = stride
        self.offset = offset
        self.done = done
        self.onReply = onReply
    }

    /// Connects and posts `count` messages; the future completes after the last reply.
    static func run(
        token: String, port: Int, group: any EventLoopGroup, count: Int, interval: UInt64, start: UInt64, stride: Int, offset: Int,
        onReply: @escaping @Sendable (UInt64) -> Void
    ) async throws {
        let loop = group.next()
        let done = loop.makePromise(of: Void.self)
        let sender = PacedSender(
            token: token, path: "/api/rooms/1/messages", count: count, interval: interval, start: start, stride: stride, offset: offset, done: done,
            onReply: onReply)
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(sender)
                }
            }.connect(host: "127.0.0.1", port: port).get()
        do {
            try await done.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        try? await channel.close()
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        scheduleNext(context: context)
    }

    private func scheduleNext(context: ChannelHandlerContext) {
        guard next < count else {
            finish(nil)
            return
        }
        let due = start + UInt64(next) * interval
        let now = nowNanos()
        if due <= now {
            send(context: context)
        } else {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(due - now))) {
                let (sender, context) = bound.value
                sender.send(context: context)
            }
        }
    }

    private func send(context: ChannelHandlerContext) {
        let seq = next * stride + offset
        let sent = nowNanos()
        let body = ByteBuffer(string: #"{"text":"bench \#(seq) \#(sent)"}"#)
        let headers = HTTPHeaders([
            ("Host", "127.0.0.1"), ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
            ("Content-Length", String(body.readableBytes)),
        ])
        sentAt = sent
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = head.status.code
        case .body: break
        case .end:
            onReply(nowNanos() - sentAt)
            guard status == 201 else {
                finish(BenchError("post failed: \(status)"))
                context.close(promise: nil)
                return
            }
            next += 1
            scheduleNext(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(BenchError("sender connection closed after \(next) of \(count) posts"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(error)
        context.close(promise: nil)
    }

    /// Completes the run once: the first outcome counts (closing after the last post is not a failure).
    private func finish(_ error: (any Error)?) {
        guard !finished else { return }
        finished = true
        if let error { done.fail(error) } else { done.succeed(()) }
    }
}
