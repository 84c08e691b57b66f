import Foundation
import Hummingbird
import MariaDB

/// Saved messages, each user's private bookmarks: `savedMessages`, `saveMessage`, `unsaveMessage`.
/// Only messages the user may read are saved, and the list shows only those of rooms they are in.
struct SavedController {
    let messages: MessageService
    let log: EventLog

    static let maxPage = 100

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/saved", use: list)
        router.put("/api/me/saved/:message", use: save)
        router.delete("/api/me/saved/:message", use: unsave)
    }

    struct Entry: Encodable, Sendable {
        let id: Int64
        let savedAt: Date
        let message: MessageView
    }

    struct EntryAnswer: ResponseEncodable {
        let saved: Entry
    }

    struct List: ResponseEncodable {
        let saved: [Entry]
        let hasMore: Bool
    }

    struct SavedEvent: Encodable {
        let messageId: Int64
        let roomId: Int64
    }

    /// [savedMessages] Newest saved first; `before=<entry id>` pages back; `limit` ≤ 100.
    func list(request: Request, context: AppRequestContext) async throws -> List {
        let session = try context.requireSession()
        let limit = try MessageController.number(request, "limit", "from 1 to \(Self.maxPage)").map { Int($0) } ?? 50
        guard (1...Self.maxPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxPage).") }
        let before = try MessageController.number(request, "before", "a saved entry id", minimum: 1)
        let userID = session.user.id
        return try await log.pool.withConnection { c in
            let rows = try c.query(
                """
                SELECT s.id AS saved_id, s.saved_at, \(MessageStore.columns) FROM saved_messages s
                JOIN messages m ON m.id = s.message_id
                JOIN room_members r ON r.room_id = m.room_id AND r.user_id = s.user_id
                JOIN users u ON u.id = m.sender_id
                WHERE s.user_id = ? AND s.id < ? ORDER BY s.id DESC LIMIT ?
                """, [userID, before ?? Int64.max, limit + 1])
            let page = Array(rows.prefix(limit))
            let views = try MessageService.forReader(c, try page.map(MessageView.init), userID: userID)
            let entries = try zip(page, views).map { row, view in
                Entry(id: try row.decode("saved_id"), savedAt: try row.decode("saved_at"), message: view)
            }
            return List(saved: entries, hasMore: rows.count > limit)
        }
    }

    /// [saveMessage] Saves a message the user may read; saving it again changes nothing.
    func save(request: Request, context: AppRequestContext) async throws -> EntryAnswer {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let messages = self.messages
        let userID = session.user.id
        let roomID = try await messages.roomOf(messageID: messageID)
        return EntryAnswer(
            saved: try await log.transaction { c, events in
                // Locked, the room's row first: a deletion of the message or of its room at the same
                // moment waits or is seen (a save waiting on the message's row alone committed its
                // `saved.added` after the room's `room.deleted`).
                let message = try messages.heldMemberMessage(c, id: messageID, roomID: roomID, userID: userID)
                guard !message.deleted else { throw ParleyError(.conflict, "message_deleted", "A deleted message cannot be saved.") }
                let added = try c.execute(
                    "INSERT IGNORE INTO saved_messages (user_id, message_id, saved_at) VALUES (?, ?, NOW(3))", [userID, messageID]
                ).affectedRows == 1
                if added {
                    try events.append(EventType.savedAdded, userID: userID, payload: SavedEvent(messageId: messageID, roomId: message.roomId))
                }
                // A locking read: the same save from another request may have committed since this
                // transaction's snapshot (this insert then waited for it and added nothing).
                guard
                    let row = try c.query(
                        "SELECT id, saved_at FROM saved_messages WHERE user_id = ? AND message_id = ? LOCK IN SHARE MODE", [userID, messageID]
                    ).first
                else { throw MessageService.messageNotFound }
                let view = try MessageService.forReader(c, [message], userID: userID)[0]
                return Entry(id: try row.decode("id"), savedAt: try row.decode("saved_at"), message: view)
            })
    }

    /// [unsaveMessage] Takes a message off the user's saved list; one not saved changes nothing.
    func unsave(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let userID = session.user.id
        try await log.transaction { c, events in
            // The message's row first, as a save locks them (the other order deadlocked with it).
            guard let room = try c.query("SELECT room_id FROM messages WHERE id = ? FOR UPDATE", [messageID]).first?.decode("room_id", as: Int64.self),
                try c.query("SELECT id FROM saved_messages WHERE user_id = ? AND message_id = ? FOR UPDATE", [userID, messageID]).first != nil
            else { return }
            try c.execute("DELETE FROM saved_messages WHERE user_id = ? AND message_id = ?", [userID, messageID])
            try events.append(EventType.savedRemoved, userID: userID, payload: SavedEvent(messageId: messageID, roomId: room))
        }
        return .noContent
    }
}

extension MessageService {
    /// Messages as one reader gets them from a read: with `myReactions` where reactor lists are cut
    /// short, and `saved` on those the reader saved.
    static func forReader(_ c: MariaDBConnection, _ messages: [MessageView], userID: Int64) throws -> [MessageView] {
        let marked = try markingMyVotes(c, try markingMine(c, messages, userID: userID), userID: userID)
        guard !marked.isEmpty else { return marked }
        // Padded, so that pages of different sizes share a few prepared statements.
        let ids = Array(Set(marked.map(\.id))).sorted().paddedToPowerOfTwo
        let saved = Set(
            try c.query("SELECT message_id FROM saved_messages WHERE user_id = ? AND message_id IN (\(ids.placeholders))", [userID] + ids)
                .map { try $0.decode("message_id", as: Int64.self) })
        guard !saved.isEmpty else { return marked }
        return marked.map { message in
            guard saved.contains(message.id) else { return message }
            var copy = message
            copy.saved = true
            return copy
        }
    }
}
