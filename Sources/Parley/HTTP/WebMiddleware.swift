import Foundation
import Hummingbird

/// Serves the browser client from `web/` for paths outside `/api`, and puts the security headers
/// (a Content-Security-Policy that forbids inline scripts, nosniff, no framing) on every response,
/// and `Cache-Control: private, no-cache` on the API's answers that set none.
struct WebMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let files: FileMiddleware<AppRequestContext, LocalFileSystem>?

    init(directory: URL?) {
        files = directory.map { FileMiddleware<AppRequestContext, LocalFileSystem>($0.path, cacheControl: .init([(MediaType(type: .any), [.noCache])]), searchForIndexHtml: true) }
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        .init("X-Content-Type-Options")!: "nosniff",
        .init("Referrer-Policy")!: "same-origin",
        .init("X-Frame-Options")!: "DENY",
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        let path = request.uri.path
        if let files, request.method == .get || request.method == .head, !path.hasPrefix("/api/"), path != "/api", !path.hasPrefix("/healthz"),
            !path.hasPrefix("/readyz")
        {
            response = try await files.handle(request, context: context, next: next)
        } else {
            response = try await next(request, context)
        }
        Self.secure(&response, path: path)
        return response
    }

    /// The header of an answer that carries a secret shown once or a credential (a session or access
    /// token, a CSRF token, a two-factor secret, recovery codes, a reset link, a webhook's URL): no
    /// cache, the browser's included, keeps a copy of it (RFC 9111 §5.2.2.5; RFC 6749 §5.1 asks the
    /// same of tokens). The API's other answers are `private, no-cache`.
    static let noStore: HTTPFields = [.cacheControl: "no-store"]

    /// What the API answers (JSON, events; its files and pictures set their own) is no document to
    /// run anything in: sandboxed, as the files' answers are, errors included.
    static let apiPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox"

    /// The security headers of the API's answers written ahead of Hummingbird (the real-time routes,
    /// a request that does not parse), with the `Server` header Hummingbird adds to the others.
    static let apiHeaders: HTTPFields = {
        var fields = securityHeaders
        fields[.contentSecurityPolicy] = apiPolicy
        fields[.server] = "Parley"
        return fields
    }()

    /// The security headers a response lacks, and the API's caching rule.
    static func secure(_ response: inout Response, path: String) {
        let api = path.hasPrefix("/api/")
        if api, response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = Self.apiPolicy }
        for field in Self.securityHeaders where response.headers[field.name] == nil { response.headers.append(field) }
        // The API's answers are one person's: no shared cache keeps them, and a browser asks again
        // (with the ETag, where a route gives one) rather than showing a stored copy. Routes that
        // say otherwise (files, pictures: immutable) keep theirs.
        if api, response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "private, no-cache" }
    }

    /// The web client's directory: the configured one, `./web`, or the one beside these sources.
    static func locate(configured: String?) -> URL? {
        let candidates: [String?] = [configured, "web", URL(fileURLWithPath: #filePath).appendingPathComponent("../../../../web").standardized.path]
        for case let path? in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/index.html", isDirectory: &isDirectory), !isDirectory.boolValue {
                return URL(fileURLWithPath: path).standardized
            }
        }
        return nil
    }
}
