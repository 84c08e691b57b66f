import Foundation
import Hummingbird
import MariaDB
import NIOCore

/// [exportMyData] What Parley keeps that I wrote or chose, as one JSON file to download: the right
/// of access (GDPR article 15), as Slack's, Discord's and Zulip's data exports give it. My profile
/// and settings, the rooms I am in, every message I sent that is not deleted (with its file's name,
/// type and size: `downloadFile` gives the bytes), my reactions, bookmarks, drafts, scheduled
/// messages, reminders, keywords, blocks and user groups. Others' messages are not mine to take
/// and stay out. The messages are streamed a page at a time, so a long history costs no memory.
struct ExportController {
    let pool: MariaDBPool
    let limiter: RateLimiter

    static let page = 1_000

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/export", use: export)
    }

    struct Room: Encodable {
        let id: Int64
        let kind: String
        let name: String
        let topic: String
        let role: String
        let joinedAt: Date
        /// A DM's other people, by username.
        let with: [String]?
    }

    struct Reaction: Encodable {
        let messageId: Int64
        let emoji: String
        let createdAt: Date
    }

    struct Saved: Encodable {
        let messageId: Int64
        let savedAt: Date
    }

    struct Draft: Encodable {
        let roomId: Int64
        let threadId: Int64?
        let text: String
        let replyTo: Int64?
        let updatedAt: Date
    }

    struct Scheduled: Encodable {
        let roomId: Int64
        let text: String
        let replyTo: Int64?
        let sendAt: Date
    }

    struct Reminder: Encodable {
        let messageId: Int64
        let remindAt: Date
    }

    /// Everything but the messages, which follow it in the same object.
    struct Head: Encodable {
        let format = "parley-export-1"
        let exportedAt: Date
        let account: SignalController.MeAnswer
        let keywords: [String]
        let rooms: [Room]
        let reactions: [Reaction]
        let votes: [Vote]
        let saved: [Saved]
        let drafts: [Draft]
        let scheduled: [Scheduled]
        let reminders: [Reminder]
        let blocked: [String]
        let userGroups: [String]
    }

    struct FileSummary: Encodable {
        let id: Int64
        let name: String
        let contentType: String
        let size: Int64
    }

    /// A poll I asked: its options with their counts, not who chose what (others' choices are theirs).
    struct Poll: Encodable {
        struct Option: Encodable {
            let text: String
            let votes: Int
        }
        let options: [Option]
        let multiple: Bool
        let closed: Bool

        init(_ poll: PollView) {
            options = poll.options.map { Option(text: $0.text, votes: $0.votes) }
            multiple = poll.multiple
            closed = poll.closed
        }
    }

    struct Message: Encodable {
        let id: Int64
        let roomId: Int64
        let text: String?
        let replyTo: Int64?
        let createdAt: Date
        let editedAt: Date?
        let file: FileSummary?
        /// What it forwards, quoted as it was sent.
        let forwarded: ForwardView?
        let poll: Poll?
        /// The webhook of mine that posted it.
        let webhook: WebhookSummary?
    }

    /// A choice of mine in a poll.
    struct Vote: Encodable {
        let messageId: Int64
        let option: String
        let votedAt: Date
    }

    /// [exportMyData] The download: `parley-<username>-<date>.json`.
    func export(request: Request, context: AppRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let userID = session.user.id
        let now = Date()
        let day = ISO8601DateFormatter.string(from: now, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let headers: HTTPFields = [
            .contentType: "application/json; charset=utf-8",
            .contentDisposition: #"attachment; filename="parley-\#(session.user.username)-\#(day).json""#,
            .cacheControl: "no-store",
        ]
        // A HEAD tells what a download would be without using one up: its body is streamed as the
        // download's is, so its head has the same framing (an empty body said `Content-Length: 0`).
        if request.isHead { return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await writer.finish(nil) }) }
        try limiter.consume(String(userID))
        let account = try await SignalController.loadMe(pool, userID)
        let head = try await pool.withConnection { c in try Self.head(c, userID: userID, account: account, now: now) }
        var opening = try ParleyJSON.encoder().encode(head)
        // The head is an object: its closing brace gives way to the messages.
        opening.removeLast()
        opening.append(contentsOf: Array(#","messages":["#.utf8))
        let prefix = opening
        let pool = self.pool
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: prefix))
                var after: Int64 = 0
                var first = true
                while true {
                    let from = after
                    let messages = try await pool.withConnection { c in try Self.messages(c, userID: userID, after: from) }
                    var chunk = Data()
                    for message in messages {
                        if !first { chunk.append(UInt8(ascii: ",")) }
                        first = false
                        chunk.append(try ParleyJSON.encoder().encode(message))
                    }
                    if !chunk.isEmpty { try await writer.write(ByteBuffer(bytes: chunk)) }
                    guard messages.count == Self.page, let last = messages.last else { break }
                    after = last.id
                }
                try await writer.write(ByteBuffer(string: "]}"))
                try await writer.finish(nil)
            })
    }

    /// The messages I sent after an id, not deleted, oldest first: one page.
    static func messages(_ c: MariaDBConnection, userID: Int64, after: Int64) throws -> [Message] {
        try c.query(
            """
            SELECT m.id, m.room_id, m.text, m.reply_to, m.created_at, m.edited_at, m.forward_summary, m.poll_summary, m.webhook_summary,
              f.id AS file_id, f.name AS file_name, f.content_type AS file_type, f.size AS file_size
            FROM messages m LEFT JOIN files f ON f.message_id = m.id
            WHERE m.sender_id = ? AND m.id > ? AND m.deleted_at IS NULL ORDER BY m.id LIMIT ?
            """, [userID, after, page]
        ).map { row in
            let file = try row.decode("file_id", as: Int64?.self).map { id in
                FileSummary(id: id, name: try row.decode("file_name"), contentType: try row.decode("file_type"), size: try row.decode("file_size"))
            }
            return Message(
                id: try row.decode("id"), roomId: try row.decode("room_id"), text: try row.decode("text"), replyTo: try row.decode("reply_to"),
                createdAt: try row.decode("created_at"), editedAt: try row.decode("edited_at"), file: file,
                forwarded: try row.decode("forward_summary", as: String?.self).map(ForwardView.decode),
                poll: try row.decode("poll_summary", as: String?.self).map { Poll(try PollView.decode($0)) },
                webhook: try row.decode("webhook_summary", as: String?.self).map(WebhookSummary.decode))
        }
    }

    static func head(_ c: MariaDBConnection, userID: Int64, account: SignalController.MeAnswer, now: Date) throws -> Head {
        let rooms = try c.query(
            """
            SELECT r.id, r.kind, r.name, r.topic, m.role, m.joined_at,
              IF(r.kind = 'dm', (SELECT GROUP_CONCAT(u.username ORDER BY u.username SEPARATOR ' ') FROM room_members o JOIN users u ON u.id = o.user_id
                                 WHERE o.room_id = r.id AND o.user_id <> m.user_id), NULL) AS dm_with
            FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ? ORDER BY r.id
            """, [userID]
        ).map { row in
            Room(
                id: try row.decode("id"), kind: try row.decode("kind"), name: try row.decode("name"), topic: try row.decode("topic"),
                role: try row.decode("role"), joinedAt: try row.decode("joined_at"),
                with: try row.decode("kind", as: String.self) == "dm"
                    ? (try row.decode("dm_with", as: String?.self) ?? "").split(separator: " ").map(String.init) : nil)
        }
        return Head(
            exportedAt: now, account: account,
            keywords: try KeywordController.load(c, userID),
            rooms: rooms,
            reactions: try c.query("SELECT message_id, emoji, created_at FROM reactions WHERE user_id = ? ORDER BY created_at, message_id", [userID])
                .map { Reaction(messageId: try $0.decode("message_id"), emoji: try $0.decode("emoji"), createdAt: try $0.decode("created_at")) },
            votes: try c.query(
                """
                SELECT v.message_id, v.option_index, v.voted_at, m.poll_summary FROM poll_votes v JOIN messages m ON m.id = v.message_id
                WHERE v.user_id = ? AND m.deleted_at IS NULL ORDER BY v.voted_at, v.message_id, v.option_index
                """, [userID]
            ).compactMap { row in
                let options = try row.decode("poll_summary", as: String?.self).map { try PollView.decode($0).options } ?? []
                let index: Int = try row.decode("option_index")
                guard options.indices.contains(index) else { return nil }
                return Vote(messageId: try row.decode("message_id"), option: options[index].text, votedAt: try row.decode("voted_at"))
            },
            saved: try c.query("SELECT message_id, saved_at FROM saved_messages WHERE user_id = ? ORDER BY saved_at, id", [userID])
                .map { Saved(messageId: try $0.decode("message_id"), savedAt: try $0.decode("saved_at")) },
            drafts: try c.query("SELECT room_id, thread_id, text, reply_to, updated_at FROM drafts WHERE user_id = ? ORDER BY updated_at", [userID])
                .map { row in
                    let thread: Int64 = try row.decode("thread_id")
                    return Draft(
                        roomId: try row.decode("room_id"), threadId: thread == 0 ? nil : thread, text: try row.decode("text"),
                        replyTo: try row.decode("reply_to"), updatedAt: try row.decode("updated_at"))
                },
            scheduled: try c.query("SELECT room_id, text, reply_to, send_at FROM scheduled_messages WHERE user_id = ? ORDER BY send_at, id", [userID])
                .map {
                    Scheduled(roomId: try $0.decode("room_id"), text: try $0.decode("text"), replyTo: try $0.decode("reply_to"), sendAt: try $0.decode("send_at"))
                },
            // As the list shows them: of messages in rooms the user is still in.
            reminders: try c.query(
                """
                SELECT r.message_id, r.remind_at FROM reminders r JOIN messages m ON m.id = r.message_id
                JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = r.user_id
                WHERE r.user_id = ? ORDER BY r.remind_at, r.id
                """, [userID])
                .map { Reminder(messageId: try $0.decode("message_id"), remindAt: try $0.decode("remind_at")) },
            blocked: try c.query(
                "SELECT u.username FROM user_blocks b JOIN users u ON u.id = b.blocked_id WHERE b.user_id = ? ORDER BY u.username", [userID]
            ).map { try $0.decode("username") },
            userGroups: try c.query(
                "SELECT g.name FROM user_group_members m JOIN user_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.name", [userID]
            ).map { try $0.decode("name") })
    }
}
