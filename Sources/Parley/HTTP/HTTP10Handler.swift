import NIOCore
import NIOHTTP1

/// HTTP/1.0 clients (old tools, and proxies that speak 1.0 to their upstream, as nginx does unless
/// told `proxy_http_version 1.1`) cannot read a chunked body, and keep no connection open unless
/// they ask to. The conversion to Swift's HTTP types forgets a request's version, so every answer
/// went out as HTTP/1.1, an event stream or an export without a length chunked, on a connection
/// kept open. Here, below that conversion: a 1.0 request is marked `Connection: close` (the
/// connection ends after its answer, as 1.0 expects) and its answer is written as 1.0, which NIO's
/// encoder frames by the close instead of by chunks. A connection whose first request is 1.1 drops
/// this handler at once: it costs a 1.1 connection one look at its first head.
///
/// A 1.0 request also carries `Parley-HTTP10: 1` (`marker`), so that an event stream knows to write
/// its live events through the encoder rather than as ready-made chunks past it. (A client that
/// sends the field itself on 1.1 gets the same events framed by the encoder: no harm.)
final class HTTP10Handler: ChannelDuplexHandler, RemovableChannelHandler {
    static let marker = "Parley-HTTP10"

    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var oneDotZero = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data), !oneDotZero else {
            context.fireChannelRead(data)
            return
        }
        guard head.version == .http1_0 else {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        oneDotZero = true
        head.headers.replaceOrAdd(name: "connection", value: "close")
        head.headers.replaceOrAdd(name: Self.marker, value: "1")
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard oneDotZero, case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200 else {
            context.write(data, promise: promise)
            return
        }
        head.version = .http1_0
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
