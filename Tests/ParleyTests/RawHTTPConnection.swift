import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP connection that writes bytes exactly as given and reads answers as they arrive: for what an
/// HTTP client library will not do on purpose (pipelined requests, `Connection: close`).
final class RawHTTPConnection: Sendable {
    private let channel: any Channel
    private let received: Received

    private final class Received: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let chunk = unwrapInboundIn(data)
            bytes.withLockedValue { $0 += chunk.readableBytesView }
        }
        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
            context.fireChannelInactive()
        }
    }

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    /// Connects; `first`, when given, is written on the connection's event loop the moment it is
    /// up, so that a busy test process cannot leave a gap an idle timeout would close.
    static func connect(port: Int, sending first: String? = nil) async throws -> RawHTTPConnection {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(received) } }
            .connect(host: "127.0.0.1", port: port)
            .flatMap { channel in
                guard let first else { return channel.eventLoop.makeSucceededFuture(channel) }
                return channel.writeAndFlush(ByteBuffer(string: first)).map { channel }
            }.get()
        return RawHTTPConnection(channel: channel, received: received)
    }

    /// Sends `request` `times` times on one connection, each `gap` after the answer to the one
    /// before, all timed on the connection's event loop (not by a test task, which a busy machine
    /// may run seconds late). Returns when the last answer arrived, or nil if one did not come
    /// within `within` seconds of its request or the server closed the connection.
    func sendRepeatedly(_ request: String, times: Int, gap: TimeAmount, within seconds: Int64 = 10) async throws
        -> ContinuousClock.Instant?
    {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: ContinuousClock.Instant?.self)
        @Sendable func send(_ n: Int) {
            channel.writeAndFlush(ByteBuffer(string: request), promise: nil)
            awaitAnswer(n, deadline: .now() + .seconds(seconds))
        }
        @Sendable func awaitAnswer(_ n: Int, deadline: NIODeadline) {
            if statusLines.count >= n {
                if n == times { return promise.succeed(.now) }
                loop.scheduleTask(in: gap) { send(n + 1) }
            } else if isClosed || NIODeadline.now() > deadline {
                promise.succeed(nil)
            } else {
                loop.scheduleTask(in: .milliseconds(2)) { awaitAnswer(n, deadline: deadline) }
            }
        }
        loop.execute { send(1) }
        return try await promise.futureResult.get()
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything received so far, as text.
    var text: String { String(decoding: received.bytes.withLockedValue { $0 }, as: UTF8.self) }
    /// Whether the server closed the connection.
    var isClosed: Bool { received.closed.withLockedValue { $0 } }

    /// The status lines received so far, in order (e.g. `HTTP/1.1 200 OK`). A status line may follow
    /// the previous answer's body on the same line: bodies do not end with a line break.
    var statusLines: [Substring] {
        let text = self.text
        var lines: [Substring] = []
        var from = text.startIndex
        while let start = text.range(of: "HTTP/1.1 ", range: from..<text.endIndex) {
            let end = text.range(of: "\r\n", range: start.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
            lines.append(text[start.lowerBound..<end])
            from = end
        }
        return lines
    }

    /// Waits until `condition` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func wait(upTo seconds: Double = 10, until condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    func close() async { try? await channel.close() }
}
