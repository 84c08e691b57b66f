import Foundation
import Hummingbird

/// The HTTP face of accounts and sessions: `create`, `login`, `checkLogin`, `logout`,
/// `changePassword`, `listSessions`, `revokeSession`.
struct AccountController {
    let accounts: AccountService
    let sessions: SessionService
    let sessionStore: SessionStore
    let secureCookies: Bool
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/users", use: create)
        router.post("/api/session", use: login)
        router.get("/api/session", use: checkLogin)
        router.delete("/api/session", use: logout)
        router.put("/api/me/password", use: changePassword)
        router.post("/api/me/deactivate", use: deactivate)
        router.get("/api/me/sessions", use: listSessions)
        router.delete("/api/me/sessions/:id", use: revokeSession)
    }

    struct CreateBody: Decodable {
        let username: String
        let password: String
        let displayName: String?
    }

    struct UserResponse: ResponseEncodable {
        let user: User
    }

    /// [create] Registers an account.
    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<UserResponse> {
        let body = try await request.decodeJSON(as: CreateBody.self, context: context, limit: maxBodyBytes)
        let user = try await accounts.register(
            username: body.username, password: body.password, displayName: body.displayName, ip: context.clientAddress)
        return EditedResponse(status: .created, response: UserResponse(user: user))
    }

    struct LoginBody: Decodable {
        let username: String
        let password: String
        /// For an account with two-factor authentication: the authenticator's code or a recovery code.
        let code: String?
    }

    struct LoginResponse: ResponseEncodable {
        let user: User
        let token: String
        let csrfToken: String
        let expiresAt: Date
    }

    /// [login] Opens a session: sets the cookie and returns the token for bearer use.
    func login(request: Request, context: AppRequestContext) async throws -> EditedResponse<LoginResponse> {
        let body = try await request.decodeJSON(as: LoginBody.self, context: context, limit: maxBodyBytes)
        let (token, session) = try await accounts.login(
            username: body.username, password: body.password, code: body.code, userAgent: request.headers[.userAgent], ip: context.clientAddress)
        return EditedResponse(
            headers: [.setCookie: cookie(value: token, maxAge: Int(sessions.ttl.components.seconds)), .cacheControl: "no-store"],
            response: LoginResponse(user: session.user, token: token, csrfToken: session.csrfToken, expiresAt: session.expiresAt))
    }

    struct SessionResponse: ResponseEncodable {
        let user: User
        let csrfToken: String
        /// Nil for an access token that never expires.
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey { case user, csrfToken, expiresAt }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(csrfToken, forKey: .csrfToken)
            try c.encode(expiresAt, forKey: .expiresAt)
        }
    }

    /// [checkLogin] The current user and CSRF token, or 401.
    func checkLogin(request: Request, context: AppRequestContext) async throws -> EditedResponse<SessionResponse> {
        let session = try context.requireSession()
        // A token that never expires carries a far date in its row, which means "never" (as the token list says).
        let expiresAt = session.expiresAt >= AccessTokenController.never ? nil : session.expiresAt
        return EditedResponse(
            headers: WebMiddleware.noStore, response: SessionResponse(user: session.user, csrfToken: session.csrfToken, expiresAt: expiresAt))
    }

    /// [logout] Deletes the session server-side and clears the cookie.
    func logout(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        _ = try await sessions.delete(sessionID: session.id, userID: session.user.id)
        return Response(status: .noContent, headers: [.setCookie: cookie(value: "", maxAge: 0)])
    }

    struct ChangePasswordBody: Decodable {
        let currentPassword: String
        let newPassword: String
    }

    /// [changePassword] Sets a new password and ends the user's other sessions.
    func changePassword(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: ChangePasswordBody.self, context: context, limit: maxBodyBytes)
        try await accounts.changePassword(session: session, current: body.currentPassword, new: body.newPassword)
        return .noContent
    }

    struct DeactivateBody: Decodable {
        let password: String
    }

    /// [deactivateMe] Deactivates one's own account (the password again); clears the cookie.
    func deactivate(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: DeactivateBody.self, context: context, limit: maxBodyBytes)
        try await accounts.deactivateSelf(session: session, password: body.password)
        return Response(status: .noContent, headers: [.setCookie: cookie(value: "", maxAge: 0)])
    }

    struct SessionInfo: Encodable {
        let id: Int64
        let createdAt: Date
        let lastUsedAt: Date
        let expiresAt: Date
        let userAgent: String?
        let ip: String?
        let current: Bool

        // Spelled out so that unknown values are sent as null rather than left out.
        enum CodingKeys: String, CodingKey { case id, createdAt, lastUsedAt, expiresAt, userAgent, ip, current }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(lastUsedAt, forKey: .lastUsedAt)
            try container.encode(expiresAt, forKey: .expiresAt)
            try container.encode(userAgent, forKey: .userAgent)
            try container.encode(ip, forKey: .ip)
            try container.encode(current, forKey: .current)
        }
    }

    struct SessionList: ResponseEncodable {
        let sessions: [SessionInfo]
    }

    /// [listSessions] The user's live sessions, newest first.
    func listSessions(request: Request, context: AppRequestContext) async throws -> SessionList {
        let session = try context.requireSession()
        let rows = try await sessionStore.list(userID: session.user.id)
        return SessionList(
            sessions: try rows.map { row in
                let id: Int64 = try row.decode("id")
                return SessionInfo(
                    id: id, createdAt: try row.decode("created_at"), lastUsedAt: try row.decode("last_used_at"),
                    expiresAt: try row.decode("expires_at"), userAgent: try row.decode("user_agent"), ip: try row.decode("ip"),
                    current: id == session.id)
            })
    }

    /// [revokeSession] Ends one of the user's sessions.
    func revokeSession(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        guard let id = context.parameters.get("id", as: Int64.self) else { throw ParleyError.badRequest("The session id must be an integer.") }
        guard try await sessions.delete(sessionID: id, userID: session.user.id, token: false) else {
            throw ParleyError.notFound("session_not_found", "You have no session \(id).")
        }
        return .noContent
    }

    private func cookie(value: String, maxAge: Int) -> String {
        "\(SessionService.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secureCookies ? "; Secure" : "")
    }
}
