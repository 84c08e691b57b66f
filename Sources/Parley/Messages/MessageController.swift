import Foundation
import Hummingbird

/// The HTTP face of messages: `push`, `get`, `getMessage`, `replies`, `editMessage`, `deleteMessage`,
/// `messageEdits`, `forwardMessage`, `searchMessages`, `react`, `unreact`.
struct MessageController {
    let messages: MessageService
    let limiter: RateLimiter
    let maxBodyBytes: Int
    /// A page of history reached a client (`ReceiptService.delivered(userID:room:upTo:)`).
    let receipts: ReceiptService

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/api/rooms/:room/messages", use: push)
        router.get("/api/rooms/:room/messages", use: history)
        router.get("/api/messages/:message", use: message)
        router.get("/api/messages/:message/replies", use: replies)
        router.get("/api/messages/:message/edits", use: edits)
        router.post("/api/messages/:message/forward", use: forward)
        router.patch("/api/messages/:message", use: edit)
        router.delete("/api/messages/:message", use: delete)
        router.delete("/api/messages/:message/previews", use: removePreviews)
        router.get("/api/search", use: search)
        router.put("/api/messages/:message/reactions/:emoji", use: react)
        router.delete("/api/messages/:message/reactions/:emoji", use: unreact)
    }

    struct PushBody: FlatJSONDecodable {
        let text: String
        let replyTo: Int64?
        let clientId: String?

        init?(flat: FlatJSON) {
            // Any other key (`replyTo` too, which the decoder's snake-case conversion would take)
            // goes to JSONDecoder.
            guard flat.fields.keys.allSatisfy({ ["text", "reply_to", "client_id"].contains($0) }), case .string(let text)? = flat.fields["text"]
            else { return nil }
            switch flat.fields["reply_to"] {
            case nil, .null?: replyTo = nil
            case .integer(let id)?: replyTo = id
            default: return nil
            }
            switch flat.fields["client_id"] {
            case nil, .null?: clientId = nil
            case .string(let id)?: clientId = id
            default: return nil
            }
            self.text = text
        }
    }

    struct MessageResponse: ResponseEncodable {
        let message: MessageView
    }

    /// [push] 201 with the new message, or 200 with the original for a repeated `client_id`.
    func push(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: PushBody.self, context: context, limit: maxBodyBytes)
        try limiter.consume(String(session.user.id))
        PostTrace.mark(.handler, text: body.text)
        let posted = try await messages.post(user: session.user, roomID: roomID, text: body.text, replyTo: body.replyTo, clientID: body.clientId)
        return Self.answer(posted)
    }

    struct ForwardBody: Decodable {
        let roomId: Int64
        let text: String?
        let clientId: String?
    }

    /// [forwardMessage] A message of one room quoted in another (or the same): 201 with the new
    /// message, 200 with the original of a repeated `client_id`.
    func forward(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let body = try await request.decodeJSON(as: ForwardBody.self, context: context, limit: maxBodyBytes)
        try limiter.consume(String(session.user.id))
        let posted = try await messages.forward(
            user: session.user, messageID: messageID, to: body.roomId, comment: body.text ?? "", clientID: body.clientId)
        return Self.answer(posted)
    }

    /// A posted message as `{"message":…}` (rendered once, for its event and this answer): 201 when
    /// new, 200 for the original of a repeated `client_id`.
    static func answer(_ posted: MessageService.Posted) -> Response {
        Response(
            status: posted.created ? .created : .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"message":\#(posted.json)}"#)))
    }

    /// [getMessage] One message (a reply's target, a notification's message) for members of its room.
    func message(request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "message")
        return MessageResponse(message: try await messages.message(user: session.user, messageID: id))
    }

    struct EditHistory: ResponseEncodable {
        let message: MessageView
        let versions: [MessageService.Version]
    }

    /// [messageEdits] A message's earlier texts, oldest first, and the message as it is now.
    func edits(request: Request, context: AppRequestContext) async throws -> EditHistory {
        let session = try context.requireSession()
        let history = try await messages.edits(user: session.user, messageID: try RoomController.id(context, "message"))
        return EditHistory(message: history.message, versions: history.versions)
    }

    struct ThreadPage: ResponseEncodable {
        let message: MessageView
        let replies: [MessageView]
        let hasMore: Bool
        /// Whether the caller follows the thread (its new replies notify them).
        let following: Bool
    }

    /// [replies] A message and its replies, oldest first: `after=<reply id>` continues, `limit` ≤ 100.
    func replies(request: Request, context: AppRequestContext) async throws -> ThreadPage {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "message")
        let limit = try Self.number(request, "limit", "from 1 to \(MessageService.maxPage)").map { Int($0) } ?? 50
        let after = try Self.number(request, "after", "a message id")
        let thread = try await messages.replies(user: session.user, messageID: id, after: after, limit: limit)
        return ThreadPage(message: thread.root, replies: thread.replies, hasMore: thread.hasMore, following: thread.following)
    }

    struct Page: ResponseEncodable {
        let messages: [MessageView]
        let hasMore: Bool
        /// Present only with `around` and `at`.
        var hasNewer: Bool? = nil
        /// Present only with `at`: the message the window is around (null in a room with none).
        var aroundId: Int64?? = nil

        enum CodingKeys: String, CodingKey { case messages, hasMore, hasNewer, aroundId }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(messages, forKey: .messages)
            try c.encode(hasMore, forKey: .hasMore)
            try c.encodeIfPresent(hasNewer, forKey: .hasNewer)
            if case .some(let id) = aroundId { try c.encode(id, forKey: .aroundId) }
        }
    }

    /// [get] `before=<id>` pages back newest first; `after=<id>` catches up oldest first; `around=<id>`
    /// is the window with that message (newest first, with `has_newer`); `at=<time>` the window
    /// around the first message sent at or after a time (or the newest, if none was), named in
    /// `around_id` (jump to a date); `limit` ≤ 100.
    func history(request: Request, context: AppRequestContext) async throws -> Page {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let limit = try Self.number(request, "limit", "from 1 to \(MessageService.maxPage)").map { Int($0) } ?? 50
        let before = try Self.number(request, "before", "a message id")
        let after = try Self.number(request, "after", "a message id")
        let around = try Self.number(request, "around", "a message id", minimum: 1)
        let at = try request.query.get("at").map { value in
            guard let date = ParleyJSON.parseTimestamp(String(value)) else { throw ParleyError.badRequest("at must be an ISO 8601 timestamp.") }
            return date
        }
        let page = try await messages.history(user: session.user, roomID: roomID, before: before, after: after, around: around, at: at, limit: limit)
        if let newest = page.messages.lazy.filter({ $0.sender.id != session.user.id }).map(\.id).max() {
            receipts.delivered(userID: session.user.id, room: roomID, upTo: newest)
        }
        return Page(messages: page.messages, hasMore: page.hasMore, hasNewer: page.hasNewer, aroundId: at == nil ? nil : .some(page.aroundID))
    }

    /// A whole number from the query string, at least `minimum`; nil when absent.
    static func number(_ request: Request, _ name: String, _ meaning: String, minimum: Int64 = 0) throws -> Int64? {
        guard let text = request.query.get(name) else { return nil }
        guard let value = Int64(text), value >= minimum else { throw ParleyError.badRequest("\(name) must be \(meaning).") }
        return value
    }

    /// [searchMessages] `q` (required), `room`, `from=<user id>`, `before=<message id>`, `has=file|link`,
    /// `since` and `until` (ISO 8601), `limit` ≤ 50.
    func search(request: Request, context: AppRequestContext) async throws -> Page {
        let session = try context.requireSession()
        guard let text = request.query.get("q") else { throw ParleyError.badRequest("q (what to search for) is required.") }
        let limit = try Self.number(request, "limit", "from 1 to \(MessageService.maxSearchPage)").map { Int($0) } ?? 20
        let room = try Self.number(request, "room", "a room id", minimum: 1)
        let from = try Self.number(request, "from", "a user id", minimum: 1)
        let before = try Self.number(request, "before", "a message id", minimum: 1)
        var filters = SearchFilters()
        if let has = request.query.get("has") {
            guard let kind = SearchFilters.Has(rawValue: has) else { throw ParleyError.badRequest("has is file or link.") }
            filters.has = kind
        }
        for (name, keyPath) in [("since", \SearchFilters.since), ("until", \SearchFilters.until)] {
            guard let value = request.query.get(name) else { continue }
            guard let date = ParleyJSON.parseTimestamp(String(value)) else { throw ParleyError.badRequest("\(name) must be an ISO 8601 timestamp.") }
            filters[keyPath: keyPath] = date
        }
        let page = try await messages.search(
            user: session.user, text: text, roomID: room, from: from, before: before, limit: limit, filters: filters)
        return Page(messages: page.messages, hasMore: page.hasMore)
    }

    struct EditBody: Decodable {
        let text: String
    }

    /// [editMessage]
    func edit(request: Request, context: AppRequestContext) async throws -> MessageResponse {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "message")
        let body = try await request.decodeJSON(as: EditBody.self, context: context, limit: maxBodyBytes)
        return MessageResponse(message: try await messages.edit(user: session.user, messageID: id, text: body.text))
    }

    struct ReactionsResponse: ResponseEncodable {
        let messageId: Int64
        let reactions: [ReactionSummary]
        let myReactions: [String]
    }

    /// [react] Adds the caller's reaction (counted against their message rate limit).
    func react(request: Request, context: AppRequestContext) async throws -> ReactionsResponse {
        try await changeReaction(context) { user, message, emoji in
            try limiter.consume(String(user.id))
            return try await messages.react(user: user, messageID: message, emoji: emoji)
        }
    }

    /// [unreact] Takes the caller's reaction back.
    func unreact(request: Request, context: AppRequestContext) async throws -> ReactionsResponse {
        try await changeReaction(context) { user, message, emoji in try await messages.unreact(user: user, messageID: message, emoji: emoji) }
    }

    private func changeReaction(
        _ context: AppRequestContext, _ change: (User, Int64, String) async throws -> MessageService.Reactions
    ) async throws -> ReactionsResponse {
        let session = try context.requireSession()
        let id = try RoomController.id(context, "message")
        let emoji = try ReactionEmoji.parse(String(context.parameters.get("emoji") ?? ""))
        let result = try await change(session.user, id, emoji)
        return ReactionsResponse(messageId: result.messageID, reactions: result.reactions, myReactions: result.mine)
    }

    /// [removePreviews]
    func removePreviews(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        try await messages.removePreviews(user: session.user, messageID: try RoomController.id(context, "message"))
        return .noContent
    }

    /// [deleteMessage]
    func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        _ = try await messages.delete(user: session.user, messageID: try RoomController.id(context, "message"))
        return .noContent
    }
}
