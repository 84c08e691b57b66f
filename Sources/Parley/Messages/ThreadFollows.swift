import Foundation
import Hummingbird
import MariaDB

/// Following threads, as Slack and Mattermost have it: a message's sender and everyone who replies
/// in its thread follow it, and each new reply notifies the followers (reason `thread`) until they
/// unfollow it (`followThread`, `unfollowThread`; the choice is kept, and replying follows again).
enum ThreadFollows {
    /// Called in a reply's transaction: the root's sender follows (unless they chose not to; nil for
    /// a deleted root, whose sender is not made to follow), so do the people the reply mentions
    /// (unless they chose not to: they are notified of this reply as a mention, and of the next ones
    /// as followers, as in Slack), the replier follows (again) and has read the thread up to their
    /// reply (`reply`), and the answer is everyone who
    /// followed the thread before this reply or replied in it now: those mentioned now are not
    /// among them, their mention tells them.
    /// Those who start following here (the replier, those mentioned) hear of it as of a follow by
    /// hand (`thread.followed` to their clients), so their other devices show the thread followed.
    static func replied(
        _ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, root: Int64, rootSender: Int64?, replier: Int64?, reply: Int64 = 0,
        mentioned: [Int64] = []
    ) throws -> Set<Int64> {
        if let rootSender {
            try c.execute(
                """
                INSERT INTO thread_follows (root_id, user_id, following, updated_at) VALUES (?, ?, 1, NOW(3))
                ON DUPLICATE KEY UPDATE \(Self.followUnlessChosen)
                """, [root, rootSender])
        }
        let before = try followers(c, root: root)
        try follow(c, root: root, mentioned: mentioned)
        if let replier {
            try c.execute(
                """
                INSERT INTO thread_follows (root_id, user_id, following, updated_at, read_up_to) VALUES (?, ?, 1, NOW(3), ?)
                ON DUPLICATE KEY UPDATE updated_at = IF(following, updated_at, VALUES(updated_at)), following = 1,
                  read_up_to = GREATEST(read_up_to, VALUES(read_up_to))
                """, [root, replier, reply])
        }
        if replier != nil || !mentioned.isEmpty { try announce(c, events, roomID: roomID, root: root, before: before) }
        return replier.map { before.union([$0]) } ?? before
    }

    /// Who follows a thread now: a locking read, so rows committed since this transaction's
    /// snapshot count. Two first replies at once each made the root's sender follow; the second
    /// (waiting for the first at the root's row) found the row there, changed nothing, and its
    /// snapshot did not show it: the sender lost its `thread.replied` and its notification (a
    /// hunt, 20 rounds in 20).
    static func followers(_ c: MariaDBConnection, root: Int64) throws -> Set<Int64> {
        Set(
            try c.query("SELECT user_id FROM thread_follows WHERE root_id = ? AND following = 1 LOCK IN SHARE MODE", [root])
                .map { try $0.decode("user_id", as: Int64.self) })
    }

    /// `thread.followed` to each who follows the thread now and was not among `before`.
    static func announce(_ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, root: Int64, before: Set<Int64>) throws {
        let payload = ThreadFollowController.FollowEvent(messageId: root, roomId: roomID, following: true)
        for user in try followers(c, root: root).subtracting(before).sorted() {
            try events.append(EventType.threadFollowed, userID: user, payload: payload)
        }
    }

    /// The people a reply mentions follow its thread, unless they chose not to (a kept row): called
    /// as the reply is posted, and as an edit names someone for the first time.
    static func follow(_ c: MariaDBConnection, root: Int64, mentioned: [Int64]) throws {
        // Batches keep each statement bounded (a user group can mention hundreds).
        for start in stride(from: 0, to: mentioned.count, by: 512) {
            let batch = Array(mentioned[start..<min(start + 512, mentioned.count)]).paddedToPowerOfTwo
            try c.execute(
                """
                INSERT INTO thread_follows (root_id, user_id, following, updated_at)
                SELECT ?, id, 1, NOW(3) FROM users WHERE id IN (\(batch.placeholders))
                ON DUPLICATE KEY UPDATE \(Self.followUnlessChosen)
                """, [root] + batch)
        }
    }

