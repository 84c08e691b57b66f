import Foundation
import Hummingbird
import MariaDB

/// What a message posted by an incoming webhook says of it: the webhook and its name when it posted.
public struct WebhookSummary: Codable, Sendable, Equatable {
    public let id: Int64
    public let name: String

    /// The summary stored in `messages.webhook_summary`.
    static func decode(_ text: String) throws -> WebhookSummary {
        try ParleyJSON.decoder().decode(WebhookSummary.self, from: Data(text.utf8))
    }

    func encoded() throws -> String { String(decoding: try ParleyJSON.encoder().encode(self), as: UTF8.self) }
}

/// Incoming webhooks: a room's owners and admins make one (`createWebhook`), and a script, a CI
/// job or a monitoring system posts into the room by sending `{"text": …}` to its secret URL
/// (`postWebhook`), with no account and no session, as Slack's and Mattermost's incoming webhooks.
/// The message is its maker's, marked with the webhook's name; a webhook works while its maker is
/// an active owner or admin of the room. The token is a 128-bit secret, stored only as its SHA-256.
struct WebhookController {
    let rooms: RoomService
    let messages: MessageService
    let limiter: RateLimiter
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/rooms/:room/webhooks", use: create)
        router.get("/api/rooms/:room/webhooks", use: list)
        router.delete("/api/rooms/:room/webhooks/:webhook", use: delete)
        router.post("/api/hooks/:token", use: post)
    }

    static let notFound = ParleyError(
        .notFound, "webhook_not_found", "No webhook has this URL: it may have been deleted, or its maker is no longer an admin of the room.")
    /// The most webhooks a room keeps.
    static let maxPerRoom = 50

    struct WebhookView: Encodable, Sendable {
        let id: Int64
        let roomId: Int64
        let name: String
        /// Only in the answer that creates it (`/api/hooks/…`): the token is not stored.
        let url: String?
        /// The token's first four characters, to tell webhooks apart.
        let hint: String
        let createdBy: UserSummary
        let createdAt: Date
        let lastUsedAt: Date?
        /// Whether it posts: its maker is still an active owner or admin of the room.
        let active: Bool

        enum CodingKeys: String, CodingKey { case id, roomId, name, url, hint, createdBy, createdAt, lastUsedAt, active }
        // Spelled out so that absent values are sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(name, forKey: .name)
            try c.encode(url, forKey: .url)
            try c.encode(hint, forKey: .hint)
            try c.encode(createdBy, forKey: .createdBy)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(lastUsedAt, forKey: .lastUsedAt)
            try c.encode(active, forKey: .active)
        }

        init(row: MariaDBRow, token: String? = nil) throws {
            id = try row.decode("id")
            roomId = try row.decode("room_id")
            name = try row.decode("name")
            url = token.map { "/api/hooks/" + $0 }
            hint = try row.decode("hint")
            createdBy = try UserSummary(row: row, prefix: "by_")
            createdAt = try row.decode("created_at")
            lastUsedAt = try row.decode("last_used_at")
            active = try row.decode("active")
        }
    }

    /// What keeps a webhook posting besides its token: its maker is an active account and still the
    /// room's owner or an admin (as for invite links).
    static let activeCondition = RoomStore.makerManages("w")

    static let columns = """
        w.id, w.room_id, w.name, w.hint, w.created_at, w.last_used_at, (\(activeCondition)) AS active,
        u.id AS by_id, u.username AS by_username, u.display_name AS by_display_name, u.avatar AS by_avatar
        FROM webhooks w JOIN users u ON u.id = w.created_by
        """

    struct CreateBody: Decodable {
        let name: String
    }

    struct WebhookAnswer: ResponseEncodable {
        let webhook: WebhookView
    }

    struct WebhookList: ResponseEncodable {
        let webhooks: [WebhookView]
    }

    /// The room for an owner or admin managing its webhooks; DMs have none.
    private static func requireManager(_ rooms: RoomService, _ c: MariaDBConnection, roomID: Int64, user: User) throws {
        let (room, role) = try RoomService.access(rooms.store, c, roomID: roomID, userID: user.id)
        guard let role else { throw RoomService.notAMember }
        guard room.kind != .dm else { throw ParleyError(.conflict, "no_webhooks_in_dms", "DMs have no webhooks: they are for rooms and groups.") }
        guard role >= .admin else { throw RoomService.forbidden("Only the room's owner and admins manage its webhooks.") }
    }

    /// A webhook's name: 1–64 characters after trimming, shown as its messages' author.
    static func validateName(_ name: String) throws -> String {
        // Composed, as every other name is (a hunt found a decomposed one carried into its posts).
        let name = name.composed.trimmedWhitespace
        guard (1...64).contains(name.count), name.unicodeScalars.count <= 255, !name.hasControlCharacters(),
            !RoomService.hasInvisibleFormatting(name)
        else {
            throw ParleyError.invalid(
                "invalid_name", "A webhook's name is 1–64 characters with no control characters and no invisible formatting characters.")
        }
        return name
    }

    /// [createWebhook] A new webhook in the room; 201 with its URL, shown this once.
    func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<WebhookAnswer> {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: CreateBody.self, context: context, limit: maxBodyBytes)
        let name = try Self.validateName(body.name)
        let token = SessionService.randomHex(bytes: 16)
        let rooms = self.rooms
        let user = session.user
        let limiter = self.limiter
        // The event log's transaction for its retries (a deadlock with posts and scheduled
        // messages of the room answered 503); it appends no event.
        let webhook = try await rooms.log.transaction { c, _ in
            // The room's lock first, before anything is read: two makers at once cannot pass the
            // limit together (the count sees what the other committed), and a deletion at the same
            // moment either came first (404) or waits.
            guard try rooms.store.room(c, id: roomID, forUpdate: true) != nil else { throw RoomService.roomNotFound }
            try Self.requireManager(rooms, c, roomID: roomID, user: user)
            try rooms.store.checkNotArchived(roomID)
            let count = try c.query("SELECT COUNT(*) AS n FROM webhooks WHERE room_id = ?", [roomID])[0].decode("n", as: Int64.self)
            guard count < Self.maxPerRoom else {
                throw ParleyError(.conflict, "too_many_webhooks", "A room has at most \(Self.maxPerRoom) webhooks: delete one first.")
            }
            try limiter.consume(String(user.id))
            let id = try c.execute(
                """
                INSERT INTO webhooks (room_id, name, token_hash, hint, created_by, created_at) VALUES (?, ?, ?, ?, ?, NOW(3))
                """, [roomID, name, SessionService.hash(token), String(token.prefix(4)), user.id]
            ).lastInsertID
            try ModerationService.record(c, room: roomID, actor: user.id, action: "create_webhook", reason: name)
            return try WebhookView(row: try c.query("SELECT \(Self.columns) WHERE w.id = ?", [id])[0], token: token)
        }
        return EditedResponse(status: .created, headers: WebMiddleware.noStore, response: WebhookAnswer(webhook: webhook))
    }

    /// [webhooks] The room's webhooks, newest first (owners and admins); `active` tells which post.
    func list(request: Request, context: AppRequestContext) async throws -> WebhookList {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let rooms = self.rooms
        return try await rooms.store.pool.withConnection { c in
            try Self.requireManager(rooms, c, roomID: roomID, user: session.user)
            let rows = try c.query("SELECT \(Self.columns) WHERE w.room_id = ? ORDER BY w.id DESC", [roomID])
            return WebhookList(webhooks: try rows.map { try WebhookView(row: $0) })
        }
    }

    /// [deleteWebhook] The URL stops working at once; what it posted stays (owners and admins).
    func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let webhookID = try RoomController.id(context, "webhook")
        let rooms = self.rooms
        try await rooms.log.transaction { c, _ in
            try Self.requireManager(rooms, c, roomID: roomID, user: session.user)
            guard let row = try c.query("SELECT name FROM webhooks WHERE id = ? AND room_id = ? FOR UPDATE", [webhookID, roomID]).first else {
                throw Self.notFound
            }
            try c.execute("DELETE FROM webhooks WHERE id = ?", [webhookID])
            try ModerationService.record(c, room: roomID, actor: session.user.id, action: "delete_webhook", reason: try row.decode("name"))
        }
        return .noContent
    }

    struct PostBody: Decodable {
        let text: String
    }

    /// [postWebhook] Posts `text` into the webhook's room as its maker, marked with its name; 201
    /// with the message. No session: the URL's token is the credential.
    func post(request: Request, context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        // The URL is judged before the body: a dead or wrong URL answers 404 whatever was sent to it.
        // Anything but a token's shape cannot be one (and is not hashed and looked up).
        guard SessionService.isCode(token) else { throw Self.notFound }
        let found = try await rooms.store.pool.withConnection { c -> (User, Int64, WebhookSummary)? in
            guard
                let row = try c.query(
                    """
                    SELECT w.id AS webhook_id, w.room_id, w.name, u.id, u.username, u.display_name, u.site_role, u.created_at, u.avatar
                    FROM webhooks w JOIN users u ON u.id = w.created_by WHERE w.token_hash = ? AND \(Self.activeCondition)
                    """, [SessionService.hash(token)]
                ).first
            else { return nil }
            return (try User(row: row), try row.decode("room_id"), WebhookSummary(id: try row.decode("webhook_id"), name: try row.decode("name")))
        }
        guard let (maker, roomID, webhook) = found else { throw Self.notFound }
        let body = try await request.decodeJSON(as: PostBody.self, context: context, limit: maxBodyBytes)
        // Each webhook has the posting rate of one person.
        try limiter.consume("webhook:\(webhook.id)")
        let posted: MessageService.Posted
        do {
            posted = try await messages.post(user: maker, roomID: roomID, text: body.text, replyTo: nil, clientID: nil, webhook: webhook)
        } catch let error as ParleyError
            where ["room_not_found", "not_a_member", "banned", "posting_restricted", MessageService.webhookMakerDemoted.code, ParleyError.unauthenticated.code]
                .contains(error.code)
        {
            // The maker left, was banned, demoted or deactivated (`unauthenticated`, which told a
            // script that sends no session to log in: a hunt), or the room went, in the moment
            // since the look-up.
            throw Self.notFound
        }
        // Posted: a failure to note the time must not answer an error (the sender would post again).
        _ = try? await rooms.store.pool.execute("UPDATE webhooks SET last_used_at = NOW(3) WHERE id = ?", [webhook.id])
        return MessageController.answer(posted)
    }
}
