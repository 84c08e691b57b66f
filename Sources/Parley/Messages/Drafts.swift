import Foundation
import Hummingbird
import MariaDB

/// Drafts that follow a user to their other devices, as Slack, Mattermost and Zulip sync them: what
/// was left unsent in a room's message box or in one of its threads' reply boxes (`saveDraft`,
/// `deleteDraft`, with `?thread=<message id>` for a thread), listed for the rooms the user is still
/// in (`drafts`). Each change is an event to the user's own clients (`draft.saved`,
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
        /// The message whose thread's reply box it is in, or nil for the room's own box.
        let threadId: Int64?
        /// As typed (not trimmed).
        let text: String
        /// The message it answers, or nil.
        let replyTo: Int64?
        let updatedAt: Date

        enum CodingKeys: String, CodingKey { case roomId, threadId, text, replyTo, updatedAt }
        // Spelled out so that no reply or thread is sent as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(threadId, forKey: .threadId)
            try c.encode(text, forKey: .text)
            try c.encode(replyTo, forKey: .replyTo)
            try c.encode(updatedAt, forKey: .updatedAt)
        }

        init(row: MariaDBRow) throws {
            roomId = try row.decode("room_id")
            let thread: Int64 = try row.decode("thread_id")
            threadId = thread == 0 ? nil : thread
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
        let threadId: Int64?

        enum CodingKeys: String, CodingKey { case roomId, threadId }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(roomId, forKey: .roomId)
            try c.encode(threadId, forKey: .threadId)
        }
    }

    /// Deletes a room's drafts, in the transaction that deletes the room, and tells each one's user.
    static func removeAll(_ c: MariaDBConnection, _ events: EventAppender, roomID: Int64) throws {
        let rows = try c.query("SELECT user_id, thread_id FROM drafts WHERE room_id = ? ORDER BY user_id, thread_id FOR UPDATE", [roomID])
        guard !rows.isEmpty else { return }
        try c.execute("DELETE FROM drafts WHERE room_id = ?", [roomID])
        for row in rows {
            let thread: Int64 = try row.decode("thread_id")
            try events.append(EventType.draftRemoved, userID: try row.decode("user_id"), payload: RemovedEvent(roomId: roomID, threadId: thread == 0 ? nil : thread))
        }
    }

    static let columns = "d.room_id, d.thread_id, d.text, d.reply_to, d.updated_at"
    /// Drafts one user keeps at most (rooms' and threads'), as every personal list has a bound: 600
    /// thread drafts of 4,000 characters made a 2.4 MB list (a hunt).
    static let maxPerUser = 1_000

    /// `?thread=<message id>`: the thread's reply box (0 in the table), else the room's own box.
    static func thread(_ request: Request) throws -> Int64 {
        try MessageController.number(request, "thread", "a message id", minimum: 1) ?? 0
    }

    /// [drafts] My drafts in the rooms I am in, the latest first.
    func list(request: Request, context: AppRequestContext) async throws -> DraftList {
        let session = try context.requireSession()
        let rows = try await log.pool.query(
            """
            SELECT \(Self.columns) FROM drafts d
            JOIN room_members m ON m.room_id = d.room_id AND m.user_id = d.user_id
            WHERE d.user_id = ? ORDER BY d.updated_at DESC, d.room_id DESC, d.thread_id DESC
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

    /// [saveDraft] Keeps my draft in a room I am in, or in one of its threads (muted or in an
    /// archived room too: it waits). A thread's draft answers its message, so it names no other.
    func save(request: Request, context: AppRequestContext) async throws -> DraftAnswer {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let threadID = try Self.thread(request)
        let body = try await request.decodeJSON(as: SaveBody.self, context: context, limit: maxBodyBytes)
        try Self.validate(body)
        if threadID != 0 && body.replyTo != nil {
            throw ParleyError.invalid("invalid_reply_to", "A thread's draft answers the thread's message: reply_to must be null.")
        }
        try limiter.consume(String(session.user.id))
        let store = rooms.store
        let draft = try await log.transaction { c, events in
            guard try RoomService.role(store, c, roomID: roomID, userID: session.user.id) != nil else { throw RoomService.notAMember }
            try Self.checkThread(c, threadID, roomID: roomID)
            if let replyTo = body.replyTo {
                // Held: reply_to is a foreign key, and retention may be deleting the message.
                guard try !c.query("SELECT id FROM messages WHERE id = ? AND room_id = ? LOCK IN SHARE MODE", [replyTo, roomID]).isEmpty else {
                    throw ParleyError.invalid("invalid_reply_to", "reply_to must be a message of the same room.")
                }
            }
            try RoomStore.holdRoom(c, roomID)
            // A new draft past the most one keeps is refused (a plain count: saves racing in at the
            // same moment may pass it by as many, which the rate limit keeps few).
            let kept = try c.query(
                "SELECT COUNT(*) AS n, COALESCE(SUM(room_id = ? AND thread_id = ?), 0) AS here FROM drafts WHERE user_id = ?",
                [roomID, threadID, session.user.id])[0]
            if try kept.decode("here", as: Int.self) == 0, try kept.decode("n", as: Int.self) >= Self.maxPerUser {
                throw ParleyError(.conflict, "too_many_drafts", "At most \(Self.maxPerUser) drafts are kept: send or delete one first.")
            }
            try c.execute(
                """
                INSERT INTO drafts (user_id, room_id, thread_id, text, reply_to, updated_at) VALUES (?, ?, ?, ?, ?, NOW(3))
                ON DUPLICATE KEY UPDATE text = VALUES(text), reply_to = VALUES(reply_to), updated_at = VALUES(updated_at)
                """, [session.user.id, roomID, threadID, body.text, body.replyTo])
            // Its time is read now that the row is this transaction's: `NOW(3)` is a statement's
            // start, and the insert may have waited for a deletion of the draft from another device,
            // whose `draft.removed` then came later than the time this save carried, and clients that
            // keep the newer of the two dropped the draft the server holds (a hunt: 2 of 50).
            try c.execute(
                "UPDATE drafts SET updated_at = NOW(3) WHERE user_id = ? AND room_id = ? AND thread_id = ?", [session.user.id, roomID, threadID])
            let draft = try DraftView(
                row: try c.query(
                    "SELECT \(Self.columns) FROM drafts d WHERE d.user_id = ? AND d.room_id = ? AND d.thread_id = ?", [session.user.id, roomID, threadID]
                )[0])
            try events.append(EventType.draftSaved, userID: session.user.id, payload: DraftAnswer(draft: draft))
            return draft
        }
        return DraftAnswer(draft: draft)
    }

    /// A thread is a message of the room (a deleted one's too: it may still be answered).
    static func checkThread(_ c: MariaDBConnection, _ threadID: Int64, roomID: Int64) throws {
        guard threadID != 0 else { return }
        // Held: retention deleting the message waits, and then takes this draft with it.
        guard try !c.query("SELECT id FROM messages WHERE id = ? AND room_id = ? LOCK IN SHARE MODE", [threadID, roomID]).isEmpty else {
            throw ParleyError.invalid("invalid_thread", "thread must be a message of the same room.")
        }
    }

    /// [deleteDraft] Forgets my draft in a room or one of its threads (sent, or emptied); deleting
    /// none changes nothing.
    func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let roomID = try RoomController.id(context, "room")
        let threadID = try Self.thread(request)
        let store = rooms.store
        try await log.transaction { c, events in
            guard try RoomService.role(store, c, roomID: roomID, userID: session.user.id) != nil else { throw RoomService.notAMember }
            guard
                try c.execute(
                    "DELETE FROM drafts WHERE user_id = ? AND room_id = ? AND thread_id = ?", [session.user.id, roomID, threadID]
                ).affectedRows == 1
            else { return }
            let removed = RemovedEvent(roomId: roomID, threadId: threadID == 0 ? nil : threadID)
            try events.append(EventType.draftRemoved, userID: session.user.id, payload: removed)
        }
        return .noContent
    }
}
