import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Answers `HEAD` wherever `GET` is answered, as RFC 9110 (§9.3.2) asks of every server: the
/// request goes on as a `GET`, and NIO's response encoder, which saw the `HEAD`, sends the head
/// (with the `GET`'s framing headers) and no body. Not for the event routes, which stay open: a
/// `HEAD` there would wait as long as a stream or a poll does, for nothing.
///
/// The `GET` it becomes carries `Parley-Head: 1` (`Request.isHead`), so a route whose `GET` uses
/// something up (the hourly data export) can answer a `HEAD` without doing so. The field is
/// removed from every other request: a client cannot set it.
///
/// A `CONNECT` (a proxy's method; Parley is none) is marked `Connection: close`: NIO's decoder
/// reads what follows it on the connection as a tunnel's bytes, not as requests, so the connection
/// ends with its answer (`ErrorMiddleware`: 501). Kept open, it waited for a request it would never
/// read, and its answer (which NIO frames without a length, as for a tunnel) never ended (a hunt).
final class HeadRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let marker = HTTPField.Name("Parley-Head")!

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var request) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        if request.method == .connect {
            request.headerFields[.connection] = "close"
            request.headerFields[Self.marker] = nil
            context.fireChannelRead(wrapInboundOut(.head(request)))
            return
        }
        guard request.method == .head, let path = request.path, !path.hasPrefix(EventStreamHandler.pollPath) else {
            if request.headerFields[Self.marker] != nil {
                request.headerFields[Self.marker] = nil
                context.fireChannelRead(wrapInboundOut(.head(request)))
            } else {
                context.fireChannelRead(data)
            }
            return
        }
        request.method = .get
        request.headerFields[Self.marker] = "1"
        context.fireChannelRead(wrapInboundOut(.head(request)))
    }
}

extension Request {
    /// Whether the client sent `HEAD` (which reaches the routes as a `GET`; see `HeadRequestHandler`).
    var isHead: Bool { headers[HeadRequestHandler.marker] != nil }
}
