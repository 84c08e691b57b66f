import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection to the server under test, driven with NIO's async channel API.
final class HTTPConnection: @unchecked Sendable {
    // @unchecked: one connection is used by one task at a time.
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    private let channel: Channel
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    let host: String

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
        return HTTPConnection(channel: channel, host: host)
    }

    private init(channel: Channel, host: String) {
        self.channel = channel
        self.host = host
        // The connection lives as long as the benchmark scenario that made it.
        self.inbound = channel.inbound.makeAsyncIterator()
        self.outbound = channel.outbound
    }

    struct Reply {
        let status: Int
        let body: ByteBuffer
    }

    func head(_ method: HTTPMethod, _ path: String, token: String?, contentLength: Int?) -> HTTPRequestHead {
        var headers = HTTPHeaders([("Host", host)])
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentLength {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(contentLength))
        }
        return HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
    }

    /// Sends a request (in one write) and reads the whole response.
    func request(_ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = nil) async throws -> Reply {
        let body = json.map { ByteBuffer(string: $0) }
        try await outbound.write(contentsOf: [
            .head(head(method, path, token: token, contentLength: body?.readableBytes)), .body(.byteBuffer(body ?? ByteBuffer())), .end(nil),
        ])
        var status = 0
        var collected = ByteBuffer()
        while let part = try await inbound.next() {
            switch part {
            case .head(let head): status = Int(head.status.code)
            case .body(var chunk): collected.writeBuffer(&chunk)
            case .end: return Reply(status: status, body: collected)
            }
        }
        throw BenchError("connection closed mid-response")
    }

    /// Sends a GET and hands each body chunk to `onChunk` until the stream ends or `onChunk` returns false.
    func stream(_ path: String, token: String, onHead: (Int) -> Void = { _ in }, onChunk: (ByteBuffer) -> Bool) async throws {
        try await outbound.write(contentsOf: [.head(head(.GET, path, token: token, contentLength: nil)), .end(nil)])
        while let part = try await inbound.next() {
            switch part {
            case .head(let head): onHead(Int(head.status.code))
            case .body(let chunk): if !onChunk(chunk) { return }
            case .end: return
            }
        }
    }

    // NIO traps when a writer is dropped unfinished (e.g. a scenario threw midway).
    deinit { outbound.finish() }

    /// Finishes the writer (NIO requires it before the channel is dropped) and closes the connection.
    func close() async {
        outbound.finish()
        try? await channel.channel.close()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Monotonic nanoseconds, comparable between tasks of this process.
func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
