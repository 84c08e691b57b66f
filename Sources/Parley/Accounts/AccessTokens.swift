import Foundation
import Hummingbird
import MariaDB

/// `accessTokens`, `createAccessToken`, `revokeAccessToken`: personal access tokens, for scripts and
/// bots that act as their maker (as Mattermost's, Zulip's API keys and GitHub's are). A token is a
/// session with a name, used as `Authorization: Bearer <token>`; it is shown once, made only with
/// the password, expires when its maker chose (or never, without sliding), and ends as every
/// session does: revoked, the password changed or reset, the account deactivated.
struct AccessTokenController {
    let accounts: AccountService
    let sessions: SessionService
    let maxBodyBytes: Int

    /// Live tokens a user may hold at once.
    static let maxPerUser = 50
    static let maxNameLength = 64
    /// The longest expiry: ten years (or none at all, `expires_in_days` null).
    static let maxDays = 3650
    /// Rows of tokens that never expire carry this date (and answer `expires_at: null`).
    static let never = Date(timeIntervalSince1970: 253_370_764_800)  // 9999-01-01

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/tokens", use: list)
        router.post("/api/me/tokens", use: create)
        router.delete("/api/me/tokens/:id", use: revoke)
    }

    struct AccessToken: Encodable {
        let id: Int64
        let name: String
        let createdAt: Date
        /// Nil until the token is first used; then to the minute (uses slide it at most once a minute).
        let lastUsedAt: Date?
        let expiresAt: Date?

        init(row: MariaDBRow) throws {
            id = try row.decode("id")
            name = try row.decode("name")
            createdAt = try row.decode("created_at")
            let used: Date = try row.decode("last_used_at")
            lastUsedAt = used < createdAt ? nil : used
            let expires: Date = try row.decode("expires_at")
            expiresAt = expires >= AccessTokenController.never ? nil : expires
        }

        enum CodingKeys: String, CodingKey { case id, name, createdAt, lastUsedAt, expiresAt }
        // Spelled out so that absent values are sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(lastUsedAt, forKey: .lastUsedAt)
            try c.encode(expiresAt, forKey: .expiresAt)
        }
    }

    struct Listing: ResponseEncodable {
        let accessTokens: [AccessToken]
    }

    /// [accessTokens] The caller's live access tokens, newest first (never the tokens themselves).
    func list(request: Request, context: AppRequestContext) async throws -> Listing {
        let session = try context.requireSession()
        return Listing(accessTokens: try await sessions.store.tokens(userID: session.user.id).map(AccessToken.init))
    }

    struct CreateBody: Decodable {
        let name: String
        let password: String
        let expiresInDays: Int?
    }

    struct Created: ResponseEncodable {
        /// The bearer token: shown this once.
        let token: String
        let accessToken: AccessToken
    }

    /// [createAccessToken] Makes a token with a name, the password asked again (rate limited like
    /// a login).
    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<Created> {
        let session = try context.requireSession()
        let body = try await request.decodeJSON(as: CreateBody.self, context: context, limit: maxBodyBytes)
        let name = body.name.trimmedWhitespace
        // The column holds 64 code points: a name of 64 characters built of several each (👨‍👩‍👧‍👦, e + ◌́) would not fit.
        guard !name.isEmpty, name.count <= Self.maxNameLength, name.unicodeScalars.count <= Self.maxNameLength,
            !name.hasControlCharacters()
        else {
            throw ParleyError.invalid("invalid_token_name", "A token's name is 1–\(Self.maxNameLength) characters with no control characters.")
        }
        if let days = body.expiresInDays, !(1...Self.maxDays).contains(days) {
            throw ParleyError.invalid("invalid_token_expiry", "expires_in_days is 1–\(Self.maxDays), or null for a token that never expires.")
        }
        let verified = try await accounts.checkPassword(session: session, body.password)
        let token = SessionService.randomHex(bytes: 32)
        guard
            let row = try await sessions.store.createToken(
                userID: session.user.id, session: session.id, passwordHash: verified, name: name, tokenHash: SessionService.hash(token), csrfToken: SessionService.randomHex(bytes: 32),
                days: body.expiresInDays, limit: Self.maxPerUser)
        else {
            throw ParleyError(.conflict, "too_many_tokens", "You have \(Self.maxPerUser) access tokens: revoke one first.")
        }
        return EditedResponse(status: .created, headers: WebMiddleware.noStore, response: Created(token: token, accessToken: try AccessToken(row: row)))
    }

    /// [revokeAccessToken] Ends one of the caller's tokens at once (its open streams too).
    func revoke(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        guard let id = context.parameters.get("id", as: Int64.self) else { throw ParleyError.badRequest("The token id must be an integer.") }
        guard try await sessions.delete(sessionID: id, userID: session.user.id, token: true) else {
            throw ParleyError.notFound("token_not_found", "You have no access token \(id).")
        }
        return .noContent
    }
}
