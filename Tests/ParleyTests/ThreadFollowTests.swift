import Foundation
import MariaDB
import Testing
import TestSupport

@testable import Parley

/// Following threads: what sql/049 makes of the threads that existed before it (the rest is
/// `SignalTests.threadFollowersHearOfNewReplies`, over HTTP).
@Suite struct ThreadFollowTests {
    /// The threads that existed before following did: their messages' senders and repliers follow them.
    @Test func theMigrationMakesExistingThreadsFollowed() async throws {
        let migration = try await MigrationStep.before("049")
        defer { migration.remove() }
        let pool = migration.pool
        for name in ["ada", "bo", "cy"] {
            try await pool.execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, 'x', NOW(3))", [name, name])
        }
        func say(_ who: String, _ text: String, replyTo: Int64? = nil) async throws -> Int64 {
            Int64(
                try await pool.execute(
                    "INSERT INTO messages (room_id, sender_id, text, reply_to, created_at) VALUES (1, (SELECT id FROM users WHERE username = ?), ?, ?, NOW(3))",
                    [who, text, replyTo]
                ).lastInsertID)
        }
        let root = try await say("ada", "question")
        _ = try await say("bo", "answer", replyTo: root)
        _ = try await say("bo", "again", replyTo: root)
        _ = try await say("cy", "alone")
        #expect(try await migration.apply() == 1)
        let rows = try await pool.query(
            "SELECT f.root_id, u.username, f.following FROM thread_follows f JOIN users u ON u.id = f.user_id ORDER BY u.username")
        #expect(try rows.map { [String(try $0.decode("root_id", as: Int64.self)), try $0.decode("username"), String(try $0.decode("following", as: Int64.self))] }
            == [[String(root), "ada", "1"], [String(root), "bo", "1"]])
        await pool.shutdown()
    }
}

