import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Parley

/// Drafts kept on the server: saved as typed in rooms one is in, with a reply target; listed while
/// one is a member; heard by one's other clients, and by nobody else.
@Suite struct DraftTests {
    @Test func draftsAreSavedListedHeardAndDeleted() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let annElsewhere = try await client.logIn("ann")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: annElsewhere.bearer).json()["cursor"]?.int)
            let bobHead = try #require(try await client.send(.get, "/api/events?timeout=0", headers: bob.bearer).json()["cursor"]?.int)
            let target = try #require(
                try await client.send(.post, "/api/rooms/1/messages", json: #"{"text":"question?"}"#, headers: bob.bearer).json()["message"]?["id"]?.int)

            // Saved as typed, with what it answers; saving again replaces it.
            let saved = try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"  half a thought\n"}"#, headers: ann.bearer)
            #expect(saved.status == .ok)
            #expect(try saved.json()["draft"]?["text"] == .string("  half a thought\n"))
            #expect(try saved.json()["draft"]?["reply_to"] == .null)
            let reply = try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"yes, because","reply_to":\#(target)}"#, headers: ann.bearer)
            #expect(try reply.json()["draft"]?["reply_to"]?.int == target)
            // A reply with no text yet is a draft too.
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"","reply_to":\#(target)}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"yes, because","reply_to":\#(target)}"#, headers: ann.bearer).status == .ok)
            #expect(try parley.count("drafts") == 1)

            // Refused: nothing at all, too long, a reply elsewhere; nothing changes.
            try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"   "}"#, headers: ann.bearer).expectError(.unprocessableContent, "invalid_draft")
            try await client.send(.put, "/api/rooms/1/draft", json: jsonString(["text": String(repeating: "x", count: 4001)]), headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_text")
            try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"x","reply_to":999999}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_reply_to")
            try await client.send(.put, "/api/rooms/1/draft", json: #"{"reply_to":1}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            #expect(try parley.scalar("SELECT text FROM drafts") == .string("yes, because"))

            // Listed for me only; my other client heard each change, Bob heard none.
            let mine = try await client.send(.get, "/api/me/drafts", headers: annElsewhere.bearer).json()["drafts"]?.array ?? []
            #expect(mine.map { $0["room_id"]?.int } == [1] && mine.first?["text"] == .string("yes, because"))
            #expect(try await client.send(.get, "/api/me/drafts", headers: bob.bearer).json()["drafts"] == .array([]))
            let heard = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: annElsewhere.bearer).json()["events"]?.array ?? []
            #expect(heard.filter { $0["type"] == .string("draft.saved") }.count == 4)
            let bobHeard = try await client.send(.get, "/api/events?after=\(bobHead)&timeout=0", headers: bob.bearer).json()["events"]?.array ?? []
            #expect(!bobHeard.contains { $0["type"]?.string?.hasPrefix("draft.") == true })

            // Deleted (sent, or emptied): heard once; deleting again changes nothing.
            #expect(try await client.send(.delete, "/api/rooms/1/draft", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/rooms/1/draft", headers: ann.bearer).status == .noContent)
            #expect(try parley.count("drafts") == 0)
            let after = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: annElsewhere.bearer).json()["events"]?.array ?? []
            let removed = after.filter { $0["type"] == .string("draft.removed") }
            #expect(removed.count == 1 && removed.first?["data"]?["room_id"]?.int == 1)
        }
    }

    /// A thread's reply box keeps its own draft beside the room's, one per thread, heard with its
    /// thread; a thread is a message of the same room, and its draft names no other reply target.
    @Test func threadRepliesHaveTheirOwnDrafts() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let annElsewhere = try await client.logIn("ann")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: annElsewhere.bearer).json()["cursor"]?.int)
            func post(_ text: String, in room: Int64 = 1) async throws -> Int64 {
                try #require(
                    try await client.send(.post, "/api/rooms/\(room)/messages", json: jsonString(["text": text]), headers: bob.bearer)
                        .json()["message"]?["id"]?.int)
            }
            let first = try await post("first topic")
            let second = try await post("second topic")
            let elsewhere = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"yard"}"#, headers: bob.bearer).json()["room"]?["id"]?.int)
            let outside = try await post("not in main", in: elsewhere)

            // The room's box and two threads: three drafts, none replacing another.
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"in the room"}"#, headers: ann.bearer).status == .ok)
            let saved = try await client.send(.put, "/api/rooms/1/draft?thread=\(first)", json: #"{"text":"on the first"}"#, headers: ann.bearer)
            #expect(saved.status == .ok)
            #expect(try saved.json()["draft"]?["thread_id"]?.int == first)
            #expect(try saved.json()["draft"]?["reply_to"] == .null)
            #expect(try await client.send(.put, "/api/rooms/1/draft?thread=\(second)", json: #"{"text":"on the second"}"#, headers: ann.bearer).status == .ok)
            // Saved at least a millisecond later (the list's order is `updated_at`, to the millisecond;
            // two saves within one came back in thread order once, in CI).
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await client.send(.put, "/api/rooms/1/draft?thread=\(first)", json: #"{"text":"on the first, again"}"#, headers: ann.bearer).status == .ok)
            #expect(try parley.count("drafts") == 3)

            // Refused, writing nothing: a thread elsewhere or unknown, a bad id, a second target.
            try await client.send(.put, "/api/rooms/1/draft?thread=\(outside)", json: #"{"text":"x"}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_thread")
            try await client.send(.put, "/api/rooms/1/draft?thread=999999", json: #"{"text":"x"}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_thread")
            try await client.send(.put, "/api/rooms/1/draft?thread=abc", json: #"{"text":"x"}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.put, "/api/rooms/1/draft?thread=0", json: #"{"text":"x"}"#, headers: ann.bearer).expectError(.badRequest, "invalid_request")
            try await client.send(.put, "/api/rooms/1/draft?thread=\(first)", json: #"{"text":"x","reply_to":\#(second)}"#, headers: ann.bearer)
                .expectError(.unprocessableContent, "invalid_reply_to")
            try await client.send(.put, "/api/rooms/\(elsewhere)/draft?thread=\(outside)", json: #"{"text":"x"}"#, headers: ann.bearer)
                .expectError(.forbidden, "not_a_member")
            #expect(try parley.count("drafts") == 3)
            #expect(try parley.scalar("SELECT text FROM drafts WHERE thread_id = \(first)") == .string("on the first, again"))

            // Listed with their threads, the latest first.
            let listed = try await client.send(.get, "/api/me/drafts", headers: annElsewhere.bearer).json()["drafts"]?.array ?? []
            #expect(listed.map { $0["thread_id"]?.int } == [first, second, nil])
            #expect(listed.map { $0["text"]?.string } == ["on the first, again", "on the second", "in the room"])

            // Deleting a thread's draft leaves the others; the event names the thread.
            #expect(try await client.send(.delete, "/api/rooms/1/draft?thread=\(first)", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.delete, "/api/rooms/1/draft?thread=\(first)", headers: ann.bearer).status == .noContent)
            #expect(try parley.count("drafts") == 2)
            #expect(try await client.send(.delete, "/api/rooms/1/draft", headers: ann.bearer).status == .noContent)
            #expect(try parley.scalar("SELECT thread_id FROM drafts") == .int(second))
            let heard = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: annElsewhere.bearer).json()["events"]?.array ?? []
            let savedThreads = heard.filter { $0["type"] == .string("draft.saved") }.map { $0["data"]?["draft"]?["thread_id"]?.int }
            #expect(savedThreads == [nil, first, second, first])
            let removed = heard.filter { $0["type"] == .string("draft.removed") }.map { $0["data"] }
            #expect(removed.map { $0?["thread_id"]?.int } == [first, nil])
            #expect(removed.allSatisfy { $0?["room_id"]?.int == 1 })
        }
    }

    /// Only a member keeps a draft in a room; one who leaves no longer sees it listed.
    /// One keeps at most 1,000 drafts: a new one past them is refused (409 `too_many_drafts`), while
    /// those kept may still be changed and deleted, which makes room again.
    @Test func draftsAreBoundedPerUser() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let root = try await MessageTests.say(client, ann, room: 1, "a thread")
            // 999 kept in threads of the room (as rows: their messages need not exist for the count).
            try parley.execute(
                "INSERT INTO drafts (user_id, room_id, thread_id, text, updated_at) SELECT ?, 1, seq, 'x', NOW(3) FROM seq_1000000_to_1000998", [ann.id])
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"the thousandth"}"#, headers: ann.bearer).status == .ok)
            try await client.send(.put, "/api/rooms/1/draft?thread=\(root)", json: #"{"text":"one more"}"#, headers: ann.bearer)
                .expectError(.conflict, "too_many_drafts")
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"the thousandth, changed"}"#, headers: ann.bearer).status == .ok)
            #expect(try parley.count("drafts", where: "user_id = \(ann.id)") == 1_000)
            #expect(try await client.send(.delete, "/api/rooms/1/draft", headers: ann.bearer).status == .noContent)
            #expect(try await client.send(.put, "/api/rooms/1/draft?thread=\(root)", json: #"{"text":"one more"}"#, headers: ann.bearer).status == .ok)
        }
    }

    @Test func draftsBelongToMembers() async throws {
        let parley = try await TestParley.make()
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let bob = try await client.signUp("bob")
            let room = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"hall"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            let group = try #require(
                try await client.send(.post, "/api/rooms", json: #"{"name":"den","kind":"group"}"#, headers: ann.bearer).json()["room"]?["id"]?.int)
            try await client.send(.put, "/api/rooms/\(room)/draft", json: #"{"text":"hi"}"#, headers: bob.bearer).expectError(.forbidden, "not_a_member")
            try await client.send(.put, "/api/rooms/\(group)/draft", json: #"{"text":"hi"}"#, headers: bob.bearer).expectError(.notFound, "room_not_found")
            try await client.send(.delete, "/api/rooms/\(group)/draft", headers: bob.bearer).expectError(.notFound, "room_not_found")
            try await client.send(.put, "/api/rooms/999999/draft", json: #"{"text":"hi"}"#, headers: bob.bearer).expectError(.notFound, "room_not_found")
            try await client.send(.get, "/api/me/drafts").expectError(.unauthorized, "unauthenticated")
            #expect(try parley.count("drafts") == 0)

            #expect(try await client.send(.post, "/api/rooms/\(room)/join", headers: bob.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/rooms/\(room)/draft", json: #"{"text":"hi"}"#, headers: bob.bearer).status == .ok)
            #expect(try await client.send(.get, "/api/me/drafts", headers: bob.bearer).json()["drafts"]?.array?.count == 1)
            #expect(try await client.send(.post, "/api/rooms/\(room)/leave", headers: bob.bearer).status == .noContent)
            #expect(try await client.send(.get, "/api/me/drafts", headers: bob.bearer).json()["drafts"] == .array([]))
        }
    }

    /// Saves are rate limited per user (each one is an event); a refused save writes nothing, and
    /// deleting stays possible.
    @Test func draftSavesAreRateLimited() async throws {
        let parley = try await TestParley.make { $0.draftsPerUser = RateLimit(burst: 2, per: .seconds(60)) }
        try await parley.run { client in
            let ann = try await client.signUp("ann")
            let cy = try await client.signUp("cyd")
            let head = try #require(try await client.send(.get, "/api/events?timeout=0", headers: ann.bearer).json()["cursor"]?.int)
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"one"}"#, headers: ann.bearer).status == .ok)
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"two"}"#, headers: ann.bearer).status == .ok)
            let limited = try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"three"}"#, headers: ann.bearer)
            limited.expectError(.tooManyRequests, "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try parley.scalar("SELECT text FROM drafts") == .string("two"))
            let heard = try await client.send(.get, "/api/events?after=\(head)&timeout=0", headers: ann.bearer).json()["events"]?.array ?? []
            #expect(heard.filter { $0["type"] == .string("draft.saved") }.count == 2)
            // Another user has their own allowance; deleting is not limited.
            #expect(try await client.send(.put, "/api/rooms/1/draft", json: #"{"text":"mine"}"#, headers: cy.bearer).status == .ok)
            #expect(try await client.send(.delete, "/api/rooms/1/draft", headers: ann.bearer).status == .noContent)
            #expect(try parley.count("drafts") == 1)
        }
    }
}
