import Foundation
import Hummingbird
import MariaDB

/// Drafts that follow a user to their other devices, as Slack, Mattermost and Zulip sync them: what
/// was left unsent in a room's message box (`saveDraft`, `deleteDraft`), listed for the rooms the
/// user is still in (`drafts`). Each change is an event to the user's own clients (`draft.saved`,
/// `draft.removed`), so an open room on another device shows it.
struct DraftController {
    let rooms: RoomService
    let log: EventLog
    /// Saves per user: each one is an event to the user's clients.
    let limiter: RateLimiter
    let maxBodyBytes: Int

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/drafts", use: list)
        router.put("/api/rooms/:room/draft", use: save)
        router.delete("/api/rooms/:room/draft", use: delete)
    }

    struct DraftView: Encodable, Sendable {
        let roomId: Int64
        /// As typed (not trimmed).
        let text: String
        /// The message it answers, or nil.
        let replyTo: Int64?
        let updatedAt: Date

        enum CodingKeys: String, CodingKey { case roomId, text, replyTo, updatedAt }
        // Spelled out so that no reply is sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(text, forKey: .text)
            try c.encode(replyTo, forKey: .replyTo)
            try c.encode(updatedAt, forKey: .updatedAt)
        }

        init(row: MariaDBRow) throws {
            roomId = try row.decode("room_id")
            text = try row.decode("text")
            replyTo = try row.decode("reply_to")
            updatedAt = try row.decode("updated_at")
        }
    }

    struct DraftList: ResponseEncodable {
        let drafts: [DraftView]
    }

    struct DraftAnswer: ResponseEncodable {
        let draft: DraftView
    }

    struct RemovedEvent: Encodable {
        let roomId: Int64
    }

    /// [drafts] My drafts in the rooms I am in, the latest first.
    func list(request: Request, context: AppRequestContext) async throws -> DraftList {
        let session = try context.requireSession()
        let rows = try await log.pool.query(
            """
            SELECT d.room_id, d.text, d.reply_to, d.updated_at FROM drafts d
            JOIN room_members m ON m.room_id = d.room_id AND m.user_id = d.user_id
            WHERE d.user_id = ? ORDER BY d.updated_at DESC, d.room_id DESC
            """, [session.user.id])
        return DraftList(drafts: try rows.map(DraftView.init(row:)))
    }

    struct SaveBody: Decodable {
        let text: String
        let replyTo: Int64?
    }

    /// What a draft may hold: as much as a message (4,000 characters after trimming), and a reply
    /// target; not nothing at all (that is `deleteDraft`).
    static func validate(_ body: SaveBody) throws {
        let trimmed = body.text.trimmedWhitespace
        guard trimmed.count <= MessageService.maxLength, body.text.unicodeScalars.count <= MessageService.maxLength * 4 else {
            throw ParleyError.invalid("invalid_text", "A draft is at most \(MessageService.maxLength) characters after trimming.")
        }
        guard !trimmed.isEmpty || body.replyTo != nil else {
            throw ParleyError.invalid("invalid_draft", "A draft has some text or a reply_to: delete it instead.")
        }
    }

    /// [saveDraft] Keeps my draft in a room I am in (muted or in an archived room too: it waits).
    func save(request: Request, context: AppRequestContext) async throws -> DraftAnswer {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let body = try await request.decodeJSON(as: SaveBody.self, context: context, limit: maxBodyBytes)
        try Self.validate(body)
        try limiter.consume(String(session.user.id))
        let store = rooms.store
        let draft = try await log.transaction { c, events in
            guard try RoomService.role(store, c, roomID: roomID, userID: session.user.id) != nil else { throw RoomService.notAMember }
            if let replyTo = body.replyTo {
                guard try !c.query("SELECT id FROM messages WHERE id = ? AND room_id = ?", [replyTo, roomID]).isEmpty else {
                    throw ParleyError.invalid("invalid_reply_to", "reply_to must be a message of the same room.")
                }
            }
            try c.execute(
                """
                INSERT INTO drafts (user_id, room_id, text, reply_to, updated_at) VALUES (?, ?, ?, ?, NOW(3))
                ON DUPLICATE KEY UPDATE text = VALUES(text), reply_to = VALUES(reply_to), updated_at = VALUES(updated_at)
                """, [session.user.id, roomID, body.text, body.replyTo])
            let draft = try DraftView(
                row: try c.query("SELECT room_id, text, reply_to, updated_at FROM drafts WHERE user_id = ? AND room_id = ?", [session.user.id, roomID])[0])
            try events.append(EventType.draftSaved, userID: session.user.id, payload: DraftAnswer(draft: draft))
            return draft
        }
        return DraftAnswer(draft: draft)
    }

    /// [deleteDraft] Forgets my draft in a room (sent, or emptied); deleting none changes nothing.
    func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let store = rooms.store
        try await log.transaction { c, events in
            guard try RoomService.role(store, c, roomID: roomID, userID: session.user.id) != nil else { throw RoomService.notAMember }
            guard try c.execute("DELETE FROM drafts WHERE user_id = ? AND room_id = ?", [session.user.id, roomID]).affectedRows == 1 else { return }
            try events.append(EventType.draftRemoved, userID: session.user.id, payload: RemovedEvent(roomId: roomID))
        }
        return .noContent
    }
}
