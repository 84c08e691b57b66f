import Foundation
import Hummingbird
import MariaDB

/// Blocking people: `blocks`, `block`, `unblock`. Between a blocker and the person they blocked,
/// no new DM opens and nobody posts, reacts, shares files or types in the DM they have; the
/// blocker gets no notification of the blocked person's messages anywhere. Rooms they share stay
/// shared: clients hide the blocked person's messages there.
struct BlockController {
    let log: EventLog

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/api/me/blocks", use: list)
        router.put("/api/me/blocks/:user", use: block)
        router.delete("/api/me/blocks/:user", use: unblock)
    }

    struct Block: Encodable, Sendable {
        let user: UserSummary
        let createdAt: Date
    }

    struct BlockList: ResponseEncodable {
        let blocks: [Block]
    }

    struct BlockEvent: Encodable {
        let user: UserSummary
    }

    /// [blocks] The people I blocked, the latest first.
    func list(request: Request, context: AppRequestContext) async throws -> BlockList {
        let session = try context.requireSession()
        let rows = try await log.pool.query(
            """
            SELECT u.id, u.username, u.display_name, u.avatar, b.created_at FROM user_blocks b JOIN users u ON u.id = b.blocked_id
            WHERE b.user_id = ? ORDER BY b.created_at DESC, u.id DESC
            """, [session.user.id])
        return BlockList(blocks: try rows.map { Block(user: try UserSummary(row: $0), createdAt: try $0.decode("created_at")) })
    }

    /// [block] Blocks a person; blocking them again changes nothing.
    func block(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let target = try RoomController.id(context, "user")
        guard target != session.user.id else { throw ParleyError.invalid("cannot_block_self", "You cannot block yourself.") }
        let added = try await log.transaction { c, events in
            let user = try Self.user(c, target)
            let added = try c.execute(
                "INSERT IGNORE INTO user_blocks (user_id, blocked_id, created_at) VALUES (?, ?, NOW(3))", [session.user.id, target]
            ).affectedRows == 1
            if added {
                // A post in their DM that passed its check holds the room's row (shared) until it
                // commits: waiting for it here puts it before `user.blocked`, and a post that comes
                // later takes the row after this commit and reads the block (`checkDM`). A post
                // in flight had landed just after the event (a hunt, 4 races in 24).
                let dms = try c.query(
                    """
                    SELECT m.room_id FROM room_members m JOIN room_members o ON o.room_id = m.room_id AND o.user_id = ?
                    JOIN rooms r ON r.id = m.room_id AND r.kind = 'dm' WHERE m.user_id = ? ORDER BY m.room_id
                    """, [target, session.user.id])
                for row in dms { _ = try c.query("SELECT id FROM rooms WHERE id = ? FOR UPDATE", [try row.decode("room_id", as: Int64.self)]) }
                try events.append(EventType.userBlocked, userID: session.user.id, payload: BlockEvent(user: user))
            }
            return added
        }
        if added { try await ReceiptService.recount(log: log, userID: session.user.id, unreadFrom: target) }
        return .noContent
    }

    /// [unblock] Unblocks a person; unblocking someone not blocked changes nothing.
    func unblock(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let target = try RoomController.id(context, "user")
        let removed = try await log.transaction { c, events in
            let user = try Self.user(c, target)
            let removed = try c.execute("DELETE FROM user_blocks WHERE user_id = ? AND blocked_id = ?", [session.user.id, target]).affectedRows == 1
            if removed { try events.append(EventType.userUnblocked, userID: session.user.id, payload: BlockEvent(user: user)) }
            return removed
        }
        if removed { try await ReceiptService.recount(log: log, userID: session.user.id, unreadFrom: target) }
        return .noContent
    }

    /// The person a block is about, or `user_not_found`.
    private static func user(_ c: MariaDBConnection, _ id: Int64) throws -> UserSummary {
        guard let row = try c.query("SELECT id, username, display_name, avatar FROM users WHERE id = ?", [id]).first else {
            throw ParleyError.notFound("user_not_found", "No user has id \(id).")
        }
        return try UserSummary(row: row)
    }
}

/// The rules blocking sets, for the paths that post and open DMs.
enum Blocks {
    /// 403 `blocked`: `byMe` when the refused user did the blocking.
    static func refusal(byMe: Bool) -> ParleyError {
        ParleyError(
            .forbidden, "blocked",
            byMe ? "You blocked this person: unblock them to write to them." : "This person does not take messages from you.")
    }

    /// Refuses when either of two people blocked the other. A locking read: a block being made
    /// is waited for (and refuses), and a block made meanwhile waits for this transaction (a DM
    /// opened in a plain read's gap came after the blocker's `user.blocked`, a hunt).
    static func check(_ c: MariaDBConnection, _ userID: Int64, _ otherID: Int64) throws {
        let rows = try c.query(
            "SELECT user_id FROM user_blocks WHERE (user_id = ? AND blocked_id = ?) OR (user_id = ? AND blocked_id = ?) LIMIT 1 LOCK IN SHARE MODE",
            [userID, otherID, otherID, userID])
        if let row = rows.first { throw refusal(byMe: try row.decode("user_id", as: Int64.self) == userID) }
    }

    /// Refuses a user's post (message, file, reaction, edit, typing) in a two-person DM with someone
    /// either of them blocked, or whose account is deactivated (the DM stays readable, read-only, as
    /// long as the account is). A group DM is a conversation among several, like a group: a block
    /// there only stops notifications, as in any room, and a deactivated member only stops reading.
    static func checkDM(_ c: MariaDBConnection, roomID: Int64, userID: Int64) throws {
        let rows = try c.query(
            """
            SELECT u.deactivated_at IS NOT NULL AS gone,
                (SELECT b.user_id FROM user_blocks b
                 WHERE (b.user_id = m.user_id AND b.blocked_id = ?) OR (b.user_id = ? AND b.blocked_id = m.user_id) LIMIT 1) AS blocker
            FROM room_members m JOIN users u ON u.id = m.user_id
            WHERE m.room_id = ? AND m.user_id <> ? AND (SELECT COUNT(*) FROM room_members n WHERE n.room_id = m.room_id) = 2 LIMIT 1
            """, [userID, userID, roomID, userID])
        guard let row = rows.first else { return }
        if let blocker = try row.decode("blocker", as: Int64?.self) { throw refusal(byMe: blocker == userID) }
        if try row.decode("gone", as: Int64.self) != 0 { throw recipientDeactivated }
    }

    /// 403 `recipient_deactivated`: the other person of a DM can no longer read it.
    static let recipientDeactivated = ParleyError(
        .forbidden, "recipient_deactivated", "This person's account is deactivated: the conversation is read-only.")
}
