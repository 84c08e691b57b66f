import Foundation
import Hummingbird

/// Resolves the session from `Authorization: Bearer …` or the `parley_session` cookie, and marks
/// cookie-authenticated state-changing requests whose `X-CSRF-Token` is missing or wrong.
/// It never refuses a request itself: handlers that need a session call `context.requireSession()`.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sessions: SessionService
    let trustProxy: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if trustProxy, let forwarded = Self.forwardedClient(request.headers) { context.clientAddress = forwarded }
        // The health probes read no credentials: a probe sent with a token (a load balancer's
        // shared headers) looked its session up in the database, so a liveness check answered 503
        // while the database restarted, and a readiness check the wrong code (a hunt).
        if Self.probes.contains(request.uri.path) { return try await next(request, context) }
        if let token = Self.bearerToken(request.headers) {
            // A bad bearer token is refused outright: a script sending one wants to know.
            guard let session = try await sessions.resolve(token: token, via: .bearer) else { throw ParleyError.unauthenticated }
            context.session = session
        } else if let session = try await Self.cookieSession(request.headers, sessions) {
            context.session = session
            if !Self.isSafe(request.method) {
                let sent = request.headers[.init("X-CSRF-Token")!] ?? ""
                context.csrfRejected = !constantTimeEqual(Array(sent.utf8), Array(session.csrfToken.utf8))
            }
        }
        return try await next(request, context)
    }

    static let probes: Set<String> = ["/healthz", "/readyz"]

    /// The client's address as the proxy in front saw it: the last entry of `X-Forwarded-For` (over
    /// every such header), the one that proxy added. Proxies append to what the client sent, so the
    /// first entry is the client's own word: keyed on it, per-address rate limits took any address
    /// a client wrote (a hunt: 40 failed logins, none limited). Nil for no header or a last entry
    /// that is not an IP address (the connection's address stands).
    static func forwardedClient(_ fields: HTTPFields) -> String? {
        let entries = fields[values: .init("X-Forwarded-For")!].flatMap { $0.split(separator: ",") }
        guard let last = entries.last?.trimmingCharacters(in: .whitespaces), isIPAddress(last) else { return nil }
        return last
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// The token of `Authorization: Bearer …`; nil for no header or another scheme. Other schemes
    /// are not Parley's: a proxy in front with its own Basic login (nginx's `auth_basic` passes the
    /// header on) made every request, health checks too, answer 401. The cookie, if any, counts.
    static func bearerToken(_ fields: HTTPFields) -> String? {
        guard let authorization = fields[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }

    /// Every `parley_session` cookie the request carries, in order (at most four). A browser sends
    /// a stale one beside the live one when another path or domain set it; the first that resolves
    /// counts, so a leftover placed first does not sign its user out.
    static func cookieTokens(_ fields: HTTPFields) -> [String] {
        var tokens: [String] = []
        for header in fields[values: .cookie] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                if trimmed.hasPrefix(SessionService.cookieName + "=") {
                    tokens.append(String(trimmed.dropFirst(SessionService.cookieName.count + 1)))
                    if tokens.count == 4 { return tokens }
                }
            }
        }
        return tokens
    }

    private static func cookieSession(_ fields: HTTPFields, _ sessions: SessionService) async throws -> AuthenticatedSession? {
        for token in cookieTokens(fields) {
            if let session = try await sessions.resolve(token: token, via: .cookie) { return session }
        }
        return nil
    }

    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count { difference |= a[i] ^ b[i] }
    return difference == 0
}