/// The threads list (`followedThreads`) and each thread's read mark (`markThreadRead`), over HTTP.
@Suite struct ThreadListTests {
    /// Reading a thread one does not follow is no choice about following it: a later reply that
    /// mentions the reader makes them follow, as it does anyone who never unfollowed (reading it
    /// kept a row that said "unfollowed", and the mention then left them out).
    @Test func readingAThreadIsNoChoiceNotToFollowIt() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let dan = try await client.signUp("dan")
            func following(_ user: LoggedIn, _ root: Int64) async throws -> Bool? {
                try await client.send(.get, "/api/messages/\(root)/replies", headers: user.bearer).json()["following"]?.bool
            }
            let root = try await MessageTests.say(client, ann, room: 1, "plans")
            #expect(try await MessageTests.post(client, bob, room: 1, ["text": "me too", "reply_to": root]).status == .created)
            #expect(try await client.send(.post, "/api/messages/\(root)/thread/read", headers: cat.bearer).status == .ok)
            #expect(try await following(cat, root) == false)
            #expect(try await MessageTests.post(client, ann, room: 1, ["text": "@cat @dan what do you think?", "reply_to": root]).status == .created)
            #expect(try await following(cat, root) == true)
            #expect(try await following(dan, root) == true)
            // An unfollow is a choice, and stays one.
            #expect(try await client.send(.delete, "/api/messages/\(root)/follow", headers: dan.bearer).status == .noContent)
            #expect(try await MessageTests.post(client, ann, room: 1, ["text": "@dan still?", "reply_to": root]).status == .created)
            #expect(try await following(dan, root) == false)
            // Reading as the thread's own sender keeps them following.
            #expect(try await client.send(.post, "/api/messages/\(root)/thread/read", headers: ann.bearer).status == .ok)
            #expect(try await following(ann, root) == true)
            let cats = try await client.send(.get, "/api/me/threads", headers: cat.bearer).json()["threads"]?.array ?? []
            #expect(cats.compactMap { $0["root"]?["id"]?.int } == [root])
        }
    }

    @Test func theThreadsListShowsFollowedThreadsWithTheirUnreadReplies() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            func reply(_ user: LoggedIn, _ text: String, _ root: Int64) async throws -> Int64 {
                let posted = try await MessageTests.post(client, user, room: 1, ["text": text, "reply_to": root])
                return try #require(try posted.json()["message"]?["id"]?.int, "\(String(buffer: posted.body))")
            }
            /// (root, last reply, unread replies) per thread, and the unread count.
            func threads(_ user: LoggedIn, _ query: String = "") async throws -> (threads: [[Int64]], unread: Int64?, more: Bool?) {
                let body = try await client.send(.get, "/api/me/threads\(query)", headers: user.bearer).json()
                let list = (body["threads"]?.array ?? []).map { entry in
                    [entry["root"]?["id"]?.int ?? -1, entry["last_reply"]?["id"]?.int ?? -1, entry["unread_replies"]?.int ?? -1]
                }
                return (list, body["unread_threads"]?.int, body["has_more"]?.bool)
            }
            func events(_ user: LoggedIn, after cursor: Int64) async throws -> [JSON] {
                (try await client.send(.get, "/api/events?after=\(cursor)&timeout=0", headers: user.bearer).json()["events"]?.array ?? [])
                    .filter { $0["type"]?.string?.hasPrefix("thread.") == true }
            }
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            let plan = try await MessageTests.say(client, ann, room: 1, "plan for Friday?")
            let lunch = try await MessageTests.say(client, ann, room: 1, "lunch?")
            _ = try await MessageTests.say(client, cat, room: 1, "nobody answers this")
            // A message without replies is no thread yet.
            #expect(try await threads(ann).threads.isEmpty)

            let b1 = try await reply(bob, "ship it", plan)
            // Ann follows her message's thread and has one unread reply; Bob's own reply is not unread to him.
            #expect(try await threads(ann) == ([[plan, b1, 1]], 1, false))
            #expect(try await threads(bob) == ([[plan, b1, 0]], 0, false))
            #expect(try await threads(cat).threads.isEmpty)
            let c1 = try await reply(cat, "sandwiches", lunch)
            #expect(try await threads(ann) == ([[lunch, c1, 1], [plan, b1, 1]], 2, false))
            // Pages, latest reply first.
            #expect(try await threads(ann, "?limit=1") == ([[lunch, c1, 1]], 2, true))
            #expect(try await threads(ann, "?limit=1&before=\(c1)") == ([[plan, b1, 1]], 2, false))
            try await client.send(.get, "/api/me/threads?limit=0", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/me/threads?before=x", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/me/threads").expectError(.unauthorized, "unauthenticated")

            // Ann's clients heard of each reply; the repliers' did not hear of their own (only that they follow now).
            let heard = try await events(ann, after: head)
            #expect(heard.map { $0["type"]?.string } == ["thread.replied", "thread.replied"])
            #expect(heard.map { $0["data"]?["message_id"]?.int } == [b1, c1])
            #expect(heard.first?["data"]?["root_id"]?.int == plan && heard.first?["data"]?["reply_count"]?.int == 1)
            #expect(try await events(bob, after: head).map { $0["type"]?.string } == ["thread.followed"])

            // Reading a thread: its mark moves to the latest reply (once: again changes nothing).
            let read = try await client.send(.post, "/api/messages/\(plan)/thread/read", headers: ann.bearer)
            #expect(read.status == .ok)
            #expect(try read.json()["read_up_to"]?.int == b1 && read.json()["unread_threads"]?.int == 1)
            #expect(try await client.send(.post, "/api/messages/\(plan)/thread/read", headers: ann.bearer).status == .ok)
            let reads = try await events(ann, after: head).filter { $0["type"]?.string == "thread.read" }
            #expect(reads.map { $0["data"]?["read_up_to"]?.int } == [b1])
            #expect(try await threads(ann) == ([[lunch, c1, 1], [plan, b1, 0]], 1, false))
            // Reading the room past a reply reads it too.
            let roomRead = try await client.send(.post, "/api/rooms/1/read", json: #"{"message_id":\#(c1)}"#, headers: ann.bearer)
            #expect(roomRead.status == .ok)
            #expect(try await threads(ann) == ([[lunch, c1, 0], [plan, b1, 0]], 0, false))

            // Replying reads the thread up to one's reply; the others' replies count after it.
            let a1 = try await reply(ann, "good", plan)
            let b2 = try await reply(bob, "and the notes", plan)
            #expect(try await threads(ann).threads.first == [plan, b2, 1])
            #expect(try await threads(bob).threads.first == [plan, b2, 0])
            // A deleted reply is not unread; the thread's latest reply is then the one before.
            #expect(try await client.send(.delete, "/api/messages/\(b2)", headers: bob.bearer).status == .noContent)
            #expect(try await threads(ann).threads.first == [plan, a1, 0])
            // Replies of someone I blocked are not unread.
            #expect(try await client.send(.put, "/api/me/blocks/\(cat.id)", headers: ann.bearer).status == .noContent)
            let c2 = try await reply(cat, "more sandwiches", lunch)
            #expect(try await threads(ann) == ([[lunch, c2, 0], [plan, a1, 0]], 0, false))

            // Mentioned in a reply, Cat follows the thread from then on; unfollowing takes it off the list.
            let b3 = try await reply(bob, "@cat what do you think?", plan)
            #expect(try await threads(cat).threads.map { $0[0] } == [plan, lunch])
            #expect(try await client.send(.delete, "/api/messages/\(lunch)/follow", headers: cat.bearer).status == .noContent)
            #expect(try await threads(cat).threads.map { $0[0] } == [plan])
            // Marking every thread read: only those with unread replies move, each with its event.
            #expect(try await threads(ann).unread == 1)
            let cursor = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            let all = try await client.send(.post, "/api/me/threads/read", headers: ann.bearer)
            #expect(all.status == .ok)
            #expect(try all.json()["threads"]?.array?.map { $0["message_id"]?.int } == [plan])
            #expect(try all.json()["threads"]?.array?.map { [$0["room_id"]?.int, $0["read_up_to"]?.int] } == [[1, b3]])
            #expect(try all.json()["unread_threads"]?.int == 0)
            #expect(try await threads(ann).unread == 0)
            #expect(try await events(ann, after: cursor).map { $0["data"]?["message_id"]?.int } == [plan])
            #expect(try await client.send(.post, "/api/me/threads/read", headers: ann.bearer).json()["threads"]?.array?.isEmpty == true)

            // Leaving the room takes its threads off the list.
            #expect(try await client.send(.post, "/api/rooms/1/leave", headers: bob.bearer).status == .noContent)
            #expect(try await threads(bob).threads.isEmpty)
            let beforeLeft = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            _ = try await reply(ann, "bye Bob", plan)
            #expect(try parley.query(
                "SELECT COUNT(*) AS n FROM events WHERE type = 'thread.replied' AND user_id = ? AND id > ?", [bob.id, beforeLeft]
            )[0].decode("n", as: Int64.self) == 0)

            // Reading a thread of a room I am not in is refused, as reading the message is.
            try await client.send(.post, "/api/messages/\(plan)/thread/read", headers: bob.bearer).expectError(.forbidden, "not_a_member")
            try await client.send(.post, "/api/messages/999999/thread/read", headers: ann.bearer).expectError(.notFound, "message_not_found")
        }
    }

    /// Deleting one's message ends following its thread: replies to the tombstone neither notify
    /// its sender nor tell their clients (a hunt); another follower still hears of them.
    @Test func theSenderOfADeletedRootNoLongerFollowsItsThread() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let root = try await MessageTests.say(client, ann, room: 1, "a root I regret")
            #expect(try await MessageTests.post(client, cat, room: 1, ["text": "first", "reply_to": root]).status == .created)
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            #expect(try await client.send(.delete, "/api/messages/\(root)", headers: ann.bearer).status == .noContent)
            let late = try await MessageTests.post(client, bob, room: 1, ["text": "late", "reply_to": root])
            #expect(late.status == .created)
            let lateID = try #require(try late.json()["message"]?["id"]?.int)
            let annEvents = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            let types = annEvents.compactMap { $0["type"]?.string }
            #expect(types.contains("thread.unfollowed") && !types.contains("thread.replied") && !types.contains("notification"), "\(types)")
            #expect(try parley.count("notifications", where: "user_id = \(ann.id) AND message_id = \(lateID)") == 0)
            // Cat, who replied, still follows and hears of it.
            #expect(try parley.count("notifications", where: "user_id = \(cat.id) AND message_id = \(lateID) AND reason = 'thread'") == 1)
        }
    }
    /// Starting to follow by replying, or by being named in a reply (or in an edit of one), is
    /// `thread.followed` to one's clients, as a follow by hand is; one already following hears nothing.
    @Test func followingByReplyingOrBeingNamedIsAnEvent() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            let dan = try await client.signUp("dan")
            let root = try await MessageTests.say(client, ann, room: 1, "plans")
            func followed(_ user: LoggedIn, after cursor: Int64) async throws -> [JSON] {
                let events = try await client.send(.get, "/api/events?after=\(cursor)&timeout=0", headers: user.bearer).json()["events"]?.array ?? []
                return events.filter { $0["type"]?.string == "thread.followed" }.map { $0["data"] ?? .null }
            }
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            #expect(try await MessageTests.post(client, bob, room: 1, ["text": "me too @cat", "reply_to": root]).status == .created)
            let expected: JSON = .object(["message_id": .number(Double(root)), "room_id": .number(1), "following": .bool(true)])
            #expect(try await followed(bob, after: head) == [expected])
            #expect(try await followed(cat, after: head) == [expected])
            // Ann follows her own message already; Bob again follows already.
            #expect(try await followed(ann, after: head).isEmpty)
            #expect(try await MessageTests.post(client, bob, room: 1, ["text": "again", "reply_to": root]).status == .created)
            #expect(try await followed(bob, after: head).count == 1)
            // Unfollowed, a reply follows again.
            #expect(try await client.send(.delete, "/api/messages/\(root)/follow", headers: bob.bearer).status == .noContent)
            #expect(try await MessageTests.post(client, bob, room: 1, ["text": "back", "reply_to": root]).status == .created)
            #expect(try await followed(bob, after: head).count == 2)
            // Named in an edit of a reply.
            let reply = try await MessageTests.post(client, cat, room: 1, ["text": "hm", "reply_to": root])
            let replyID = try #require(try reply.json()["message"]?["id"]?.int)
            #expect(try await client.send(.patch, "/api/messages/\(replyID)", json: #"{"text":"hm @dan"}"#, headers: cat.bearer).status == .ok)
            #expect(try await followed(dan, after: head) == [expected])
        }
    }

    /// The first replies of a thread sent at once each tell the root's sender (`thread.replied` and
    /// a notification). The second, waiting for the first at the root's row, found the follow row the
    /// first had made, and its snapshot did not show it: the sender heard of one reply (a hunt, 20 in 20).
    @Test func firstRepliesAtOnceEachTellTheRootsSender() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            // Forced: the first reply's follow row for Ann, made and not yet committed, as Bob replies.
            let root = try await MessageTests.say(client, ann, room: 1, "question")
            let reply = try await RaceTests.racing(
                parley, { c in try c.execute("INSERT INTO thread_follows (root_id, user_id, following, updated_at) VALUES (?, ?, 1, NOW(3))", [root, ann.id]) }
            ) { try await MessageTests.post(client, bob, room: 1, ["text": "an answer", "reply_to": root]) }
            #expect(reply.status == .created)
            let replyID = try #require(try reply.json()["message"]?["id"]?.int)
            #expect(try parley.count("events", where: "type = 'thread.replied' AND user_id = \(ann.id) AND payload LIKE '%\"message_id\":\(replyID)%'") == 1)
            #expect(try parley.count("notifications", where: "user_id = \(ann.id) AND message_id = \(replyID)") == 1)

            // As it comes: six at once, each heard of.
            let others = try await withThrowingTaskGroup(of: LoggedIn.self) { group in
                for n in 0..<6 { group.addTask { try await client.signUp("replier\(n)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let second = try await MessageTests.say(client, ann, room: 1, "another question")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for other in others {
                    group.addTask {
                        let posted = try await MessageTests.post(client, other, room: 1, ["text": "me", "reply_to": second])
                        #expect(posted.status == .created)
                    }
                }
                try await group.waitForAll()
            }
            let replies = try parley.query("SELECT id FROM messages WHERE reply_to = ?", [second]).map { try $0.decode("id", as: Int64.self) }
            #expect(replies.count == 6)
            #expect(try parley.count("notifications", where: "user_id = \(ann.id) AND message_id IN (\(replies.map(String.init).joined(separator: ",")))") == 6)
            #expect(try parley.count("events", where: "type = 'thread.replied' AND user_id = \(ann.id)") == 7)
        }
    }
}
