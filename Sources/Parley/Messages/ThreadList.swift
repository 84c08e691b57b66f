import Foundation
import Hummingbird
import MariaDB

/// The threads a user follows, as Slack's "Threads" and Mattermost's collapsed threads list them
/// (`followedThreads`), and each thread's read mark (`markThreadRead`). A reply counts as unread to
/// a follower until they read the thread, or read the room past it (replies show in the room too):
/// the mark is the greater of `thread_follows.read_up_to` and the room's `read_up_to`. Their own
/// replies, deleted ones and those of people they blocked never count.
struct ThreadListController {
    let messages: MessageService
    let log: EventLog

    static let maxPage = 100

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/threads", use: list)
        router.post("/api/messages/:message/thread/read", use: markRead)
        router.post("/api/me/threads/read", use: markAllRead)
    }

    struct Entry: Encodable, Sendable {
        let root: MessageView
        let lastReply: MessageView
        let unreadReplies: Int
        let readUpTo: Int64
    }

    struct List: ResponseEncodable {
        let threads: [Entry]
        let unreadThreads: Int
        let hasMore: Bool
    }

    struct ReadAnswer: ResponseEncodable {
        let messageId: Int64
        let roomId: Int64
        let readUpTo: Int64
        let unreadThreads: Int
    }

    struct AllReadAnswer: ResponseEncodable {
        /// The threads whose mark moved.
        let threads: [ReadEvent]
        let unreadThreads: Int
    }

    struct ReadEvent: Encodable, Sendable {
        let messageId: Int64
        let roomId: Int64
        let readUpTo: Int64
    }

    /// One followed thread of a room the user is in, with at least one reply that is not deleted.
    struct Followed {
        let root: Int64
        let room: Int64
        let lastReply: Int64
        let readUpTo: Int64
        let unread: Int
    }

    /// Every thread the user follows in the rooms they are in, latest reply first.
    static func followed(_ c: MariaDBConnection, userID: Int64) throws -> [Followed] {
        try c.query(
            """
            SELECT t.root_id, t.room_id, t.last_reply_id, t.read_mark,
              (SELECT COUNT(*) FROM messages r
               WHERE r.reply_to = t.root_id AND r.id > t.read_mark AND r.sender_id <> ? AND r.deleted_at IS NULL
                 AND r.sender_id NOT IN (SELECT blocked_id FROM user_blocks WHERE user_id = ?)) AS unread
            FROM (
              SELECT f.root_id, m.room_id, GREATEST(f.read_up_to, rm.read_up_to) AS read_mark,
                (SELECT MAX(r.id) FROM messages r WHERE r.reply_to = f.root_id AND r.deleted_at IS NULL) AS last_reply_id
              FROM thread_follows f
              JOIN messages m ON m.id = f.root_id
              JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = f.user_id
              WHERE f.user_id = ? AND f.following = 1
            ) t
            WHERE t.last_reply_id IS NOT NULL ORDER BY t.last_reply_id DESC
            """, [userID, userID, userID]
        ).map {
            Followed(
                root: try $0.decode("root_id"), room: try $0.decode("room_id"), lastReply: try $0.decode("last_reply_id"), readUpTo: try $0.decode("read_mark"),
                unread: Int(try $0.decode("unread", as: Int64.self)))
        }
    }

    /// [followedThreads] The threads I follow in my rooms that have replies, latest reply first;
    /// `before=<message id>` pages back by last reply; `limit` ≤ 100 (default 30). `unread_threads`
    /// counts all of them with unread replies, on every page.
    func list(request: Request, context: AppRequestContext) async throws -> List {
        let session = try context.requireSession()
        let limit = try MessageController.number(request, "limit", "from 1 to \(Self.maxPage)").map { Int($0) } ?? 30
        guard (1...Self.maxPage).contains(limit) else { throw ParleyError.badRequest("limit is 1–\(Self.maxPage).") }
        let before = try MessageController.number(request, "before", "a message id", minimum: 1) ?? Int64.max
        let userID = session.user.id
        return try await log.pool.withConnection { c in
            let all = try Self.followed(c, userID: userID)
            let after = all.filter { $0.lastReply < before }
            let page = Array(after.prefix(limit))
            guard !page.isEmpty else { return List(threads: [], unreadThreads: all.count { $0.unread > 0 }, hasMore: false) }
            let ids = Array(Set(page.flatMap { [$0.root, $0.lastReply] })).sorted().paddedToPowerOfTwo
            let loaded = try MessageService.forReader(
                c,
                try c.query(
                    "SELECT \(MessageStore.columns) FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.id IN (\(ids.placeholders))", ids
                ).map(MessageView.init), userID: userID)
            let byID = Dictionary(loaded.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let entries = page.compactMap { thread -> Entry? in
                guard let root = byID[thread.root], let last = byID[thread.lastReply] else { return nil }
                return Entry(root: root, lastReply: last, unreadReplies: thread.unread, readUpTo: thread.readUpTo)
            }
            return List(threads: entries, unreadThreads: all.count { $0.unread > 0 }, hasMore: after.count > limit)
        }
    }

    /// [markAllThreadsRead] Marks every followed thread with unread replies read up to its latest
    /// reply that is not deleted (nothing after it counts); `thread.read` to my clients for each.
    func markAllRead(request: Request, context: AppRequestContext) async throws -> AllReadAnswer {
        let session = try context.requireSession()
        let userID = session.user.id
        return try await log.transaction { c, events in
            var moved: [ReadEvent] = []
            for thread in try Self.followed(c, userID: userID) where thread.unread > 0 {
                // Followed, so the row exists.
                try c.execute(
                    "UPDATE thread_follows SET read_up_to = GREATEST(read_up_to, ?) WHERE root_id = ? AND user_id = ?",
                    [thread.lastReply, thread.root, userID])
                let event = ReadEvent(messageId: thread.root, roomId: thread.room, readUpTo: thread.lastReply)
                try events.append(EventType.threadRead, userID: userID, payload: event)
                moved.append(event)
            }
            return AllReadAnswer(threads: moved, unreadThreads: 0)
        }
    }

    /// [markThreadRead] Marks a thread of one of my rooms read up to its latest reply (its mark never
    /// moves back), followed or not; `thread.read` to my clients when the mark moved.
    func markRead(request: Request, context: AppRequestContext) async throws -> ReadAnswer {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let messages = self.messages
        let userID = session.user.id
        return try await log.transaction { c, events in
            // The root's row first, shared, as a reply holds it (to count itself) before it writes
            // the thread's follows: taking the reader's follow row first deadlocked with two or
            // more people replying at once (a hunt: 36 of 342 reads answered 503 with two).
            _ = try messages.store.message(c, id: messageID, shared: true)
            let root = try messages.memberMessage(c, id: messageID, userID: userID)
            let latest = try c.query("SELECT COALESCE(MAX(id), 0) AS latest FROM messages WHERE reply_to = ?", [messageID])[0].decode(
                "latest", as: Int64.self)
            let before = try c.query("SELECT read_up_to FROM thread_follows WHERE root_id = ? AND user_id = ? FOR UPDATE", [messageID, userID])
                .first?.decode("read_up_to", as: Int64.self)
            let mark = max(before ?? 0, latest)
            if mark > (before ?? 0) {
                // Reading a thread does not change whether I follow it: a new row follows if I do
                // (its sender), else it makes no choice (NULL: a mention may still make me follow).
                let following: Int64? = try ThreadFollows.following(c, root: root, userID: userID) ? 1 : nil
                try c.execute(
                    """
                    INSERT INTO thread_follows (root_id, user_id, following, updated_at, read_up_to) VALUES (?, ?, ?, NOW(3), ?)
                    ON DUPLICATE KEY UPDATE read_up_to = GREATEST(read_up_to, VALUES(read_up_to))
                    """, [messageID, userID, following, mark])
                try events.append(EventType.threadRead, userID: userID, payload: ReadEvent(messageId: messageID, roomId: root.roomId, readUpTo: mark))
            }
            let unread = try Self.followed(c, userID: userID).count { $0.unread > 0 }
            return ReadAnswer(messageId: messageID, roomId: root.roomId, readUpTo: mark, unreadThreads: unread)
        }
    }
}
