import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Downloading my data: my profile and settings, my rooms, what I sent (not what I deleted, not
/// others' messages), and what I chose, as one JSON file; long histories come whole.
@Suite struct ExportTests {
    @Test func myDataDownloadsAsOneJSONFile() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let cat = try await client.signUp("cat")
            try await client.send(.get, "/api/me/export").expectError(.unauthorized, "unauthenticated")

            let hello = try await MessageTests.say(client, ann, room: 1, "hello")
            let theirs = try await MessageTests.say(client, bob, room: 1, "hi ann")
            let reply = try #require(
                try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"welcome","reply_to":\#(theirs)}"#, headers: ann.bearer)
                    .json()["message"]?["id"]?.int)
            let shared = try await FileTests.upload(client, ann, room: 1, [1, 2, 3, 4], query: "name=notes.txt", type: "text/plain")
            let fileMessage = try #require(try shared.json()["message"]?["id"]?.int)
            let gone = try await MessageTests.say(client, ann, room: 1, "oops")
            #expect(try await client.send(.delete, "/api/messages/\(gone)", headers: ann.bearer).status == .noContent)
            let dm = try #require(
                try await client.send(.post, "/api/dms", json: #"{"user_id":\#(bob.id)}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let secret = try await MessageTests.say(client, ann, room: dm, "psst")
            #expect(try await client.send(.put, "/api/messages/\(theirs)/reactions/%F0%9F%91%8B", headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/me/saved/\(theirs)", headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"half a thought"}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/me/keywords", json: #"{"keywords":["deploy"]}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/me/blocks/\(cat.id)", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.post, "/api/user-groups", json: #"{"name":"crew"}"#, headers: ann.bearer).status == .created)

            let response = try await client.send(.get, "/api/me/export", headers: ann.bearer)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let day = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            #expect(response.headers[.contentDisposition] == #"attachment; filename="parley-ann-\#(day).json""#)
            let export = try response.json()
            #expect(export["format"] == .string("parley-export-1"))
            #expect(export["account"]?["user"]?["username"] == .string("ann"))
            #expect(export["keywords"] == .array([.string("deploy")]))
            let rooms = export["rooms"]?.array ?? []
            #expect(rooms.compactMap { $0["id"]?.int } == [1, dm])
            #expect(rooms.last?["kind"] == .string("dm") && rooms.last?["with"] == .array([.string("bob")]))
            #expect(rooms.first?["with"] == nil)
            // My messages, oldest first, not the deleted one and not Bob's; a file by its name.
            let messages = export["messages"]?.array ?? []
            #expect(messages.compactMap { $0["id"]?.int } == [hello, reply, fileMessage, secret])
            #expect(messages[1]["reply_to"]?.int == theirs)
            #expect(messages[2]["file"]?["name"] == .string("notes.txt") && messages[2]["file"]?["size"]?.int == 4)
            #expect(messages[0]["file"] == nil && messages[3]["room_id"]?.int == dm)
            #expect(export["reactions"]?.array?.map { [$0["message_id"]?.int.map(String.init), $0["emoji"]?.string] } == [[String(theirs), "👋"]])
            #expect(export["saved"]?.array?.compactMap { $0["message_id"]?.int } == [theirs])
            #expect(export["drafts"]?.array?.compactMap { $0["text"]?.string } == ["half a thought"])
            #expect(export["blocked"] == .array([.string("cat")]))
            #expect(export["user_groups"] == .array([.string("crew")]))
            #expect(export["scheduled"] == .array([]) && export["reminders"] == .array([]))

            // A long history comes whole, page after page.
            try parley.execute(
                "INSERT INTO messages (room_id, sender_id, text, created_at) SELECT 1, ?, CONCAT('bulk ', seq), NOW(3) FROM seq_1_to_2500", [ann.id])
            let long = try await client.send(.get, "/api/me/export", headers: ann.bearer).json()["messages"]?.array ?? []
            #expect(long.count == 2_504)
            let ids = long.compactMap { $0["id"]?.int }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            #expect(long.last?["text"] == .string("bulk 2500"))

            // Bob's has Bob's.
            let bobs = try await client.send(.get, "/api/me/export", headers: bob.bearer).json()["messages"]?.array ?? []
            #expect(bobs.compactMap { $0["id"]?.int } == [theirs])

            // Five an hour: each reads everything one ever sent.
            for _ in 0..<3 { #expect(try await client.send(.get, "/api/me/export", headers: ann.bearer).status == .ok) }
            try await client.send(.get, "/api/me/export", headers: ann.bearer).expectError(.tooManyRequests, "rate_limited")
        }
    }

    @Test func pollsForwardsWebhookPostsAndVotesComeAsTheyWereSent() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let asked = try await PollTests.create(client, ann, room: 1, #"{"question":"lunch?","options":["soup","salad"],"multiple":true}"#)
            let mine = try #require(try asked.json()["message"]?["id"]?.int)
            let theirs = try #require(
                try await PollTests.create(client, bob, room: 1, #"{"question":"when?","options":["noon","one"]}"#).json()["message"]?["id"]?.int)
            #expect(try await PollTests.vote(client, bob, mine, [1]).status == .ok)
            #expect(try await PollTests.vote(client, ann, theirs, [1]).status == .ok)
            let quoted = try await MessageTests.say(client, bob, room: 1, "worth keeping")
            let forward = try await client.send(.post, "/api/messages/\(quoted)/forward", json: #"{"room_id":1,"text":"see this"}"#, headers: ann.bearer)
            let forwarded = try #require(try forward.json()["message"]?["id"]?.int)
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"ops"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let url = try #require(
                try await client.send(.post, "/api/rooms/\(room)/webhooks", json: #"{"name":"CI"}"#, headers: ann.bearer).json()["webhook"]?["url"]?.string)
            let hooked = try #require(try await client.send(.post, url, json: #"{"text":"build green"}"#).json()["message"]?["id"]?.int)

            let export = try await client.send(.get, "/api/me/export", headers: ann.bearer).json()
            let messages = export["messages"]?.array ?? []
            #expect(messages.compactMap { $0["id"]?.int } == [mine, forwarded, hooked])
            // My poll: its options and counts, not who chose them.
            #expect(messages[0]["text"] == .string("lunch?"))
            #expect(messages[0]["poll"]?["options"] == .array([
                .object(["text": .string("soup"), "votes": .number(0)]), .object(["text": .string("salad"), "votes": .number(1)]),
            ]))
            #expect(messages[0]["poll"]?["multiple"] == .bool(true) && messages[0]["poll"]?["closed"] == .bool(false))
            // A forward quotes what it forwarded; a webhook's post says so.
            #expect(messages[1]["text"] == .string("see this") && messages[1]["forwarded"]?["text"] == .string("worth keeping"))
            #expect(messages[1]["forwarded"]?["sender"]?["username"] == .string("bob"))
            #expect(messages[2]["webhook"]?["name"] == .string("CI") && messages[0]["webhook"] == nil && messages[0]["forwarded"] == nil)
            // My choices in others' polls.
            let votes = export["votes"]?.array ?? []
            #expect(votes.count == 1 && votes.first?["message_id"]?.int == theirs && votes.first?["option"] == .string("one"))
            #expect(votes.first?["voted_at"]?.string != nil)
        }
    }
    /// Reminders are exported as they are listed: of messages in rooms I am still in.
    @Test func remindersOfAGroupIWasRemovedFromAreNotExported() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let group = try await client.group("plans", of: bob, with: ann)
            let there = try await MessageTests.say(client, bob, room: group, "the secret plan")
            let here = try await MessageTests.say(client, bob, room: 1, "lunch at noon")
            for message in [there, here] { #expect(try await ReminderTests.remind(client, ann, message, in: 3600).status == .created) }
            #expect(try await client.send(.delete, "/api/rooms/\(group)/members/\(ann.id)", headers: bob.bearer).status == .noContent)
            let export = try await client.send(.get, "/api/me/export", headers: ann.bearer).json()
            #expect(export["reminders"]?.array?.compactMap { $0["message_id"]?.int } == [here])
        }
    }
}