    /// For a row already there: it follows now unless its user chose (`following` 0 or 1); a row
    /// with only a read mark (`markThreadRead` on a thread they did not follow) made no choice.
    static let followUnlessChosen = """
        thread_follows.updated_at = IF(thread_follows.following IS NULL, NOW(3), thread_follows.updated_at),
        thread_follows.following = IFNULL(thread_follows.following, 1)
        """

    struct RepliedEvent: Encodable {
        let roomId: Int64
        let rootId: Int64
        let messageId: Int64
        let replyCount: Int
    }

    /// Called in a reply's transaction, after `replied`: `thread.replied` to each follower who is a
    /// member of the room now, but the replier and those who blocked the replier (the threads list
    /// and its count follow it; their replies count for nothing there).
    static func tellFollowers(
        _ c: MariaDBConnection, _ events: EventAppender, roomID: Int64, thread: MessageService.ThreadCount, reply: Int64, replier: Int64
    ) throws {
        // The follows read as they stand (`followers`); members and blocks as the post read them,
        // in batches that keep each statement bounded.
        let following = try followers(c, root: thread.rootId).subtracting([replier]).sorted()
        let payload = RepliedEvent(roomId: roomID, rootId: thread.rootId, messageId: reply, replyCount: thread.replyCount)
        for start in stride(from: 0, to: following.count, by: 512) {
            let batch = Array(following[start..<min(start + 512, following.count)]).paddedToPowerOfTwo
            let members = try c.query(
                """
                SELECT m.user_id FROM room_members m WHERE m.room_id = ? AND m.user_id IN (\(batch.placeholders))
                    AND NOT EXISTS(SELECT 1 FROM user_blocks b WHERE b.user_id = m.user_id AND b.blocked_id = ?)
                ORDER BY m.user_id
                """, [roomID] + batch + [replier])
            for row in members {
                try events.append(EventType.threadReplied, userID: try row.decode("user_id"), payload: payload)
            }
        }
    }

    /// Whether the user follows a message's thread: their choice, or else whether they sent it (and
    /// it is not deleted: replies to a deleted message do not make its sender follow, `replied`).
    static func following(_ c: MariaDBConnection, root: MessageView, userID: Int64) throws -> Bool {
        if let row = try c.query("SELECT following FROM thread_follows WHERE root_id = ? AND user_id = ?", [root.id, userID]).first,
            let chosen = try row.decode("following", as: Int64?.self)
        {
            return chosen != 0
        }
        return root.sender.id == userID && root.webhook == nil && !root.deleted
    }
}

/// [followThread], [unfollowThread]: `PUT/DELETE /api/messages/{message}/follow`.
struct ThreadFollowController {
    let messages: MessageService
    let log: EventLog

    func addRoutes(to router: Router<AppRequestContext>) {
        router.put("/api/messages/:message/follow", use: follow)
        router.delete("/api/messages/:message/follow", use: unfollow)
    }

    struct FollowEvent: Encodable {
        let messageId: Int64
        let roomId: Int64
        let following: Bool
    }

    func follow(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await set(true, context: context)
    }

    func unfollow(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await set(false, context: context)
    }

    /// Follows or unfollows a thread of a room the user is in; saying the same again changes nothing.
    /// A change is `thread.followed` or `thread.unfollowed` to the user's clients.
    private func set(_ following: Bool, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let session = try context.requireSession()
        let messageID = try RoomController.id(context, "message")
        let messages = self.messages
        let userID = session.user.id
        try await log.transaction { c, events in
            // The root's row locked: two follows (or unfollows) at once apply one after the other,
            // and the second finds nothing to change (each had sent its event).
            let root = try messages.memberMessage(c, id: messageID, userID: userID, forUpdate: true)
            guard try ThreadFollows.following(c, root: root, userID: userID) != following else { return }
            try c.execute(
                """
                INSERT INTO thread_follows (root_id, user_id, following, updated_at) VALUES (?, ?, ?, NOW(3))
                ON DUPLICATE KEY UPDATE following = VALUES(following), updated_at = VALUES(updated_at)
                """, [messageID, userID, following])
            try events.append(
                following ? EventType.threadFollowed : EventType.threadUnfollowed, userID: userID,
                payload: FollowEvent(messageId: messageID, roomId: root.roomId, following: following))
        }
        return .noContent
    }
}
