import Foundation
import Hummingbird
import HummingbirdTesting
import MariaDB
import Parley
import Testing

/// Saved messages: a private list of bookmarks, marked on every read, synced by events.
@Suite struct SavedTests {
    static func save(_ client: any TestClientProtocol, _ user: LoggedIn, _ message: Int64) async throws -> TestResponse {
        try await client.send(.put, "/api/me/saved/\(message)", headers: user.bearer)
    }

    /// The saved list's message ids and entry ids, and `has_more`.
    static func list(_ client: any TestClientProtocol, _ user: LoggedIn, _ query: String = "") async throws -> (
        messages: [Int64], entries: [Int64], hasMore: Bool?
    ) {
        let response = try await client.send(.get, "/api/me/saved\(query)", headers: user.bearer)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let body = try response.json()
        #expect(body.keys == ["saved", "has_more"])
        let saved = body["saved"]?.array ?? []
        return (saved.compactMap { $0["message"]?["id"]?.int }, saved.compactMap { $0["id"]?.int }, body["has_more"]?.bool)
    }

    @Test func peopleSaveMessagesTheyMayReadAndListThemNewestFirst() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let first = try await MessageTests.say(client, bob, room: 1, "remember the milk")
            let second = try await MessageTests.say(client, ann, room: 1, "and the eggs")

            let saved = try await Self.save(client, ann, first)
            #expect(saved.status == .ok)
            let entry = try #require(try saved.json()["saved"])
            #expect(entry.keys == ["id", "saved_at", "message"])
            #expect(entry["message"]?["id"]?.int == first)
            #expect(entry["message"]?["saved"] == .bool(true))
            #expect(RoomTests.isTimestamp(entry["saved_at"]))
            // Saving again changes nothing: the same entry, one row, one event.
            #expect(try await Self.save(client, ann, first).json()["saved"]?["id"] == entry["id"])
            #expect(try await Self.save(client, ann, second).status == .ok)
            #expect(try parley.count("saved_messages") == 2)

            var listed = try await Self.list(client, ann)
            #expect(listed.messages == [second, first])
            #expect(listed.hasMore == false)
            listed = try await Self.list(client, ann, "?limit=1")
            #expect(listed.messages == [second])
            #expect(listed.hasMore == true)
            listed = try await Self.list(client, ann, "?limit=1&before=\(listed.entries[0])")
            #expect(listed.messages == [first])
            #expect(listed.hasMore == false)
            // Private: Bob's list is empty, and his reads carry no mark.
            #expect(try await Self.list(client, bob).messages == [])
            let annPage = try await MessageTests.history(client, ann, room: 1).json()["messages"]?.array ?? []
            #expect(annPage.filter { $0["saved"] == .bool(true) }.compactMap { $0["id"]?.int }.sorted() == [first, second])
            let bobPage = try await MessageTests.history(client, bob, room: 1).json()["messages"]?.array ?? []
            #expect(bobPage.allSatisfy { $0["saved"] == nil })
            #expect(try await client.send(.get, "/api/messages/\(first)", headers: ann.bearer).json()["message"]?["saved"] == .bool(true))

            // Events reach only the saver's own clients, once per change.
            let events = try parley.query("SELECT type, user_id, room_id, payload FROM events WHERE type LIKE 'saved.%' ORDER BY id").map {
                [try $0.decode("type", as: String.self), String(try $0.decode("user_id", as: Int64.self)),
                 try $0.decode("room_id", as: Int64?.self).map(String.init) ?? "-", try $0.decode("payload", as: String.self)]
            }
            #expect(events == [
                ["saved.added", String(ann.id), "-", #"{"message_id":\#(first),"room_id":1}"#],
                ["saved.added", String(ann.id), "-", #"{"message_id":\#(second),"room_id":1}"#],
            ])

