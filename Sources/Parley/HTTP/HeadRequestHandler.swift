import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `HEAD` wherever `GET` is answered, as RFC 9110 (§9.3.2) asks of every server: the
/// request goes on as a `GET`, and NIO's response encoder, which saw the `HEAD`, sends the head
/// (with the `GET`'s framing headers) and no body. Not for the event routes, which stay open: a
/// `HEAD` there would wait as long as a stream or a poll does, for nothing.
final class HeadRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var request) = unwrapInboundIn(data), request.method == .head,
            let path = request.path, !path.hasPrefix(EventStreamHandler.pollPath)
        else {
            context.fireChannelRead(data)
            return
        }
        request.method = .get
        context.fireChannelRead(wrapInboundOut(.head(request)))
    }
}
