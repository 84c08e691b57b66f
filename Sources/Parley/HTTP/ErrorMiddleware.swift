import Foundation
import Hummingbird
import Logging
import MariaDB
import NIOConcurrencyHelpers

/// Outermost middleware: tags every response with `X-Request-Id`, logs the request, turns every
/// error into the JSON envelope, answers 405 with `Allow` for a known path and the wrong method, and
/// answers 503 `unavailable` when the database cannot take the request now (unreachable, out of
/// connections, disk or memory, read-only, locked), and 500 without internals for
/// anything else unexpected (logged with the request id).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteIndex

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            // The router reads `/api/users/`, `/api//users` and `//api/users` as `/api/users`; the
            // contract says a path that names no route is 404, so an empty segment is one.
            let path = request.uri.path
            if request.method == .connect {
                // The connection closes after this (`HeadRequestHandler`), and says so.
                throw ParleyError(.notImplemented, "not_implemented", "Parley is not a proxy: CONNECT is not supported.", headers: [.connection: "close"])
            }
            // A compressed body would be read as it came: gzip's bytes as malformed JSON, a picture
            // or a file stored compressed under its own name (a hunt). No route decodes one (RFC 9110
            // §8.4.1 allows 415; RFC 7694 names what is accepted).
            if let coding = request.headers[.contentEncoding], !coding.allSatisfy({ $0 == " " || $0 == "\t" }),
                coding.trimmingCharacters(in: .whitespaces).lowercased() != "identity"
            {
                throw ParleyError(
                    .unsupportedMediaType, "unsupported_media_type", "Content-Encoding \(coding) is not supported: send the body uncompressed.",
                    headers: [.acceptEncoding: "identity"])
            }
            if path.contains("//") || (path.hasPrefix("/api/") && path.hasSuffix("/")) {
                throw ParleyError.notFound("not_found", "No such route: \(path)")
            }
            response = try await next(request, context)
        } catch let error as ParleyError {
            response = errorResponse(status: error.status, code: error.code, message: error.message, headers: error.headers)
        } catch let error as HTTPError {
            response = translate(error, request: request)
        } catch let error as MariaDBError where error.isTemporaryServerFailure {
            context.logger.warning("database unavailable", metadata: ["error": "\(error)"])
            response = errorResponse(status: .serviceUnavailable, code: ParleyError.unavailable.code, message: ParleyError.unavailable.message, headers: ParleyError.unavailable.headers)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            response = errorResponse(status: .internalServerError, code: "internal_error", message: "Something went wrong on the server.")
        }
        response.headers[.init("X-Request-Id")!] = context.id
        // An error's answer carries the security headers too (`WebMiddleware` adds them to what the
        // routes answer; a thrown error never came back through it: a hunt found a file's 403 and a
        // picture's 404 without the `nosniff` and sandbox their routes promise on every answer).
        WebMiddleware.secure(&response, path: request.uri.path)
        let elapsed = ContinuousClock.now - started
        context.logger.log(
            level: response.status.code >= 500 ? .error : .info, "\(request.method) \(Self.loggedPath(request.uri.path)) \(response.status.code)",
            metadata: ["ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)"])
        return response
    }

    /// The secrets that ride in paths (a webhook's token, an invite link's code, a password reset's
    /// code) are bearer credentials stored only as hashes: the log shows `…` in their place.
    static func loggedPath(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[1] == "api", ["hooks", "invites", "password-resets"].contains(parts[2]), !parts[3].isEmpty else { return path }
        var redacted = parts
        redacted[3] = "…"
        return redacted.joined(separator: "/")
    }

    private func translate(_ error: HTTPError, request: Request) -> Response {
        if error.status == .notFound {
            let allowed = routes.methods(for: request.uri.path)
            if !allowed.isEmpty {
                return errorResponse(
                    status: .methodNotAllowed, code: "method_not_allowed",
                    message: "\(request.method) is not allowed here; use \(allowed.joined(separator: ", ")).",
                    headers: [.allow: allowed.joined(separator: ", ")])
            }
            return errorResponse(status: .notFound, code: "not_found", message: "No such route: \(request.uri.path)")
        }
        let code: String
        switch error.status {
        case .contentTooLarge: code = "payload_too_large"
        case .badRequest: code = "invalid_request"
        case .unsupportedMediaType: code = "unsupported_media_type"
        default: code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
        }
        return errorResponse(status: error.status, code: code, message: error.body ?? error.status.reasonPhrase, headers: error.headers)
    }
}

/// The router's routes, for answering 405 with the methods a path does allow.
final class RouteIndex: Sendable {
    private let entries = NIOLockedValueBox<[(segments: [Substring], method: String)]>([])

    /// Records the routes once they are all registered.
    func record(_ routes: [(path: String, method: String)]) {
        entries.withLockedValue { $0 = routes.map { (segments: $0.path.split(separator: "/"), method: $0.method) } }
    }

    /// The methods registered for paths matching `path` (`{name}` and `*` segments match anything).
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let methods = entries.withLockedValue { entries in
            entries.filter { entry in
                entry.segments.count == segments.count
                    && zip(entry.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == "*" || pattern == segment }
            }.map(\.method)
        }
        var allowed = Set(methods)
        // `HEAD` is answered wherever `GET` is (`HeadRequestHandler`), but on the event routes.
        if allowed.contains("GET"), !path.hasPrefix(EventStreamHandler.pollPath) { allowed.insert("HEAD") }
        return allowed.sorted()
    }
}
