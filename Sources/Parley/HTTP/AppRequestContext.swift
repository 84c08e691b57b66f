import Foundation
import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage, the peer address and the resolved session.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; the client address unless a trusted proxy says otherwise.
    public let peerAddress: SocketAddress?
    /// The session the request authenticated with, if any (set by `SessionMiddleware`).
    public var session: AuthenticatedSession?
    /// A cookie-authenticated state-changing request whose CSRF token was missing or wrong.
    public var csrfRejected = false
    /// The client address used for rate limits and the session list.
    public var clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress
        clientAddress = peerAddress?.ipAddress
    }

    public var responseEncoder: JSONEncoder { ParleyJSON.encoder() }
    public var requestDecoder: JSONDecoder { ParleyJSON.decoder() }

    /// The authenticated session, or 401; 403 `csrf_failed` for a cookie request that failed the CSRF check.
    public func requireSession() throws -> AuthenticatedSession {
        if csrfRejected { throw ParleyError.csrfFailed }
        guard let session else { throw ParleyError.unauthenticated }
        return session
    }
}

/// JSON as Parley speaks it: snake_case keys, UTC timestamps with milliseconds.
public enum ParleyJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 timestamp"))
            }
            return date
        }
        return decoder
    }

    /// `2026-11-23T21:40:00.123Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func parseTimestamp(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
