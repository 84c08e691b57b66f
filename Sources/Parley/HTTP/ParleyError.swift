import Foundation
import Hummingbird
import NIOCore

/// An error a client can act on: an HTTP status, a stable machine-readable `code` and a message.
/// Encoded as `{"error":{"code":…,"message":…}}`, the envelope `openapi.yaml` documents.
public struct ParleyError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        errorResponse(status: status, code: code, message: message, headers: headers)
    }

    public static func badRequest(_ message: String) -> Self { .init(.badRequest, "invalid_request", message) }
    public static let unauthenticated = Self(.unauthorized, "unauthenticated", "Log in first: no valid session cookie or bearer token.")
    public static let csrfFailed = Self(.forbidden, "csrf_failed", "Missing or wrong X-CSRF-Token header for a cookie-authenticated request.")
    public static func notFound(_ code: String = "not_found", _ message: String) -> Self { .init(.notFound, code, message) }
    public static func invalid(_ code: String, _ message: String) -> Self { .init(.unprocessableContent, code, message) }
    /// The database cannot take the request now (it restarts, the connection to it broke, or it is
    /// out of connections, disk or memory): the same request may be sent again shortly.
    public static let unavailable = Self(
        .serviceUnavailable, "unavailable", "The database cannot take requests right now; try again shortly.", headers: [.retryAfter: "2"])
    /// A body that could not be read: malformed chunked framing, or the connection ended inside it.
    /// (It used to answer 413 on JSON routes and 500 on uploads.)
    public static let unreadableBody = Self(
        .badRequest, "invalid_request", "The request body could not be read: its chunked encoding is malformed, or it ended early.")
    public static func rateLimited(retryAfter seconds: Int) -> Self {
        .init(.tooManyRequests, "rate_limited", "Too many attempts; try again in \(seconds) s.", headers: [.retryAfter: String(seconds)])
    }
}

/// Builds the JSON error envelope response.
func errorResponse(status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: fields, body: .init(byteBuffer: errorBody(code: code, message: message)))
}

/// `{"error":{"code":…,"message":…}}`.
func errorBody(code: String, message: String) -> ByteBuffer {
    struct Envelope: Encodable {
        struct Body: Encodable {
            let code: String
            let message: String
        }
        let error: Body
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(Envelope(error: .init(code: code, message: message)))) ?? Data("{}".utf8)
    return ByteBuffer(bytes: data)
}
