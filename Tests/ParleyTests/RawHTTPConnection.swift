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

    static func connect(port: Int) async throws -> RawHTTPConnection {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(received) } }
            .connect(host: "127.0.0.1", port: port).get()
        return RawHTTPConnection(channel: channel, received: received)
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