            // Unsaving, twice, changes it once.
            for _ in 0..<2 { #expect(try await client.send(.delete, "/api/me/saved/\(first)", headers: ann.bearer).status == .noContent) }
            #expect(try await Self.list(client, ann).messages == [second])
            #expect(try Int(mariaDBValue: try parley.scalar("SELECT COUNT(*) FROM events WHERE type = 'saved.removed'")) == 1)
            #expect(try await client.send(.delete, "/api/me/saved/999999", headers: ann.bearer).status == .noContent)

            // The messages of her notifications carry the mark too.
            let mention = try await MessageTests.say(client, bob, room: 1, "@ann keep this")
            #expect(try await Self.save(client, ann, mention).status == .ok)
            let notifications = try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["notifications"]?.array ?? []
            #expect(notifications.first { $0["message"]?["id"]?.int == mention }?["message"]?["saved"] == .bool(true))
            // And a room's last message, in the room list and the summary (a hunt found it unmarked).
            let mine = try await client.send(.get, "/api/rooms", headers: ann.bearer).json()["mine"]?.array ?? []
            #expect(mine.first { $0["id"]?.int == 1 }?["last_message"]?["saved"] == .bool(true))
            let states = try await client.send(.get, "/api/me/summary", headers: ann.bearer).json()["rooms"]?.array ?? []
            #expect(states.first { $0["room_id"]?.int == 1 }?["last_message"]?["saved"] == .bool(true))
            #expect(try await client.send(.get, "/api/rooms", headers: bob.bearer).json()["mine"]?.array?.first { $0["id"]?.int == 1 }?["last_message"]?["saved"] == nil)
        }
    }

    /// A save racing the same save (two tabs, a retry) answers the entry the other made; one racing
    /// the room's deletion answers 404. Both used to stop the server (an empty read-back indexed).
    @Test func aSaveRacingTheSameSaveOrTheRoomsDeletionAnswers() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let message = try await MessageTests.say(client, bob, room: 1, "remember the milk")
            let other = try await client.group("den", of: bob, with: ann)
            let doomed = try await MessageTests.say(client, bob, room: other, "soon gone")
            let saved = try await RaceTests.racing(
                parley, { try $0.execute("INSERT INTO saved_messages (user_id, message_id, saved_at) VALUES (?, ?, NOW(3))", [ann.id, message]) }
            ) { try await Self.save(client, ann, message) }
            #expect(saved.status == .ok, "\(String(buffer: saved.body))")
            let entry = try parley.scalar("SELECT id FROM saved_messages WHERE user_id = ? AND message_id = ?", [ann.id, message])
            #expect(try saved.json()["saved"]?["id"]?.int == (try Int64(mariaDBValue: entry)))

            try await RaceTests.racing(parley, { try $0.execute("DELETE FROM rooms WHERE id = ?", [other]) }) { try await Self.save(client, ann, doomed) }
                .expectError(.notFound, "message_not_found")
            #expect(try parley.count("saved_messages") == 1)
        }
    }

    @Test func onlyReadableMessagesAreSavedAndTheListFollowsMembership() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let secret = try await MessageTests.room(client, bob, #"{"name":"secret","kind":"group"}"#)
            let club = try await MessageTests.room(client, bob, #"{"name":"club"}"#)
            let hidden = try await MessageTests.say(client, bob, room: secret, "not for ann")
            let outside = try await MessageTests.say(client, bob, room: club, "join first")
            try await Self.save(client, ann, hidden).expectError(.notFound, "message_not_found")
            try await Self.save(client, ann, outside).expectError(.forbidden, "not_a_member")
            try await Self.save(client, ann, 999_999).expectError(.notFound, "message_not_found")
            let gone = try await MessageTests.say(client, ann, room: 1, "oops")
            #expect(try await client.send(.delete, "/api/messages/\(gone)", headers: ann.bearer).status == .noContent)
            try await Self.save(client, ann, gone).expectError(.conflict, "message_deleted")
            #expect(try parley.count("saved_messages") == 0)

            // A room left takes its saved messages off the list until rejoined; a room deleted, for good.
            #expect(try await RoomTests.join(client, ann, club).status == .ok)
            #expect(try await Self.save(client, ann, outside).status == .ok)
            #expect(try await Self.list(client, ann).messages == [outside])
            #expect(try await client.send(.post, "/api/rooms/\(club)/leave", headers: ann.bearer).status == .noContent)
            #expect(try await Self.list(client, ann).messages == [])
            #expect(try await RoomTests.join(client, ann, club).status == .ok)
            #expect(try await Self.list(client, ann).messages == [outside])
            #expect(try await client.send(.delete, "/api/rooms/\(club)", headers: bob.bearer).status == .noContent)
            #expect(try await Self.list(client, ann).messages == [])
            #expect(try parley.count("saved_messages") == 0)

            // A saved message deleted later stays listed, as a tombstone, until unsaved.
            let kept = try await MessageTests.say(client, bob, room: 1, "soon gone")
            #expect(try await Self.save(client, ann, kept).status == .ok)
            #expect(try await client.send(.delete, "/api/messages/\(kept)", headers: bob.bearer).status == .noContent)
            let tombstone = try await client.send(.get, "/api/me/saved", headers: ann.bearer).json()["saved"]?.array?.first
            #expect(tombstone?["message"]?["deleted"] == .bool(true))

            for query in ["?limit=0", "?limit=101", "?before=0", "?before=x"] {
                try await client.send(.get, "/api/me/saved\(query)", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            }
            try await client.send(.put, "/api/me/saved/abc", headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.get, "/api/me/saved").expectError(.unauthorized, "unauthenticated")
        }
    }
}
