import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Testing

@testable import Parley

/// Blocking: the list, what it refuses between the two people (a new DM; posting, reacting,
/// sharing files and typing in their DM), the notifications it stops, and the blocker's event.
@Suite struct BlockTests {
    static func block(_ client: any TestClientProtocol, _ user: LoggedIn, _ target: Int64, _ on: Bool = true) async throws -> TestResponse {
        try await client.send(on ? .put : .delete, "/api/me/blocks/\(target)", headers: user.bearer)
    }

    static func blocked(_ client: any TestClientProtocol, _ user: LoggedIn) async throws -> [Int64] {
        try await client.send(.get, "/api/me/blocks", headers: user.bearer).json()["blocks"]?.array?.compactMap { $0["user"]?["id"]?.int } ?? []
    }

    @Test func blockingIsListedIdempotentAndChecked() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cy = try await client.signUp("cyd")
            #expect(try await Self.blocked(client, ann) == [])
            #expect(try await Self.block(client, ann, bob.id).status == .noContent)
            #expect(try await Self.block(client, ann, bob.id).status == .noContent)
            #expect(try await Self.block(client, ann, cy.id).status == .noContent)
            let list = try await client.send(.get, "/api/me/blocks", headers: ann.bearer).json()["blocks"]?.array ?? []
            #expect(list.compactMap { $0["user"]?["id"]?.int } == [cy.id, bob.id])
            #expect(list.first?.keys == ["user", "created_at"])
            #expect(try await Self.blocked(client, bob) == [])
            try await Self.block(client, ann, ann.id).expectError(.unprocessableContent, "cannot_block_self")
            try await Self.block(client, ann, 999_999).expectError(.notFound, "user_not_found")
            try await Self.block(client, ann, 999_999, false).expectError(.notFound, "user_not_found")
            try await client.send(.put, "/api/me/blocks/\(bob.id)").expectError(.unauthorized, "unauthenticated")
            #expect(try await Self.block(client, ann, cy.id, false).status == .noContent)
            #expect(try await Self.block(client, ann, cy.id, false).status == .noContent)
            #expect(try await Self.blocked(client, ann) == [bob.id])
            // Each change that changed something told the blocker's own streams.
            let events = try parley.query("SELECT type, user_id, payload FROM events WHERE type LIKE 'user.%blocked' ORDER BY id")
            #expect(try events.map { try $0.decode("type", as: String.self) } == ["user.blocked", "user.blocked", "user.unblocked"])
            #expect(try events.allSatisfy { try $0.decode("user_id", as: Int64.self) == ann.id })
            let last = try JSONDecoder().decode(JSON.self, from: Data(try events[2].decode("payload", as: String.self).utf8))
            #expect(last["user"]?["id"]?.int == cy.id && last.keys == ["user"])
        }
    }

    @Test func blockedPeopleOpenNoDMAndPostNothingInTheirs() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cy = try await client.signUp("cyd")
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let earlier = try await MessageTests.say(client, bob, room: dm, "before the block")
            #expect(try await Self.block(client, ann, bob.id).status == .noContent)
            let messagesBefore = try parley.count("messages")

            // Both ways: the blocked person and the blocker.
            try await MessageTests.post(client, bob, room: dm, ["text": "hello?"]).expectError(.forbidden, "blocked")
            let mine = try await MessageTests.post(client, ann, room: dm, ["text": "hi"])
            mine.expectError(.forbidden, "blocked")
            #expect(try mine.json()["error"]?["message"]?.string?.contains("unblock") == true)
            try await client.send(.patch, "/api/messages/\(earlier)", json: #"{"text":"edited"}"#, headers: bob.bearer)
                .expectError(.forbidden, "blocked")
            try await ReactionTests.react(client, bob, earlier, ReactionTests.thumbs).expectError(.forbidden, "blocked")
            try await client.send(.post, "/api/rooms/\(dm)/typing", json: #"{"typing":true}"#, headers: bob.bearer).expectError(.forbidden, "blocked")
            try await client.execute(uri: "/api/rooms/\(dm)/files?name=a.txt", method: .post, headers: bob.bearer, body: ByteBuffer(string: "x"))
                .expectError(.forbidden, "blocked")
            // Nor words through the DM's topic.
            try await client.send(.patch, "/api/rooms/\(dm)", json: #"{"topic":"still talking to you"}"#, headers: bob.bearer)
                .expectError(.forbidden, "blocked")
            #expect(try parley.scalar("SELECT topic FROM rooms WHERE id = ?", [dm]) == .string(""))
            #expect(try parley.count("messages") == messagesBefore)
            // The DM stays, readable by both, and opening it again finds it.
            #expect(try await MessageTests.page(client, bob, room: dm).0 == [earlier])
            #expect(try await client.send(.post, "/api/dms", json: #"{"user_id":\#(ann.id)}"#, headers: bob.bearer).json()["room"]?["id"]?.int == dm)
            // No new DM opens between them, whoever asks; others are not affected.
            #expect(try await Self.block(client, cy, ann.id).status == .noContent)
            try await client.send(.post, "/api/dms", json: #"{"user_id":\#(ann.id)}"#, headers: cy.bearer).expectError(.forbidden, "blocked")
            try await client.send(.post, "/api/dms", json: #"{"user_id":\#(cy.id)}"#, headers: ann.bearer).expectError(.forbidden, "blocked")
            #expect(try await client.send(.post, "/api/dms", json: #"{"user_id":\#(cy.id)}"#, headers: bob.bearer).status == .created)
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM rooms WHERE kind = 'dm'")) == 2)
            // Unblocked, they write again.
            #expect(try await Self.block(client, ann, bob.id, false).status == .noContent)
            #expect(try await MessageTests.post(client, bob, room: dm, ["text": "hello again"]).status == .created)
        }
    }

    /// Nobody is put into a private group with someone either of them blocked, as into a group DM
    /// (a hunt made one that way after the group DM was refused); nothing is written.
    @Test func nobodyIsAddedToAGroupWithSomeoneEitherBlocked() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cyd = try await client.signUp("cyd")
            #expect(try await Self.block(client, bob, ann.id).status == .noContent)
            let rooms = try parley.count("rooms")
            let events = try parley.count("events", where: "type <> 'receipt'")
            try await client.send(.post, "/api/rooms", json: #"{"name":"trap","kind":"group","members":[\#(cyd.id),\#(bob.id)]}"#, headers: ann.bearer)
                .expectError(.forbidden, "blocked")
            #expect(try parley.count("rooms") == rooms && parley.count("events", where: "type <> 'receipt'") == events)
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"team","kind":"group","members":[\#(cyd.id)]}"#, headers: ann.bearer)
                    .json()["room"]?["id"]?.int)
            try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer)
                .expectError(.forbidden, "blocked")
            // The blocker's own add is refused too, with the wording that says so.
            let other = try await client.send(.post, "/api/rooms", json: #"{"name":"theirs","kind":"group"}"#, headers: bob.bearer)
            let theirs = try #require(try other.json()["room"]?["id"]?.int)
            let refused = try await client.send(.post, "/api/rooms/\(theirs)/members", json: #"{"user_id":\#(ann.id)}"#, headers: bob.bearer)
            refused.expectError(.forbidden, "blocked")
            #expect(try refused.json()["error"]?["message"]?.string?.contains("You blocked") == true)
            #expect(try parley.count("room_members", where: "room_id IN (\(group), \(theirs)) AND user_id IN (\(ann.id), \(bob.id))") == 2)
            // After the unblock, ann may add bob.
            #expect(try await Self.block(client, bob, ann.id, false).status == .noContent)
            #expect(try await client.send(.post, "/api/rooms/\(group)/members", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).status == .created)
        }
    }

    @Test func theBlockerHearsNothingOfTheBlockedPersonsMessages() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cy = try await client.signUp("cyd")
            #expect(try await Self.block(client, ann, bob.id).status == .noContent)
            // In a shared room the message is posted and seen; only ann is not notified of it.
            let id = try await MessageTests.say(client, bob, room: 1, "@ann @cyd look")
            #expect(try await MessageTests.page(client, ann, room: 1).0.first == id)
            let notified = try parley.query("SELECT user_id FROM notifications WHERE message_id = ?", [id])
                .map { try $0.decode("user_id", as: Int64.self) }
            #expect(notified == [cy.id])
            // The "all" level does not let them through either.
            #expect(try await client.send(.put, "/api/rooms/1/notifications", json: #"{"level":"all"}"#, headers: ann.bearer).status == .ok)
            let plain = try await MessageTests.say(client, bob, room: 1, "plain words")
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM notifications WHERE message_id = ?", [plain])) == 0)
            _ = try await MessageTests.say(client, cy, room: 1, "from cy")
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM notifications WHERE user_id = ?", [ann.id])) == 1)
        }
    }

    /// Unread counts and followed threads leave the blocked person out, as notifications do: a
    /// room lit up by someone its reader had blocked (a black-box hunt).
    @Test func theBlockedPersonsMessagesAreNotUnreadForTheBlocker() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cy = try await client.signUp("cyd")
            let root = try await MessageTests.say(client, ann, room: 1, "a thread of mine")
            _ = try await MessageTests.say(client, bob, room: 1, "@ann before the block")
            #expect(try await Self.block(client, ann, bob.id).status == .noContent)
            for text in ["one", "two"] { _ = try await MessageTests.say(client, bob, room: 1, text) }
            _ = try await MessageTests.say(client, cy, room: 1, "three")
            func unread(_ user: LoggedIn) async throws -> Int64? {
                try await RoomTests.directory(client, user).mine.first { $0["id"]?.int == 1 }?["unread_count"]?.int
            }
            #expect(try await unread(ann) == 1)
            // Nor does his mention light the room up (it did, over a count of 0).
            let main = try await RoomTests.directory(client, ann).mine.first { $0["id"]?.int == 1 }
            #expect(main?["mentioned"] == .bool(false))
            // Others count everything (cy: the root and bob's three; bob: the root and cy's).
            #expect(try await unread(cy) == 4)
            #expect(try await unread(bob) == 2)
            // A reply in ann's thread from bob tells her nothing; one from cy does.
            #expect(try await MessageTests.post(client, bob, room: 1, ["text": "re", "reply_to": root]).status == .created)
            let cyReply = try await MessageTests.post(client, cy, room: 1, ["text": "re", "reply_to": root])
            #expect(cyReply.status == .created)
            let replied = try parley.query("SELECT payload FROM events WHERE type = 'thread.replied' AND user_id = ?", [ann.id])
            #expect(replied.count == 1)
            #expect(try await unread(ann) == 2)
            // Unblocking counts them again, and shows a mention of her again, whenever it was sent
            // (one sent during the block came back unread but not as a mention: a hunt).
            let during = try await MessageTests.say(client, bob, room: 1, "@ann during the block")
            #expect(try await RoomTests.directory(client, ann).mine.first { $0["id"]?.int == 1 }?["mentioned"] == .bool(false))
            // (All before it read, the mention before the block among them.)
            let readTo = try #require(try cyReply.json()["message"]?["id"]?.int)
            #expect(try await client.send(.post, "/api/rooms/1/read", json: #"{"message_id":\#(readTo)}"#, headers: ann.bearer).status == .ok)
            #expect(try await Self.block(client, ann, bob.id, false).status == .noContent)
            #expect(try await unread(ann) == 1)
            #expect(try await RoomTests.directory(client, ann).mine.first { $0["id"]?.int == 1 }?["mentioned"] == .bool(true))
            // Still, she was not notified of it.
            #expect(try parley.count("notifications", where: "user_id = \(ann.id) AND message_id = \(during)") == 0)
        }
    }
    /// Blocking or unblocking changes the blocker's unread counts where the person's messages are
    /// unread: their devices hear the new counts (`read_marker` a room), as after a read.
    @Test func blockingTellsTheBlockersDevicesTheNewUnreadCounts() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let group = try await RoomTests.room(client, ann, #"{"name":"g","kind":"group","members":[\#(bob.id)]}"#)
            let quiet = try await RoomTests.room(client, ann, #"{"name":"q","kind":"group","members":[\#(bob.id)]}"#)
            for text in ["hi @ann", "and", "more"] { _ = try await MessageTests.say(client, bob, room: group, text) }
            _ = try await MessageTests.say(client, ann, room: quiet, "only mine here")
            func markers(after cursor: Int64) async throws -> [JSON] {
                let events = try await client.send(.get, "/api/events?after=\(cursor)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
                return events.filter { $0["type"]?.string == "read_marker" }.map { $0["data"] ?? .null }
            }
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            #expect(try await BlockTests.block(client, ann, bob.id).status == .noContent)
            let blocked = try await markers(after: head)
            // Only the room where his messages were unread (main had none of his: it joined no count).
            #expect(blocked.map { $0["room_id"]?.int } == [group])
            #expect(blocked.first?["unread_count"] == .number(0) && blocked.first?["mentioned"] == .bool(false))
            // Blocking him again changes nothing and says nothing.
            #expect(try await BlockTests.block(client, ann, bob.id).status == .noContent)
            #expect(try await markers(after: head).count == 1)
            let middle = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            #expect(try await BlockTests.block(client, ann, bob.id, false).status == .noContent)
            let unblocked = try await markers(after: middle)
            #expect(unblocked.map { $0["room_id"]?.int } == [group])
            #expect(unblocked.first?["unread_count"] == .number(3) && unblocked.first?["mentioned"] == .bool(true))
            // The count the event gave is the room list's.
            #expect(try await RoomTests.directory(client, ann).mine.first { $0["id"]?.int == group }?["unread_count"] == .number(3))
            // Blocking someone with nothing unread sends no marker.
            let cyd = try await client.signUp("cyd")
            #expect(try await BlockTests.block(client, bob, cyd.id).status == .noContent)
            #expect(try parley.count("events", where: "type = 'read_marker' AND user_id = \(bob.id)") == 0)
        }
    }

    /// Nobody closes a poll in a DM either of the two blocked, the blocked person nor the blocker, as
    /// nobody votes there: the close told the other person something (a hunt).
    @Test func nobodyClosesAPollInABlockedDM() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            func poll(_ who: LoggedIn) async throws -> Int64 {
                try #require(
                    try await client.send(.post, "/api/rooms/\(dm)/polls", json: #"{"question":"lunch?","options":["yes","no"]}"#, headers: who.bearer)
                        .json()["message"]?["id"]?.int)
            }
            let bobs = try await poll(bob)
            let anns = try await poll(ann)
            #expect(try await Self.block(client, ann, bob.id).status == .noContent)
            let events = try parley.count("events", where: "room_id = \(dm) AND type <> 'receipt'")
            for (who, message) in [(bob, bobs), (ann, anns)] {
                try await client.send(.post, "/api/messages/\(message)/poll/close", headers: who.bearer).expectError(.forbidden, "blocked")
            }
            #expect(try parley.count("messages", where: "room_id = \(dm) AND poll_summary LIKE '%\"closed\":true%'") == 0)
            #expect(try parley.count("events", where: "room_id = \(dm) AND type <> 'receipt'") == events)
            #expect(try await Self.block(client, ann, bob.id, false).status == .noContent)
            #expect(try await client.send(.post, "/api/messages/\(bobs)/poll/close", headers: bob.bearer).status == .ok)
            #expect(try parley.count("messages", where: "room_id = \(dm) AND poll_summary LIKE '%\"closed\":true%'") == 1)
        }
    }

    /// A block waits for a post in flight in the DM (which holds the room's row, shared, from its
    /// check to its commit), so the post comes before `user.blocked`; and a DM being opened when a
    /// block is made waits for it and is refused. Both had landed after the block's event (a hunt).
    @Test func aBlockWaitsForAPostInFlightAndADMBeingOpenedWaitsForTheBlock() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cyd = try await client.signUp("cyd")
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            // Bob's post, past its checks, not yet committed.
            let blocked = try await RaceTests.whilePostingIn(parley, room: dm) { try await Self.block(client, ann, bob.id) } held: { waited in
                #expect(waited, "the block did not wait for the post")
                let announced = try parley.count("events", where: "type = 'user.blocked'")
                #expect(announced == 0)
            }
            #expect(blocked.status == .noContent)
            #expect(try parley.count("events", where: "type = 'user.blocked'") == 1)
            try await MessageTests.post(client, bob, room: dm, ["text": "after"]).expectError(.forbidden, "blocked")

            // Cyd's block of Bob, not yet committed, when Bob opens a DM with her.
            let opened = try await RaceTests.racing(
                parley, { c in try c.execute("INSERT INTO user_blocks (user_id, blocked_id, created_at) VALUES (?, ?, NOW(3))", [cyd.id, bob.id]) }
            ) { try await client.send(.post, "/api/dms", json: #"{"user_id":\#(cyd.id)}"#, headers: bob.bearer) }
            opened.expectError(.forbidden, "blocked")
            #expect(try parley.count("rooms", where: "kind = 'dm'") == 1)
        }
    }
}
